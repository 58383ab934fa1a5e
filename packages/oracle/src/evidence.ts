import { CommitShaSchema, GateEvidenceSchema, Sha256Schema } from "@omk/state";
import { z } from "zod";

/**
 * What the controller ran for the oracle on one commit, as data: the oracle
 * never runs anything itself. Every set is bound to the oracle hash it was
 * produced against and to the commit it ran on.
 */

/** One run of a criterion's command (command, golden and benchmark criteria). */
const CommandResultSchema = z.object({
  criterionId: z.string().min(1),
  command: z.array(z.string()).min(1),
  exitCode: z.number().int().nullable().describe("null when the process was killed by a signal"),
  signal: z.string().nullable().default(null),
  timedOut: z.boolean().default(false),
  durationMs: z.number().nonnegative(),
  stdout: z.string().default("").describe("the output (or its tail); benchmark metrics are read from it"),
  stdoutSha256: Sha256Schema.optional().describe("digest of the whole output; golden comparisons use it when present"),
});
export type CommandResult = z.infer<typeof CommandResultSchema>;

/** One test case of a JUnit report. */
const JunitCaseSchema = z.object({
  classname: z.string().default(""),
  name: z.string().min(1),
  status: z.enum(["passed", "failed", "error", "skipped"]),
  assertions: z.number().int().nonnegative().optional().describe("when the report counts them; 0 proves nothing"),
  file: z.string().optional(),
});
export type JunitCase = z.infer<typeof JunitCaseSchema>;

/** A review task's verdict on a review criterion. */
const ReviewResultSchema = z.object({
  criterionId: z.string().min(1),
  verdict: z.enum(["passed", "blocked"]),
  record: z.string().min(1).describe("path of the review record, relative to the goal dir"),
});
export type ReviewResult = z.infer<typeof ReviewResultSchema>;

export const EvidenceSetSchema = z.object({
  oracleHash: Sha256Schema.describe("the frozen oracle the evidence was produced against"),
  commit: CommitShaSchema,
  commands: z.array(CommandResultSchema).default([]),
  gates: z.array(GateEvidenceSchema).default([]),
  junit: z.array(JunitCaseSchema).default([]).describe("this commit's tests run on this commit's code"),
  headTests: z
    .array(JunitCaseSchema)
    .optional()
    .describe("base only: the head's tests run against the base's code, the red half of red → green (junit is used when absent)"),
  reviews: z.array(ReviewResultSchema).default([]),
  testNotes: z
    .array(z.string())
    .default([])
    .describe("why a test command gave no per-test cases on this commit (one line each); shown when a test criterion is not_run"),
});
export type EvidenceSet = z.infer<typeof EvidenceSetSchema>;
export type EvidenceSetInput = z.input<typeof EvidenceSetSchema>;
