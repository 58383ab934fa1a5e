import { z } from "zod";
import { BuiltinSchema, GateKindSchema, GateNameSchema } from "./config.js";
import { SetupFailureSchema, SetupOutcomeSchema } from "./setup.js";

export const REPORT_SCHEMA_VERSION = 1;

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, "a lowercase hex sha256");
const CommitShaSchema = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "a full git commit sha");
const TimestampSchema = z.iso.datetime({ offset: true });

/** Outcome of one gate. `flaky`: failed, then passed on a retry (not a pass). */
export const GATE_OUTCOMES = ["passed", "failed", "flaky", "timed_out", "error", "skipped"] as const;
export const GateOutcomeSchema = z.enum(GATE_OUTCOMES);
export type GateOutcome = z.infer<typeof GateOutcomeSchema>;

/** A log file as written: redacted, capped (head and tail kept), with the sha256 of the file's bytes. */
export const LogFileSchema = z.object({
  path: z.string().min(1).describe("relative to the run's output directory"),
  sha256: Sha256Schema.describe("of the file as written"),
  bytes: z.number().int().nonnegative().describe("size of the file"),
  totalBytes: z.number().int().nonnegative().describe("bytes the gate produced (after redaction), before the cap"),
  truncated: z.boolean().describe("the middle was left out to keep the file under the cap"),
});
export type LogFile = z.infer<typeof LogFileSchema>;

export const AttemptSchema = z.object({
  attempt: z.number().int().positive(),
  outcome: GateOutcomeSchema,
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number().int().nonnegative(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

const TEST_OUTCOMES = ["passed", "failed", "skipped", "flaky"] as const;
export const TestCaseSchema = z.object({
  id: z.string().min(1).describe("suite or classname, '::', test name"),
  outcome: z.enum(TEST_OUTCOMES),
  durationMs: z.number().nonnegative().optional(),
  message: z.string().optional().describe("first line of the failure message (redacted)"),
});
export type TestCase = z.infer<typeof TestCaseSchema>;

export const BenchmarkResultSchema = z.object({
  samples: z.array(z.number()).describe("the figure of each run that produced one"),
  median: z.number().nullable(),
  better: z.enum(["lower", "higher"]),
  maxRatio: z.number(),
  unit: z.string().optional(),
});
export type BenchmarkResult = z.infer<typeof BenchmarkResultSchema>;

export const GoldenResultSchema = z.object({
  checks: z.array(z.enum(["exitCode", "stdout", "output"])).describe("what a comparison with the baseline looks at"),
  exitCode: z.number().int().nullable(),
  stdoutSha256: Sha256Schema.describe("of the whole stdout (redacted), not only the kept log"),
  outputs: z.array(z.object({ path: z.string(), sha256: Sha256Schema.nullable(), bytes: z.number().int().nullable() })),
});
export type GoldenResult = z.infer<typeof GoldenResultSchema>;

export const SecretFindingSchema = z.object({
  rule: z.string(),
  file: z.string(),
  line: z.number().int().positive(),
  excerpt: z.string().describe("the line with the secret redacted"),
});
export type SecretFinding = z.infer<typeof SecretFindingSchema>;

export const DependencyChangeSchema = z.object({
  ecosystem: z.enum(["npm", "cargo", "go", "python"]),
  file: z.string().describe("manifest or lockfile"),
  section: z.string().describe("e.g. dependencies, devDependencies, lockfile"),
  name: z.string(),
  change: z.enum(["added", "changed", "removed"]),
  from: z.string().nullable(),
  to: z.string().nullable(),
});
export type DependencyChange = z.infer<typeof DependencyChangeSchema>;

export const GateResultSchema = z.object({
  name: GateNameSchema,
  kind: GateKindSchema,
  required: z.boolean(),
  builtin: BuiltinSchema.optional(),
  command: z.array(z.string()).min(1).describe("as run (redacted); a shell command is one element"),
  shell: z.boolean(),
  cwd: z.string(),
  outcome: GateOutcomeSchema,
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  startedAt: TimestampSchema,
  durationMs: z.number().int().nonnegative(),
  attempts: z.array(AttemptSchema),
  logs: z.object({ stdout: LogFileSchema, stderr: LogFileSchema }),
  tail: z.object({ stdout: z.array(z.string()), stderr: z.array(z.string()) }).describe("last lines of each stream (redacted)"),
  toolVersions: z.record(z.string(), z.string()),
  commit: CommitShaSchema.nullable().describe("HEAD of the tree the gate ran on; null outside git"),
  dirty: z.boolean().nullable().describe("the tree had uncommitted changes; null outside git"),
  junit: LogFileSchema.omit({ totalBytes: true, truncated: true }).optional().describe("the JUnit report, copied (redacted)"),
  tests: z.array(TestCaseSchema).optional(),
  benchmark: BenchmarkResultSchema.optional(),
  golden: GoldenResultSchema.optional(),
  findings: z.array(SecretFindingSchema).optional(),
  dependencies: z.array(DependencyChangeSchema).optional(),
  error: z.string().optional().describe("why the gate could not run or be judged"),
  notes: z.array(z.string()),
});
export type GateResult = z.infer<typeof GateResultSchema>;

export const BASELINE_STATUSES = ["new_failure", "fixed", "pre_existing_failure", "unchanged_pass", "no_baseline"] as const;
export const BaselineStatusSchema = z.enum(BASELINE_STATUSES);
export type BaselineStatus = z.infer<typeof BaselineStatusSchema>;

export const GateComparisonSchema = z.object({
  name: GateNameSchema,
  kind: GateKindSchema,
  required: z.boolean(),
  base: GateOutcomeSchema.nullable(),
  head: GateOutcomeSchema,
  status: BaselineStatusSchema,
  blocking: z.boolean().describe("this gate stops the change: required and a new failure (or failing with no baseline)"),
  flaky: z.boolean(),
  tests: z.object({ newFailures: z.array(z.string()), fixed: z.array(z.string()), preExisting: z.array(z.string()), flaky: z.array(z.string()) }).optional(),
  benchmark: z
    .object({ base: z.number().nullable(), head: z.number().nullable(), ratio: z.number().nullable(), maxRatio: z.number(), regressed: z.boolean() })
    .optional(),
  golden: z
    .object({
      equal: z.boolean(),
      differences: z.array(
        z.object({ what: z.enum(["exitCode", "stdout", "output"]), path: z.string().optional(), base: z.string().nullable(), head: z.string().nullable() }),
      ),
    })
    .optional(),
  reason: z.string(),
});
export type GateComparison = z.infer<typeof GateComparisonSchema>;

export const ComparisonSchema = z.object({
  base: z.object({
    ref: z.string(),
    commit: CommitShaSchema.nullable(),
    report: z.string().nullable().describe("path of the base run's report.json"),
    setupFailed: SetupFailureSchema.optional().describe(
      "the base checkout's dependency setup failed: its gates are no_baseline, required gates are judged on head alone",
    ),
  }),
  verdict: z.enum(["passed", "failed"]).describe("failed when a blocking gate exists"),
  gates: z.array(GateComparisonSchema),
  summary: z.object({
    newFailures: z.array(z.string()),
    fixed: z.array(z.string()),
    preExisting: z.array(z.string()),
    noBaseline: z.array(z.string()),
    flaky: z.array(z.string()),
  }),
});
export type Comparison = z.infer<typeof ComparisonSchema>;

export const GatesReportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  kind: z.literal("omk.gates.report"),
  tool: z.object({ name: z.string(), version: z.string() }),
  runId: z.string().min(1),
  root: z.string().describe("project root the gates ran in"),
  outDir: z.string().describe("where logs and this report were written"),
  commit: CommitShaSchema.nullable(),
  dirty: z.boolean().nullable(),
  diffBase: z.object({ ref: z.string(), commit: CommitShaSchema.nullable() }).nullable().describe("what builtin gates diffed against"),
  config: z.object({ source: z.enum(["file", "detected", "inline"]), path: z.string().nullable() }),
  startedAt: TimestampSchema,
  finishedAt: TimestampSchema,
  durationMs: z.number().int().nonnegative(),
  verdict: z.enum(["passed", "failed"]).describe("without a comparison: passed only when every required gate passed; with one: the comparison's verdict"),
  summary: z.object({
    total: z.number().int().nonnegative(),
    byOutcome: z.record(GateOutcomeSchema, z.number().int().nonnegative()),
    requiredNotPassing: z.array(z.string()),
  }),
  gates: z.array(GateResultSchema),
  comparison: ComparisonSchema.optional(),
  setup: SetupOutcomeSchema.optional().describe("the dependency setup of this checkout, when the caller made one (failed: no gate ran, verdict failed)"),
});
export type GatesReport = z.infer<typeof GatesReportSchema>;
