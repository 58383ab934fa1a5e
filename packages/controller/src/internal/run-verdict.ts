/**
 * A round's verdict: ready or not, and every failing item (gate, criterion,
 * blocking finding, conflict) with its detail. Kept in `rounds/r<n>.json` so
 * follow-ups and the stagnation check survive a restart.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { FailureCode } from "@omk/state";
import type { z } from "zod";
import { type FailingItemSchema, readRoundVerdictFile, type RoundVerdictSchema } from "../schemas/verdict.js";
import type { RedactedFiles } from "@omk/proof";

export type FailingItem = z.infer<typeof FailingItemSchema>;
export type RoundVerdict = z.infer<typeof RoundVerdictSchema>;

export const verdictFile = (goalDir: string, round: number) => path.join(goalDir, "rounds", `r${round}.json`);

/** Writes rounds/r<n>.json through `files` (the run's redactor: failing details quote gate logs and reviewers). */
export function writeVerdict(files: RedactedFiles, goalDir: string, verdict: RoundVerdict): void {
  mkdirSync(path.join(goalDir, "rounds"), { recursive: true });
  files.writeJson(verdictFile(goalDir, verdict.round), verdict, { atomic: true });
}

/** The round's verdict, parsed through RoundVerdictSchema; null when there is none or it is not valid (readRoundVerdictFile names why): the round is verified again. */
export function readVerdict(goalDir: string, round: number): RoundVerdict | null {
  const read = readRoundVerdictFile(verdictFile(goalDir, round));
  return read.ok ? read.value : null;
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
  if (previous.headCommit === current.headCommit)
    return `round ${current.round} changed nothing: the integrated head is still ${current.headCommit.slice(0, 12)}`;
  const keys = (v: RoundVerdict) => [...new Set(v.failing.map((f) => f.key))].sort().join("\n");
  if (keys(previous) === keys(current)) return `round ${current.round} failed on exactly what round ${previous.round} failed on`;
  return null;
}
