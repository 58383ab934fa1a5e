/**
 * A round's verdict: ready or not, and every failing item (gate, criterion,
 * blocking finding, conflict) with its detail. Kept in `rounds/r<n>.json` so
 * follow-ups and the stagnation check survive a restart.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { FailureCode } from "@omk/state";
import type { RedactedFiles } from "./redacted-files.js";

export type FailingItem = {
  readonly kind: "gate" | "criterion" | "finding" | "integration" | "task";
  /** Stable name: the same failure in two rounds has the same key. */
  readonly key: string;
  readonly detail: string;
  /** Files involved (an integration conflict's files: the follow-up takes them into its write set). */
  readonly files?: readonly string[];
};

export type RoundVerdict = {
  readonly round: number;
  readonly headCommit: string;
  readonly ready: boolean;
  /** Why not ready (null when ready). */
  readonly cause: FailureCode | null;
  readonly failing: readonly FailingItem[];
  /** Evidence paths, relative to the goal dir. */
  readonly evidence: readonly string[];
  /** Criterion ids that failed (follow-up acceptance). */
  readonly failedCriteria: readonly string[];
};

export const verdictFile = (goalDir: string, round: number) => path.join(goalDir, "rounds", `r${round}.json`);

/** Writes rounds/r<n>.json through `files` (the run's redactor: failing details quote gate logs and reviewers). */
export function writeVerdict(files: RedactedFiles, goalDir: string, verdict: RoundVerdict): void {
  mkdirSync(path.join(goalDir, "rounds"), { recursive: true });
  files.writeJson(verdictFile(goalDir, verdict.round), verdict, { atomic: true });
}

export function readVerdict(goalDir: string, round: number): RoundVerdict | null {
  try {
    return JSON.parse(readFileSync(verdictFile(goalDir, round), "utf8")) as RoundVerdict;
  } catch {
    return null;
  }
}

/** The cause of a not_ready verdict, most specific first. */
export function causeOf(failing: readonly FailingItem[]): FailureCode {
  const has = (kind: FailingItem["kind"], prefix = "") => failing.some((f) => f.kind === kind && f.key.startsWith(prefix));
  if (has("finding", "tamper:")) return "tampering";
  if (has("finding", "scope:") || has("task", "scope:")) return "scope_violation";
  if (has("gate")) return "gates_failed";
  if (has("criterion") || has("integration") || has("task")) return "oracle_failed";
  return "review_blocked";
}

/** Stagnation: the same integrated head as the previous round, or the same failing set. */
export function stagnated(previous: RoundVerdict | null, current: RoundVerdict): string | null {
  if (previous === null) return null;
  if (previous.headCommit === current.headCommit) return `round ${current.round} changed nothing: the integrated head is still ${current.headCommit.slice(0, 12)}`;
  const keys = (v: RoundVerdict) => [...new Set(v.failing.map((f) => f.key))].sort().join("\n");
  if (keys(previous) === keys(current)) return `round ${current.round} failed on exactly what round ${previous.round} failed on`;
  return null;
}
