/** Review records: `reviews/r<round>-<pass>.json` under the goal dir, written atomically and redacted, with their sha256. */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { createRedactor } from "@omk/gates";
import { writeFileAtomicSync } from "@omk/state";
import type { ControllerProblem, ReviewFinding, ReviewPass, SpendReport } from "../types.js";
import type { ReviewRecordRef } from "./types.js";

export const REVIEW_RECORD_VERSION = 1;

export type ReviewRecord = {
  readonly schemaVersion: typeof REVIEW_RECORD_VERSION;
  readonly goalId: string;
  readonly round: number;
  readonly pass: ReviewPass | "deterministic";
  readonly verdict: "passed" | "blocked";
  readonly baseCommit: string;
  readonly headCommit: string;
  readonly engine: string | null;
  readonly findings: readonly ReviewFinding[];
  /** sha256 of the prompt sent to the engine (null for the deterministic pass, or when no session ran). */
  readonly promptSha256: string | null;
  /** The session transcript, relative to the goal dir. */
  readonly transcript: string | null;
  readonly spend: SpendReport;
  /** Why the engine's answer was not usable, when it was not. */
  readonly answerError?: string;
  readonly problem?: ControllerProblem;
  /** Deterministic pass: what each check looked at. */
  readonly checks?: Readonly<Record<string, unknown>>;
  /** Break-it: how many follow-up proposals the answer carried. */
  readonly followUps?: number;
};

export const recordFile = (round: number, pass: ReviewPass | "deterministic") => `reviews/r${round}-${pass}.json`;

export const sha256Of = (text: string) => createHash("sha256").update(text).digest("hex");

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
  return { pass: record.pass, verdict: record.verdict, file: rel, sha256: sha256Of(text) };
}
