/** Review records: `reviews/r<round>-<pass>.json` under the goal dir, written atomically and redacted, with their sha256. */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createRedactor, sha256 } from "@omk/core";
import type { ReviewResult } from "@omk/oracle";
import { type GoalEvent, writeFileAtomicSync } from "@omk/state";
import { parseReviewRecord } from "./review-record.js";
import type { KeptReviewRecord, ReviewCriterion, ReviewRecord, ReviewRecordRef } from "./types.js";
import type { ReviewPass } from "@omk/sessions";

export const recordFile = (round: number, pass: ReviewPass | "deterministic") => `reviews/r${round}-${pass}.json`;

/** Writes the record (every string redacted) and returns its reference. */
export function writeRecord(
  goalDir: string,
  record: ReviewRecord,
  redaction: { env: Readonly<Record<string, string | undefined>>; secrets: readonly string[] },
): ReviewRecordRef {
  const redactor = createRedactor({ env: { ...redaction.env }, values: redaction.secrets });
  const text = `${JSON.stringify(redactor.redactDeep(record), null, 2)}\n`;
  const rel = recordFile(record.round, record.pass);
  const file = path.join(goalDir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomicSync(file, text);
  return { pass: record.pass, verdict: record.verdict, file: rel, sha256: sha256(text) };
}

/**
 * The review records the log holds for `round` (the last one of each pass),
 * read back and checked: the file has the digest the log recorded, parses
 * through ReviewRecordSchema (parseReviewRecord) and names the same base and
 * head. Anything else is left out (its pass runs again).
 */
export function readKeptReviews(input: {
  goalDir: string;
  events: readonly GoalEvent[];
  round: number;
  baseCommit: string;
  headCommit: string;
}): Map<ReviewPass | "deterministic", KeptReviewRecord> {
  const last = new Map<ReviewPass | "deterministic", { path: string; sha256: string }>();
  for (const e of input.events) if (e.type === "review_recorded" && e.data.round === input.round) last.set(e.data.pass, e.data.record);
  const kept = new Map<ReviewPass | "deterministic", KeptReviewRecord>();
  for (const [pass, ref] of last) {
    let text: string;
    try {
      text = readFileSync(path.join(input.goalDir, ref.path), "utf8");
    } catch {
      continue;
    }
    if (sha256(text) !== ref.sha256) continue;
    const parsed = parseReviewRecord(text, ref.path);
    if (!parsed.ok) continue;
    const record = parsed.value;
    if (record.pass !== pass || record.round !== input.round || record.headCommit !== input.headCommit || record.baseCommit !== input.baseCommit) continue;
    kept.set(pass, { record, ref: { pass, verdict: record.verdict, file: ref.path, sha256: ref.sha256 } });
  }
  return kept;
}

/** One result per review criterion: passed when its reviewer's record passed and so did the deterministic checks. */
export function reviewResultsOf(
  criteria: readonly ReviewCriterion[],
  records: ReadonlyMap<ReviewPass | "deterministic", Pick<ReviewRecordRef, "verdict" | "file">>,
): ReviewResult[] {
  const deterministic = records.get("deterministic");
  return criteria.map((c) => {
    const record = records.get(c.run.reviewer);
    const verdict = record !== undefined && record.verdict === "passed" && deterministic?.verdict === "passed" ? "passed" : "blocked";
    return { criterionId: c.id, verdict, record: record?.file ?? deterministic?.file ?? recordFile(0, c.run.reviewer) };
  });
}
