import path from "node:path";
import { z } from "zod";
import { parseDurationMs } from "../internal/duration.js";

export const GATE_KINDS = ["test", "lint", "typecheck", "build", "security", "dependency", "benchmark", "golden", "custom"] as const;
export const GateKindSchema = z.enum(GATE_KINDS);
export type GateKind = z.infer<typeof GateKindSchema>;

/** Gate names become file names (logs), so they are short and plain. */
export const GateNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a gate name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");

const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name");

/** A duration: seconds as a number, or text such as "90s", "10m", "1h30m", "500ms". Parsed to milliseconds. */
export const DurationSchema = z
  .union([z.number().positive(), z.string().min(1)])
  .transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a duration (use e.g. 90, "90s", "10m", "1h30m")` });
      return z.NEVER;
    }
    return ms;
  })
  .describe('seconds, or a duration such as "90s", "10m", "1h30m"');

/**
 * How a benchmark's figure is read from one run's stdout (after redaction):
 * `regex`: the first capture group (or the whole match) of the LAST match;
 * `json`: a dot path (`results.0.median`) into the last line of stdout that
 * parses as JSON (or the whole stdout). The figure must be a finite number.
 */
export const FigureSchema = z.union([
  z.object({ regex: z.string().min(1) }).strict(),
  z.object({ json: z.string().min(1).describe("dot path, e.g. results.0.median") }).strict(),
]);
export type Figure = z.infer<typeof FigureSchema>;

export const BenchmarkSpecSchema = z.object({
  runs: z.number().int().min(1).max(100).default(5).describe("the command runs this many times; the median is compared"),
  figure: FigureSchema,
  better: z.enum(["lower", "higher"]).default("lower").describe("lower (times) or higher (throughput) is better"),
  maxRatio: z.number().min(1).default(1.1).describe("allowed worsening against the baseline's median, e.g. 1.1 = 10%"),
  unit: z.string().optional(),
});
export type BenchmarkSpec = z.infer<typeof BenchmarkSpecSchema>;

export const GoldenSpecSchema = z.object({
  exitCode: z.boolean().default(true),
  stdout: z.boolean().default(true),
  outputs: z.array(z.string().min(1)).default([]).describe("files (relative to the gate's cwd) that must be byte-identical on base and head"),
});
export type GoldenSpec = z.infer<typeof GoldenSpecSchema>;

/** How a test gate's per-test results are read. `auto`: from the runner found behind the command (see docs/decisions/gates.md). */
export const TEST_REPORT_FORMATS = ["auto", "junit", "tap", "jest-json", "go-json", "libtest"] as const;
export const TestReportFormatSchema = z.enum(TEST_REPORT_FORMATS);
export type TestReportFormat = z.infer<typeof TestReportFormatSchema>;

export const TestReportSpecSchema = z
  .object({
    format: TestReportFormatSchema.describe(
      "auto: find the runner behind the command (npm/pnpm/yarn scripts too) and add its reporter or read its output; junit/jest-json: a report file; tap, go-json, libtest: read from stdout (or `file`)",
    ),
    file: z.string().min(1).optional().describe("the report file the command writes (relative to cwd); without it the format is read from stdout"),
  })
  .strict();
export type TestReportSpec = z.infer<typeof TestReportSpecSchema>;

export const BUILTINS = ["secret-scan", "dependency-changes"] as const;
export const BuiltinSchema = z.enum(BUILTINS);
export type Builtin = z.infer<typeof BuiltinSchema>;

export const GateSchema = z
  .object({
    name: GateNameSchema,
    kind: GateKindSchema,
    command: z
      .union([z.array(z.string().min(1)).min(1), z.string().min(1)])
      .optional()
      .describe("argv array, run without a shell; a string only with shell: true"),
    shell: z.boolean().default(false).describe("run the command through /bin/sh (explicit opt-in)"),
    builtin: BuiltinSchema.optional().describe("a check built into @omk/gates instead of a command"),
    cwd: z.string().min(1).default(".").describe("relative to the project root"),
    env: z.array(EnvNameSchema).default([]).describe("variables passed through even if their names look secret; their values are redacted"),
    required: z.boolean().default(true),
    timeout: DurationSchema.prefault(600),
    retries: z.number().int().min(0).max(10).default(0).describe("re-runs after a failure; a later pass marks the gate flaky"),
    junit: z.string().min(1).optional().describe("JUnit XML report the command writes (relative to cwd)"),
    tests: TestReportSpecSchema.optional().describe("per-test results: how they are read (detected test gates get `format: auto`)"),
    needs: z.array(GateNameSchema).default([]).describe("gates that must pass before this one starts"),
    toolVersion: z.boolean().default(false).describe("record `command[0] --version` in the result"),
    ignore: z.array(z.string().min(1)).default([]).describe("builtin gates: globs of paths to leave out"),
    benchmark: BenchmarkSpecSchema.optional(),
    golden: GoldenSpecSchema.optional(),
  })
  .strict()
  .superRefine((gate, ctx) => {
    const issue = (message: string, path: string) => ctx.addIssue({ code: "custom", message, path: [path] });
    if (gate.command === undefined && gate.builtin === undefined) issue("a gate needs a command (or a builtin)", "command");
    if (gate.command !== undefined && gate.builtin !== undefined) issue("a gate has a command or a builtin, not both", "builtin");
    if (typeof gate.command === "string" && !gate.shell) {
      issue("a string command needs `shell: true`; otherwise write it as an argv array, e.g. [pnpm, test]", "command");
    }
    if (gate.builtin === "secret-scan" && gate.kind !== "security") issue("builtin secret-scan is a security gate", "kind");
    if (gate.builtin === "dependency-changes" && gate.kind !== "dependency") issue("builtin dependency-changes is a dependency gate", "kind");
    if ((gate.kind === "benchmark") !== (gate.benchmark !== undefined))
      issue("a benchmark gate needs a `benchmark` block (and only a benchmark gate has one)", "benchmark");
    if (gate.golden !== undefined && gate.kind !== "golden") issue("only a golden gate has a `golden` block", "golden");
    if (gate.kind === "golden" && gate.retries > 0) issue("a golden gate is compared, not retried: remove retries", "retries");
    if (gate.kind === "benchmark" && gate.retries > 0) issue("a benchmark gate runs `benchmark.runs` times; retries do not apply", "retries");
    if (gate.builtin !== undefined && (gate.retries > 0 || gate.junit !== undefined || gate.tests !== undefined))
      issue("a builtin gate takes no retries, junit or tests", "builtin");
    if (gate.junit !== undefined && gate.tests !== undefined)
      issue("`junit: FILE` is short for `tests: { format: junit, file: FILE }`: keep one of them", "tests");
    // Paths stay inside the checkout: a gate runs (and its reports are read) in the project, never above it or at an absolute path.
    const cwdOut = pathOutOfCheckout(gate.cwd);
    if (cwdOut !== undefined)
      issue(`cwd ${JSON.stringify(gate.cwd)} ${cwdOut}: give a directory relative to the project root, inside it (e.g. packages/core)`, "cwd");
    else {
      const files: Array<[string, string]> = [
        ...(gate.junit === undefined ? [] : [["junit", gate.junit] as [string, string]]),
        ...(gate.tests?.file === undefined ? [] : [["tests", gate.tests.file] as [string, string]]),
        ...(gate.golden?.outputs ?? []).map((o): [string, string] => ["golden", o]),
      ];
      for (const [field, file] of files) {
        const own = pathOutOfCheckout(file);
        const out = own !== undefined && own !== LEADS_OUT ? own : pathOutOfCheckout(`${gate.cwd}/${file}`);
        if (out !== undefined) issue(`${JSON.stringify(file)} (relative to cwd ${gate.cwd}) ${out}: name a file inside the project`, field);
      }
    }
    if (gate.tests !== undefined) {
      const { format, file } = gate.tests;
      if (format === "auto" && file !== undefined) issue("`format: auto` chooses its own report file: remove `file`", "tests");
      if ((format === "junit" || format === "jest-json") && file === undefined)
        issue(`\`format: ${format}\` is read from a file: add \`file: <path the command writes>\``, "tests");
    }
  });
export type Gate = z.infer<typeof GateSchema>;

const LEADS_OUT = "leads out of the project root";

/**
 * Why a config path leaves the checkout (absolute, a drive or UNC path, a
 * NUL, or `..` above the project root), or undefined when it stays inside.
 * Lexical only: a symlink inside that points out is refused when the gate runs.
 */
export function pathOutOfCheckout(p: string): string | undefined {
  if (p.includes("\0")) return "holds a NUL character";
  if (path.posix.isAbsolute(p) || path.win32.isAbsolute(p) || /^[A-Za-z]:/.test(p)) return "is absolute";
  const normalized = path.posix.normalize(p.replaceAll("\\", "/"));
  if (normalized === ".." || normalized.startsWith("../")) return LEADS_OUT;
  return undefined;
}
export type GateInput = z.input<typeof GateSchema>;

/**
 * How OMK installs the project's dependencies in the checkouts it makes:
 * `none` (nothing), a shell command (run by /bin/sh in the checkout), or an
 * argv array. Absent: detected from the lockfile (see detectSetup).
 */
export const SetupConfigSchema = z
  .union([z.literal("none"), z.string().min(1), z.array(z.string().min(1)).min(1)])
  .describe("dependency setup in each checkout OMK makes: none, a shell command, or an argv array (default: detected from the lockfile)");
export type SetupConfig = z.infer<typeof SetupConfigSchema>;

export const GatesConfigSchema = z
  .object({
    version: z.literal(1).default(1),
    parallelism: z.number().int().min(1).max(64).optional().describe("gates running at once (default: min(4, CPUs))"),
    gates: z.array(GateSchema).min(1, "list at least one gate"),
    setup: SetupConfigSchema.optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    config.gates.forEach((gate, i) => {
      if (names.has(gate.name)) ctx.addIssue({ code: "custom", message: `duplicate gate name ${gate.name}`, path: ["gates", i, "name"] });
      names.add(gate.name);
    });
    config.gates.forEach((gate, i) => {
      for (const need of gate.needs) {
        if (!names.has(need)) ctx.addIssue({ code: "custom", message: `needs unknown gate ${need}`, path: ["gates", i, "needs"] });
      }
    });
    const cycle = findCycle(config.gates);
    if (cycle !== undefined) ctx.addIssue({ code: "custom", message: `needs form a cycle: ${cycle.join(" -> ")}`, path: ["gates"] });
  });
export type GatesConfig = z.infer<typeof GatesConfigSchema>;
export type GatesConfigInput = z.input<typeof GatesConfigSchema>;

function findCycle(gates: ReadonlyArray<{ name: string; needs: string[] }>): string[] | undefined {
  const needs = new Map(gates.map((g) => [g.name, g.needs]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const next of needs.get(name) ?? []) {
      const found = visit(next);
      if (found !== undefined) return found;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const gate of gates) {
    const found = visit(gate.name);
    if (found !== undefined) return found;
  }
  return undefined;
}
