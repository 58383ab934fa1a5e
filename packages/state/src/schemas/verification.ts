import { z } from "zod";
import { CommitShaSchema, Sha256Schema, TimestampSchema } from "./common.js";
import { GateEvidenceSchema } from "./evidence.js";

/**
 * What `omk goal verify --checkout DIR --out FILE` writes: the wall's verdict
 * on a checkout with no goal (plain CI use), naming its evidence.
 */
export const VerificationRecordSchema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal("omk.verification"),
  verdict: z.enum(["passed", "failed"]),
  repo: z.string(),
  commit: CommitShaSchema,
  dirty: z.boolean(),
  base: z.object({ ref: z.string(), commit: CommitShaSchema }).nullable(),
  gates: z.array(GateEvidenceSchema),
  report: z.object({
    path: z.string().describe("relative to this file's directory (the logs live in the state dir: verifications/<run-id>/)"),
    sha256: Sha256Schema,
  }),
  recheck: z.array(z.string()).describe("commands that re-check this record"),
  createdAt: TimestampSchema,
});
export type VerificationRecord = z.infer<typeof VerificationRecordSchema>;
