/**
 * A review record (`reviews/r<round>-<pass>.json`): one review pass's verdict
 * and findings for a base and head, with what the session cost. Written
 * redacted by runReview (writeRecord), read back (through ReviewRecordSchema) when a
 * resumed run keeps the passes already done.
 */
import { CommitShaSchema, parseJsonWith, recordProblem, Sha256Schema } from "@omk/state";
import { err, ok, type Result } from "@omk/core";
import { z } from "zod";
import { ProblemSchema, SpendReportSchema } from "@omk/sessions";
import { ReviewFindingSchema, ReviewRecordPassSchema, ReviewVerdictSchema } from "./schemas.js";

/** The version of a review record file (reviews/r<round>-<pass>.json). */
export const REVIEW_RECORD_VERSION = 1;

export const ReviewRecordSchema = z.object({
  schemaVersion: z.literal(REVIEW_RECORD_VERSION),
  goalId: z.string().min(1),
  round: z.number().int().positive(),
  pass: ReviewRecordPassSchema,
  verdict: ReviewVerdictSchema,
  baseCommit: CommitShaSchema,
  headCommit: CommitShaSchema,
  engine: z.string().nullable(),
  findings: z.array(ReviewFindingSchema),
  promptSha256: Sha256Schema.nullable().describe("sha256 of the prompt sent to the engine (null for the deterministic pass, or when no session ran)"),
  transcript: z.string().nullable().describe("the session transcript, relative to the goal dir"),
  spend: SpendReportSchema,
  answerError: z.string().optional().describe("why the engine's answer was not usable, when it was not"),
  problem: ProblemSchema.optional(),
  checks: z.record(z.string(), z.unknown()).optional().describe("deterministic pass: what each check looked at"),
  followUps: z.number().int().nonnegative().optional().describe("break-it: how many follow-up proposals the answer carried"),
});

/** A review record's text through ReviewRecordSchema: the record, or a `review_record_invalid` problem naming `file`. Never a cast. */
export function parseReviewRecord(text: string, file: string): Result<z.output<typeof ReviewRecordSchema>, z.output<typeof ProblemSchema>> {
  const parsed = parseJsonWith(ReviewRecordSchema, text);
  if (parsed.ok) return ok(parsed.value);
  return err(recordProblem("review_record_invalid", file, "a review record", parsed.error, "delete it: a resumed run runs that review pass again"));
}
