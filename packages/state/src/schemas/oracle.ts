import { z } from "zod";
import { IdSchema } from "../ids.js";
import { SCHEMA_VERSION, Sha256Schema } from "./common.js";
import { GateEvidenceSchema } from "./evidence.js";

/**
 * Goal classes (architecture: planner intake). `rewrite` covers rewrites,
 * ports and migrations; `hardening` covers security work; `mixed` is a goal
 * whose text carries strong signals of several classes (listed in `classes`).
 */
export const GOAL_CLASSES = ["greenfield", "feature", "bugfix", "rewrite", "refactor", "hardening", "performance", "docs", "mixed"] as const;
export const GoalClassSchema = z.enum(GOAL_CLASSES);
export type GoalClass = z.infer<typeof GoalClassSchema>;

const ConcreteGoalClassSchema = GoalClassSchema.exclude(["mixed"]);

/** The most characters of an engine's free text kept in an intake decision (reason, question, each acceptance line). */
export const INTAKE_TEXT_MAX = 500;

/**
 * The intake's decision when the engine was asked to classify a goal: what
 * the deterministic classifier read, what the engine answered (or why its
 * answer was not taken), and the result. `text` is the goal text classified
 * (with the answers given since): a resumed run reuses the decision only
 * for the same text.
 */
export const IntakeDecisionSchema = z.object({
  text: z.string().min(1),
  decidedBy: z.enum(["deterministic", "engine"]),
  status: z.enum(["classified", "blocked_on_human"]),
  classes: z.array(ConcreteGoalClassSchema).describe("the goal's classes (several: mixed); empty when blocked"),
  reason: z.string().min(1).describe("why this reading was taken"),
  deterministic: z.object({
    status: z.enum(["classified", "blocked_on_human"]),
    classes: z.array(ConcreteGoalClassSchema).describe("the classes read, or the candidates of a blocked goal"),
    strength: z.enum(["strong", "weak"]).optional(),
    why: z.string().min(1).describe("why the engine was asked: the classifier's doubt"),
  }),
  engine: z.object({
    outcome: z.enum(["classified", "needs_human", "invalid_answer", "failed"]),
    classes: z.array(ConcreteGoalClassSchema).optional(),
    reason: z.string().max(INTAKE_TEXT_MAX).optional(),
    acceptance: z
      .array(z.string().max(INTAKE_TEXT_MAX))
      .max(10)
      .optional()
      .describe("what a check should show when the goal is done, as the engine proposes it"),
    question: z.string().max(INTAKE_TEXT_MAX).optional(),
    errors: z.array(z.string()).optional().describe("why the answer was not taken (invalid_answer, failed)"),
  }),
});
export type IntakeDecision = z.infer<typeof IntakeDecisionSchema>;

/**
 * The controller's view of a gate that @omk/gates detected or loaded: what
 * planner and oracle need to know about it, as data (they never import gates).
 */
export const GateDescriptorSchema = GateEvidenceSchema.pick({ name: true, kind: true, required: true, command: true });
export type GateDescriptor = z.infer<typeof GateDescriptorSchema>;

const ArgvSchema = z.array(z.string()).min(1).describe('argv; a shell script is ["sh", "-c", script]');

const base = {
  id: IdSchema,
  description: z.string().min(1),
  mustFailOnBase: z.boolean().describe("red on the base commit first, then green on the head commit"),
};

/** A command that must exit 0 on the head commit. */
const CommandCriterionSchema = z.object({
  ...base,
  kind: z.literal("command"),
  run: z.object({ command: ArgvSchema, cwd: z.string().min(1).describe("relative to the repository root") }),
});

/** A test case, found by name in the JUnit report the test command writes. */
const TestCaseCriterionSchema = z.object({
  ...base,
  kind: z.literal("test_case"),
  run: z.object({
    command: ArgvSchema.describe("the test command; on the base commit it runs the head's tests against the base's code"),
    case: z.object({
      name: z.string().min(1),
      match: z.enum(["exact", "contains"]).describe("exact: `classname name` or `name` equals; contains: either holds the text"),
    }),
  }),
});

/** A gate of the project's gate set, by name, as @omk/gates ran it. */
const GateCriterionSchema = z.object({
  ...base,
  kind: z.literal("gate"),
  run: z.object({ gate: z.string().min(1) }),
});

/** A comparison between the base and the head commit: same output, or no passing test lost. */
const GoldenCriterionSchema = z.object({
  ...base,
  mustFailOnBase: z.literal(false),
  kind: z.literal("golden"),
  run: z.object({
    command: ArgvSchema,
    compare: z.enum(["stdout", "passing_cases"]).describe("stdout: byte-equal output; passing_cases: every case passing on base passes on head"),
  }),
});

/** A measurement on base and head; head must be better by `minImprovement` (a fraction; negative allows a regression). */
const BenchmarkCriterionSchema = z.object({
  ...base,
  mustFailOnBase: z.literal(false),
  kind: z.literal("benchmark"),
  run: z.object({
    command: ArgvSchema,
    metric: z.discriminatedUnion("source", [
      z.object({ source: z.literal("duration"), unit: z.literal("ms") }),
      z.object({
        source: z.literal("stdout"),
        pattern: z.string().min(1).describe("a regular expression whose first group is the number, matched on the last matching line"),
        unit: z.string().min(1),
      }),
    ]),
    better: z.enum(["lower", "higher"]),
    minImprovement: z.number().gt(-1).lt(1),
  }),
});

/** A judgment recorded by a review task (never by the implementing agent). */
export const ReviewCriterionSchema = z.object({
  ...base,
  mustFailOnBase: z.literal(false),
  kind: z.literal("review"),
  run: z.object({ reviewer: z.enum(["reviewer", "security-reviewer"]), checklist: z.array(z.string().min(1)).min(1) }),
});

export const CriterionSchema = z.discriminatedUnion("kind", [
  CommandCriterionSchema,
  TestCaseCriterionSchema,
  GateCriterionSchema,
  GoldenCriterionSchema,
  BenchmarkCriterionSchema,
  ReviewCriterionSchema,
]);
export type Criterion = z.infer<typeof CriterionSchema>;

/** What "done" means for a goal: checks a machine can run (a review is recorded by a reviewer task). */
export const OracleSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    goalClass: GoalClassSchema,
    classes: z.array(GoalClassSchema).min(1).describe("the classes the criteria were shaped by; several for a mixed goal"),
    criteria: z.array(CriterionSchema).min(1),
  })
  .superRefine((oracle, ctx) => {
    const seen = new Set<string>();
    oracle.criteria.forEach((criterion, index) => {
      if (seen.has(criterion.id)) {
        ctx.addIssue({ code: "custom", path: ["criteria", index, "id"], message: `criterion id "${criterion.id}" is used twice` });
      }
      seen.add(criterion.id);
    });
  });
export type Oracle = z.infer<typeof OracleSchema>;

/** oracle.json: the frozen oracle; `hash` is the sha256 of the canonical JSON (RFC 8785) of `oracle`. */
export const FrozenOracleSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  kind: z.literal("omk.oracle"),
  revision: z.number().int().positive(),
  hash: Sha256Schema,
  previousHash: Sha256Schema.nullable(),
  reason: z.string().nullable().describe("why this revision was made; null for the first"),
  oracle: OracleSchema,
});
export type FrozenOracle = z.infer<typeof FrozenOracleSchema>;
