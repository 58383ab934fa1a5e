import { GatesAbortedError, GatesConfigError, GatesError, NoGatesDetectedError } from "@omk/gates";
import type { ProofProblem } from "../types.js";

/** A problem value (what went wrong, what to do). */
export function problem(code: string, message: string, fix: string): ProofProblem {
  return { code, message, fix };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A gates error as the controller reports it: a bad config is `gates_config`,
 * nothing to run is `no_gates`, an abort is `aborted`, everything else (git
 * trouble, a broken environment) is `infra`.
 */
export function gatesProblem(error: unknown): ProofProblem {
  if (error instanceof GatesConfigError) {
    const where = { ...(error.file === undefined ? {} : { file: error.file }), ...(error.position ?? {}) };
    return { ...problem("gates_config", error.message, error.fix ?? "correct the gates config"), details: where };
  }
  if (error instanceof NoGatesDetectedError) return problem("no_gates", error.message, error.fix ?? "add .omk/gates.yaml listing the checks to run");
  if (error instanceof GatesAbortedError) return problem("aborted", error.message, "run again when ready");
  if (error instanceof GatesError) return problem("infra", error.message, error.fix ?? "check the repository and run again");
  return problem("infra", `the gate run failed: ${messageOf(error)}`, "check the repository and run again");
}

export { messageOf };
