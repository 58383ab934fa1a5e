import type { GateEvidence } from "@omk/state";

/** A problem the user can act on: a stable code, what went wrong (one line), and what to do (the controller's ControllerProblem has the same shape). */
export type ProofProblem = {
  readonly code: string;
  readonly message: string;
  readonly fix: string;
  /** Where the problem is, when it has a place (a config file's path, line and column). */
  readonly details?: Record<string, unknown>;
};

/** What verifyProof reports as it goes: each gate of the re-run, as it finishes (one of the controller's events). */
export type ProofEvent = { readonly type: "gate_finished"; readonly where: "proof"; readonly gate: GateEvidence };
export type ProofEventSink = (event: ProofEvent) => void;

/**
 * How a run confines its engine sessions and the commands agents run:
 * `bwrap` (the path the CLI's probe found: probeConfinement in @omk/wire)
 * or `unconfined` (the user passed --unconfined). Recorded in proof.json and
 * failure.json.
 */
export type RunConfinement = { readonly mode: "bwrap"; readonly bwrap: string } | { readonly mode: "unconfined" };
