import { z } from "zod";
import { IdSchema } from "../ids.js";
import { BudgetUsageSchema, SessionSpendSchema, TokenUsageSchema } from "./budget.js";
import { CommitShaSchema, ConfinementModeSchema, SCHEMA_VERSION, Sha256Schema, TimestampSchema } from "./common.js";
import { GateEvidenceSchema } from "./evidence.js";
import { TERMINAL_STATUSES } from "./status.js";

/** Why a goal ended without `ready`: a typed cause, never free text alone. */
const FAILURE_CODES = [
  "budget_exhausted",
  "cancelled_by_user",
  "gates_failed",
  "oracle_failed",
  "review_blocked",
  "scope_violation",
  "tampering",
  "stagnation",
  "needs_answer",
  "external_dependency",
  "infra_error",
  "rounds_exhausted",
  "engine_answer_invalid",
  /** The engine needs the user: a login or key refused, a model it does not offer, a protocol it does not speak (details.fix says what to do). */
  "engine_setup",
  /** A config file the run needs is broken (details: file, line, col, path, fix); the user corrects it and resumes. */
  "config_invalid",
  /** The project's dependency setup (npm ci, a venv…) failed in a checkout: details carry the command, exit code, log tail and fix. */
  "setup_failed",
] as const;
export const FailureCodeSchema = z.enum(FAILURE_CODES);
export type FailureCode = z.infer<typeof FailureCodeSchema>;

export const FailureCauseSchema = z.object({
  code: FailureCodeSchema,
  message: z.string().min(1),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type FailureCause = z.infer<typeof FailureCauseSchema>;

/** failure.json: written for every terminal status other than `ready`. */
export const FailureSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  kind: z.literal("omk.failure"),
  goalId: IdSchema,
  status: z.enum(TERMINAL_STATUSES).exclude(["ready"]),
  cause: FailureCauseSchema,
  evidence: z.array(z.string()).describe("paths, relative to the goal dir, of the evidence behind the cause"),
  resume: z.object({
    command: z.string().nullable().describe("the exact command that continues this goal; null when it cannot continue"),
    hint: z.string(),
  }),
  spend: BudgetUsageSchema,
  sessions: z.array(SessionSpendSchema).optional().describe("every engine session's spend, each exact, partial or unknown; spend.quality is the weakest"),
  confinement: ConfinementModeSchema.optional().describe(
    "how the goal's agents were confined (its least confined run): bwrap or unconfined; absent: not recorded",
  ),
  lastSeq: z.number().int().positive(),
  createdAt: TimestampSchema,
});
export type Failure = z.infer<typeof FailureSchema>;

const TaskProofSchema = z.object({
  id: IdSchema,
  branch: z.string(),
  commit: CommitShaSchema,
  changedFiles: z.array(z.string()),
  usage: TokenUsageSchema,
  usd: z.number().nonnegative().nullable(),
});

export const CriterionVerdictSchema = z.object({
  id: z.string().min(1),
  verdict: z.enum(["passed", "failed", "not_run", "vacuous"]),
  evidence: z.array(z.string()),
});

/** proof.json: written only for `ready`; every claim names evidence that can be re-checked. */
export const ProofSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  kind: z.literal("omk.proof"),
  goalId: IdSchema,
  status: z.literal("ready"),
  oracleHash: Sha256Schema,
  baseCommit: CommitShaSchema,
  headCommit: CommitShaSchema,
  tasks: z.array(TaskProofSchema),
  gates: z.array(GateEvidenceSchema),
  criteria: z.array(CriterionVerdictSchema),
  reviews: z.array(
    z.object({
      kind: z.string(),
      verdict: z.enum(["passed", "blocked"]),
      record: z.string(),
      sha256: Sha256Schema.optional().describe("digest of the record file, re-checked by omk proof verify"),
    }),
  ),
  knownGaps: z.array(z.string()),
  spend: BudgetUsageSchema,
  sessions: z
    .array(SessionSpendSchema)
    .optional()
    .describe("every engine session's spend (plan, task attempts, reviews, follow-ups), each exact, partial or unknown; spend.quality is the weakest"),
  confinement: ConfinementModeSchema.optional().describe(
    "how the goal's agents were confined (its least confined run): bwrap or unconfined; absent: not recorded",
  ),
  recheck: z.array(z.string()).describe("commands that re-check this proof"),
  lastSeq: z.number().int().positive(),
  logHead: Sha256Schema.optional().describe(
    "sha256 of the event log's line lastSeq (the chain head when the goal became ready): omk proof verify checks the goal's log still holds exactly that line",
  ),
  createdAt: TimestampSchema,
});
export type Proof = z.infer<typeof ProofSchema>;
