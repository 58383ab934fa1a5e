import type { FrozenOracle, GateEvidence, Proof } from "@omk/state";
import type { ProofProblem } from "../types.js";
import { problem } from "./problem.js";
import type { EvidenceFiles, GoalRecord } from "./proof-inputs.js";

/**
 * What a ready proof must claim, checked before anything runs again: every
 * criterion of the frozen oracle listed as passed (and none it does not
 * have), every required gate passed, no blocked review. A required gate the
 * gates skipped (a gate it needs failed, or the run was aborted) did not
 * pass: a ready proof recording one does not hold, as the controller never
 * calls such a head ready.
 */
export function claimProblems(proof: Proof, frozen: FrozenOracle): string[] {
  const out: string[] = [];
  const listed = new Map(proof.criteria.map((c) => [c.id, c]));
  const oracleIds = new Set(frozen.oracle.criteria.map((c) => c.id));
  const unlisted = frozen.oracle.criteria.filter((c) => !listed.has(c.id)).map((c) => c.id);
  if (unlisted.length > 0) {
    out.push(
      `the proof claims ready but does not list the oracle's criteri${unlisted.length === 1 ? "on" : "a"} ${unlisted.join(", ")}: a ready proof lists every criterion of the frozen oracle as passed`,
    );
  }
  for (const c of proof.criteria) {
    if (!oracleIds.has(c.id)) out.push(`the proof lists a criterion ${c.id} that the frozen oracle does not have`);
    else if (c.verdict !== "passed") out.push(`the proof claims ready but records the criterion ${c.id} as ${c.verdict}`);
  }
  for (const g of proof.gates) {
    if (g.required && !gatePasses(g.outcome)) out.push(`the proof claims ready but records the required gate "${g.name}" as ${g.outcome}`);
  }
  for (const r of proof.reviews) {
    if (r.verdict !== "passed") out.push(`the proof claims ready but records the ${r.kind} review as ${r.verdict} (${r.record})`);
  }
  return out;
}

/** A required gate's outcome that does not keep a goal from ready (the controller's rule): passed, nothing else (skipped is not run). */
export const gatePasses = (outcome: string) => outcome === "passed";

/**
 * The proof against its goal's event log: the base commit the goal ran from,
 * the head the log last evaluated (else integrated), and the digest of
 * proof.json the log recorded when the goal ended.
 */
export function logProblems(proof: Proof, proofSha256: string, record: GoalRecord): string[] {
  const out: string[] = [];
  const { events, goal } = record;
  const baseline = events.findLast((e) => e.type === "baseline_recorded");
  const base = baseline?.type === "baseline_recorded" ? baseline.data.commit : (goal.baseCommit ?? null);
  if (base !== null && base !== proof.baseCommit) {
    out.push(`the proof's baseCommit ${proof.baseCommit} is not the base commit of goal ${goal.id}, ${base} (from its event log)`);
  }
  const evaluated = events.findLast((e) => e.type === "oracle_evaluated");
  const head = evaluated?.type === "oracle_evaluated" ? evaluated.data.headCommit : (goal.headCommit ?? null);
  if (head !== null && head !== proof.headCommit) {
    out.push(
      `the proof's headCommit ${proof.headCommit} is not the head goal ${goal.id}'s event log last ${evaluated === undefined ? "integrated" : "evaluated"}, ${head}`,
    );
  }
  // The chain head the proof binds: the hash of the log's line lastSeq is the prev of the line after it, or the head.
  if (proof.logHead !== undefined) {
    const next = events.find((e) => e.seq === proof.lastSeq + 1);
    const at = next !== undefined ? next.prev : goal.lastSeq === proof.lastSeq ? goal.chainHead : undefined;
    if (goal.lastSeq < proof.lastSeq) {
      out.push(
        `the proof was made at event ${proof.lastSeq} of goal ${goal.id}, but its event log ends at ${goal.lastSeq}: the log was cut after the goal ended`,
      );
    } else if (at !== proof.logHead) {
      out.push(
        `the event log of goal ${goal.id} does not hold the chain head the proof binds at event ${proof.lastSeq} (${proof.logHead.slice(0, 12)}, the log has ${at === undefined ? "no chain hash there" : at.slice(0, 12)}): the log was rewritten after the goal ended`,
      );
    }
  }
  const outcome = events.findLast((e) => e.type === "outcome_recorded" && e.data.file === "proof.json");
  if (outcome?.type === "outcome_recorded" && outcome.data.sha256 !== proofSha256) {
    out.push(
      `proof.json is not the file goal ${goal.id} wrote: its sha256 ${proofSha256.slice(0, 12)} differs from ${outcome.data.sha256.slice(0, 12)} recorded in the event log (seq ${outcome.seq}); it was changed after the goal ended`,
    );
  }
  return out;
}

/** Every log file the proof's gates name must exist and match its sha256 (changed: a problem in `files`; missing: `files.missing`). */
export function checkGateLogs(gates: readonly GateEvidence[], files: EvidenceFiles): void {
  for (const g of gates) {
    for (const log of g.logs) files.check(log.path, `the log of gate "${g.name}"`, log.sha256);
  }
}

/** Evidence the proof relies on is not there: not a changed verdict, a folder to point at. */
export function evidenceMissing(missing: ReadonlySet<string>, files: EvidenceFiles, proofFile: string, goalId: string): ProofProblem {
  const list = [...missing];
  const shown = list.length > 8 ? `${list.slice(0, 8).join(", ")} and ${list.length - 8} more` : list.join(", ");
  const where = files.dirs.join(" or ");
  return problem(
    "evidence_missing",
    `the proof ${proofFile} names evidence that is not in ${where}: ${shown}; without it the proof cannot be re-checked`,
    `run it on the proof in the goal's state dir (omk proof verify <state root>/goals/${goalId}/proof.json, or set OMK_STATE_DIR to that state root), or copy the whole goal dir goals/${goalId}/ (gates/, evidence/, baseline/, reviews/ beside proof.json and oracle.json) rather than proof.json alone`,
  );
}
