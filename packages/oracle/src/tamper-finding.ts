/**
 * A tamper finding: its kind (test_deleted, assertion_loosened,
 * lockfile_churn…), the file, the line and which side of the diff it counts
 * in, the evidence and a message for the review phase; and the sink every
 * tamper rule (internal/tamper-*.ts) emits findings to.
 */
import { z } from "zod";

const TAMPER_KINDS = [
  "test_deleted",
  "test_removed",
  "test_skipped",
  "test_focused",
  "assertion_removed",
  "assert_commented_out",
  "snapshot_updated",
  "threshold_lowered",
  "assertion_loosened",
  "timeout_weakened",
  "assertion_guarded",
  "assertion_unreachable",
  "expected_replaced",
  "gate_config_edited",
  "lockfile_churn",
] as const;
const TamperKindSchema = z.enum(TAMPER_KINDS);

export const TamperFindingSchema = z.object({
  kind: TamperKindSchema,
  file: z.string().min(1),
  line: z.number().int().positive().nullable(),
  side: z.enum(["old", "new"]).nullable().describe("which file `line` counts in: old for removed lines, new for added ones"),
  evidence: z.string(),
  message: z.string().min(1),
});
export type TamperFinding = z.infer<typeof TamperFindingSchema>;

/** Where a tamper rule sends each finding. */
export type Emit = (finding: TamperFinding) => void;
