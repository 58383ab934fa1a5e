import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { type EvidenceSet, EvidenceSetSchema, type ReviewResult } from "@omk/oracle";
import { type FrozenOracle, type GoalEvent, type GoalStore, type Proof, ProofSchema, type Result, err, ok } from "@omk/state";
import type { ControllerProblem } from "../types.js";
import { messageOf, problem } from "./problem.js";

const PROOF_FIX = "pass the path of a goal's proof.json (omk proof verify <goal dir>/proof.json); a goal writes one when it ends ready";

/** proof.json, checked: a clear problem for a missing, unreadable, corrupt or foreign file. A directory means its proof.json. */
export function readProof(file: string): Result<{ file: string; proof: Proof; raw: Record<string, unknown> }, ControllerProblem> {
  let target = path.resolve(file);
  if (existsSync(target) && statSync(target).isDirectory()) target = path.join(target, "proof.json");
  let text: string;
  try {
    text = readFileSync(target, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return err(problem("proof_missing", `${target} does not exist`, PROOF_FIX));
    return err(problem("proof_unreadable", `${target} cannot be read: ${messageOf(cause)}`, PROOF_FIX));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    return err(problem("proof_corrupt", `${target} is not JSON: ${messageOf(cause)}`, "restore the proof file the goal wrote (it was damaged), or run the goal again"));
  }
  const kind = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)["kind"] : undefined;
  if (kind === "omk.failure") {
    const status = (raw as Record<string, unknown>)["status"];
    return err(problem("proof_foreign", `${target} is a failure record (status ${String(status)}), not a proof: the goal did not end ready, so there is no verdict to re-check`, "read the failure's cause and resume the goal; verify its proof.json once it is ready"));
  }
  if (kind !== "omk.proof") {
    return err(problem("proof_foreign", `${target} is not an omk proof (its kind is ${kind === undefined ? "missing" : JSON.stringify(kind)})`, PROOF_FIX));
  }
  const parsed = ProofSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    return err(problem("proof_corrupt", `${target} does not match the proof schema: ${issues.slice(0, 5).join("; ")}`, "restore the proof file the goal wrote (it was edited or damaged), or run the goal again"));
  }
  return ok({ file: target, proof: parsed.data, raw: raw as Record<string, unknown> });
}

export const sha256OfFile = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Digests the goal's event log recorded for files of the goal dir (relative path → sha256): baseline, evaluations, reviews. */
export type RecordedFiles = {
  readonly digests: ReadonlyMap<string, string>;
  /** Evidence files of the latest evaluation of the head commit, then the baseline's. */
  readonly evidence: readonly string[];
};

export function recordedFiles(events: readonly GoalEvent[], headCommit: string): RecordedFiles {
  const digests = new Map<string, string>();
  const evaluated: string[] = [];
  const baseline: string[] = [];
  for (const e of events) {
    if (e.type === "baseline_recorded") {
      digests.set(path.normalize(e.data.evidence.path), e.data.evidence.sha256);
      baseline.splice(0, baseline.length, path.normalize(e.data.evidence.path));
    } else if (e.type === "oracle_evaluated") {
      for (const f of e.data.evidence) digests.set(path.normalize(f.path), f.sha256);
      if (e.data.headCommit === headCommit) evaluated.splice(0, evaluated.length, ...e.data.evidence.map((f) => path.normalize(f.path)));
    } else if (e.type === "review_recorded") {
      digests.set(path.normalize(e.data.record.path), e.data.record.sha256);
    }
  }
  return { digests, evidence: [...evaluated, ...baseline] };
}

/** The goal's events when the store holds the proof's goal; [] otherwise. */
export async function goalEvents(store: GoalStore | undefined, goalId: string): Promise<{ events: GoalEvent[]; repoRoot: string | null }> {
  if (store === undefined) return { events: [], repoRoot: null };
  try {
    const goal = await store.readGoal(goalId);
    return { events: await store.readEvents(goalId), repoRoot: goal.repoRoot };
  } catch {
    return { events: [], repoRoot: null };
  }
}

/**
 * A recorded file of the goal dir, checked against the digest the log holds
 * for it (when it holds one). Problems are appended to `problems`.
 */
function checkedFile(goalDir: string, rel: string, recorded: RecordedFiles, problems: string[], what: string): string | undefined {
  const file = path.resolve(goalDir, rel);
  if (!existsSync(file)) {
    problems.push(`${what} ${rel} named by the goal's record is missing`);
    return undefined;
  }
  const want = recorded.digests.get(path.normalize(rel));
  if (want !== undefined && sha256OfFile(file) !== want) {
    problems.push(`${what} ${rel} was changed after it was recorded (sha256 differs from the goal's log)`);
    return undefined;
  }
  return file;
}

/** Recorded evidence sets of the goal (the latest evaluation of the head, then the baseline), digest-checked and bound to the oracle. */
export function recordedEvidence(goalDir: string, recorded: RecordedFiles, frozen: FrozenOracle, problems: string[]): EvidenceSet[] {
  const files = recorded.evidence.length > 0 ? recorded.evidence : existsSync(path.join(goalDir, "baseline", "evidence.json")) ? [path.join("baseline", "evidence.json")] : [];
  const sets: EvidenceSet[] = [];
  for (const rel of files) {
    const file = checkedFile(goalDir, rel, recorded, problems, "the evidence file");
    if (file === undefined) continue;
    try {
      const set = EvidenceSetSchema.parse(JSON.parse(readFileSync(file, "utf8")));
      if (set.oracleHash !== frozen.hash) problems.push(`the evidence file ${rel} was produced against oracle ${set.oracleHash}, not ${frozen.hash}: not used`);
      else sets.push(set);
    } catch (cause) {
      problems.push(`the evidence file ${rel} is not an evidence set: ${messageOf(cause)}`);
    }
  }
  return sets;
}

/**
 * The review verdicts to judge review criteria by: the recorded head evidence's
 * reviews, else the proof's reviews matched to the oracle's review criteria
 * by reviewer. A verdict counts only when its record file exists with the
 * digest the proof (or the goal's log) names.
 */
export function checkedReviews(input: {
  proof: Proof;
  raw: Record<string, unknown>;
  frozen: FrozenOracle;
  goalDir: string;
  recorded: RecordedFiles;
  headSets: readonly EvidenceSet[];
  problems: string[];
}): ReviewResult[] {
  const fromSets = input.headSets.flatMap((s) => s.reviews);
  const rawReviews = Array.isArray(input.raw["reviews"]) ? (input.raw["reviews"] as unknown[]) : [];
  const proofDigests = new Map<string, string>();
  for (const r of rawReviews) {
    const record = (r as Record<string, unknown> | null)?.["record"];
    const sha = (r as Record<string, unknown> | null)?.["sha256"];
    if (typeof record === "string" && typeof sha === "string") proofDigests.set(path.normalize(record), sha);
  }
  const results: ReviewResult[] =
    fromSets.length > 0
      ? fromSets
      : input.frozen.oracle.criteria.flatMap((c) =>
          c.kind !== "review" ? [] : input.proof.reviews.filter((r) => r.kind === c.run.reviewer).map((r) => ({ criterionId: c.id, verdict: r.verdict, record: r.record })),
        );
  const digests = new Map([...input.recorded.digests, ...proofDigests]);
  const out: ReviewResult[] = [];
  for (const r of results) {
    const file = checkedFile(input.goalDir, r.record, { ...input.recorded, digests }, input.problems, "the review record");
    if (file === undefined) continue;
    if (!digests.has(path.normalize(r.record))) input.problems.push(`the review record ${r.record} has no recorded sha256: its presence was checked, not its content`);
    out.push(r);
  }
  return out;
}
