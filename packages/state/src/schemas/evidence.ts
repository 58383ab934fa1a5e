import { z } from "zod";
import { CommitShaSchema, Sha256Schema } from "./common.js";

/** A log file named by a proof, with its digest so the claim can be re-checked. */
const LogDigestSchema = z.object({ path: z.string().min(1), sha256: Sha256Schema, bytes: z.number().int().nonnegative() });

/** The proof's view of one gate result; the controller maps @omk/gates results into it. */
export const GateEvidenceSchema = z.object({
  name: z.string().min(1),
  kind: z.enum(["test", "lint", "typecheck", "build", "security", "dependency", "benchmark", "golden", "custom"]),
  required: z.boolean(),
  command: z.array(z.string()).min(1),
  cwd: z.string(),
  outcome: z.enum(["passed", "failed", "flaky", "timed_out", "error", "skipped"]),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  durationMs: z.number().int().nonnegative(),
  logs: z.array(LogDigestSchema),
  commit: CommitShaSchema,
  dirty: z.boolean(),
  baseline: z.enum(["new_failure", "fixed", "pre_existing_failure", "unchanged_pass", "no_baseline"]).optional(),
  toolVersions: z.record(z.string(), z.string()).default({}),
});
export type GateEvidence = z.infer<typeof GateEvidenceSchema>;
