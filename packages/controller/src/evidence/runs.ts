import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRedactor, type Gate, type GatesConfig, GatesConfigSchema, looksSecretName, runGates } from "@omk/gates";
import type { CommandResult, JunitCase } from "@omk/oracle";
import { execa } from "execa";
import { junitCasesOfGates } from "./gate-evidence.js";

/** How much of a command's stdout the evidence keeps (the tail; benchmarks read their figure from it). */
export const STDOUT_TAIL_BYTES = 16 * 1024;
/** Default limit for one oracle command. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10 * 60 * 1000;

export type RunContext = {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  /** Logs of the runs go here. */
  readonly logDir: string;
};

/** The environment a check sees: the given one minus secret-looking names (as gates do). */
function checkEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && !looksSecretName(name)) out[name] = value;
  return out;
}

const tail = (text: string, bytes: number) => {
  const buf = Buffer.from(text, "utf8");
  return buf.length <= bytes ? text : buf.subarray(buf.length - bytes).toString("utf8");
};

const safeName = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 80);

/**
 * Run one criterion's argv (no shell unless the argv is `sh -c ...`) in
 * `cwd` with a timeout; the output is redacted, its tail kept and the whole
 * stdout digested. Logs go to `<logDir>/<criterion>.{stdout,stderr}.log`.
 */
export async function runCommand(criterionId: string, argv: readonly string[], cwd: string, ctx: RunContext): Promise<CommandResult> {
  const redactor = createRedactor({ env: { ...ctx.env } });
  const [file, ...args] = argv as [string, ...string[]];
  const started = performance.now();
  const r = await execa(file, args, {
    cwd,
    env: checkEnv(ctx.env),
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    timeout: ctx.timeoutMs,
    forceKillAfterDelay: 3000,
    stripFinalNewline: false,
    maxBuffer: 64 * 1024 * 1024,
    ...(ctx.signal === undefined ? {} : { cancelSignal: ctx.signal }),
  });
  const durationMs = Math.round(performance.now() - started);
  const stdout = redactor.redact(String(r.stdout ?? ""));
  const stderr = redactor.redact(String(r.stderr ?? "")) + (r.failed && r.exitCode === undefined && !r.timedOut ? `\nomk: ${redactor.redact(r.shortMessage ?? "the command could not run")}\n` : "");
  mkdirSync(ctx.logDir, { recursive: true });
  writeFileSync(path.join(ctx.logDir, `${safeName(criterionId)}.stdout.log`), stdout);
  writeFileSync(path.join(ctx.logDir, `${safeName(criterionId)}.stderr.log`), stderr);
  // A command that could not start (no such file) has no exit code and no signal: record it as exit 127, as a shell would.
  const exitCode = r.exitCode ?? (r.signal === undefined && !r.timedOut ? 127 : null);
  return {
    criterionId,
    command: redactor.redactDeep([...argv]),
    exitCode: r.timedOut ? null : exitCode,
    signal: r.signal ?? (r.timedOut ? "SIGTERM" : null),
    timedOut: r.timedOut,
    durationMs,
    stdout: tail(stdout, STDOUT_TAIL_BYTES),
    stdoutSha256: createHash("sha256").update(stdout, "utf8").digest("hex"),
  };
}

const sameArgv = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The configured gate that runs exactly this argv (an argv gate, or a shell gate whose line is the argv's one element). */
export function gateRunning(config: GatesConfig | undefined, argv: readonly string[]): Gate | undefined {
  return config?.gates.find((g) => g.builtin === undefined && (Array.isArray(g.command) ? sameArgv(g.command, argv) : argv.length === 1 && argv[0] === g.command));
}

/**
 * The argv with a JUnit reporter writing to `file`, for the runners whose
 * flags are known (node --test, vitest, pytest), or the report the argv
 * already writes (`--test-reporter=junit --test-reporter-destination=X`).
 * An npm script (`npm test`, `npm run <name>`) whose command, in `scripts`
 * (package.json's), is `node --test` with options only gets the reporter
 * after `--` (npm appends it to the script). Undefined when no JUnit report
 * can be had from this command.
 */
export function withJunitReporter(argv: readonly string[], file: string, scripts: Readonly<Record<string, string>> = {}): { argv: string[]; junit: string } | undefined {
  // `npm run <name> --ignore-scripts` is how detection runs a script that has pre/post hooks without them.
  const run = argv[1] === "run" ? (argv.length === 3 || (argv.length === 4 && argv[3] === "--ignore-scripts") ? argv[2] : undefined) : undefined;
  const script = path.basename(argv[0] ?? "") === "npm" ? (argv[1] === "test" && argv.length === 2 ? "test" : run) : undefined;
  const line = script === undefined ? undefined : scripts[script]?.trim().split(/\s+/);
  if (line !== undefined && line[0] === "node" && line.includes("--test") && line.every((w) => w.startsWith("-") || w === "node")) {
    return { argv: [...argv, "--", "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=junit", `--test-reporter-destination=${file}`], junit: file };
  }
  const at = argv.indexOf("--test-reporter=junit");
  const dest = at < 0 ? undefined : argv.slice(at + 1).find((a) => a.startsWith("--test-reporter-destination="));
  if (dest !== undefined) return { argv: [...argv], junit: dest.slice("--test-reporter-destination=".length) };
  const words = argv.map((a) => path.basename(a));
  if (words[0] === "node" && argv.includes("--test")) {
    const i = argv.indexOf("--test");
    return {
      argv: [...argv.slice(0, i + 1), "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=junit", `--test-reporter-destination=${file}`, ...argv.slice(i + 1)],
      junit: file,
    };
  }
  if (words.includes("vitest")) return { argv: [...argv, "--reporter=default", "--reporter=junit", `--outputFile.junit=${file}`], junit: file };
  if (words.includes("pytest") || (words.includes("-m") && argv.includes("pytest"))) return { argv: [...argv, `--junitxml=${file}`], junit: file };
  return undefined;
}

/** The scripts of the package.json in `root` (none when it is missing or unreadable). */
function packageScripts(root: string): Record<string, string> {
  try {
    const scripts = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts?: unknown }).scripts;
    if (typeof scripts !== "object" || scripts === null) return {};
    return Object.fromEntries(Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
}

export type TestRun = { cases: JunitCase[]; outcome: string; note?: string };

/**
 * Run a test command through @omk/gates (process group, timeout, redaction,
 * its JUnit parser) as a one-gate run in `root`, and return the JUnit cases
 * it reported. The configured gate running the same argv is used as is (its
 * cwd, shell, env allowlist and report file); otherwise a JUnit reporter is
 * added for the runners whose flags are known.
 */
export async function runTests(root: string, argv: readonly string[], config: GatesConfig | undefined, outDir: string, ctx: RunContext): Promise<TestRun> {
  const junitFile = path.join(outDir, "junit.xml");
  const known = gateRunning(config, argv);
  let gate: Gate;
  if (known !== undefined && known.junit !== undefined) {
    gate = { ...known, name: "oracle-tests", required: true, retries: 0, needs: [] };
  } else {
    const withReport = withJunitReporter(argv, junitFile, packageScripts(root));
    if (withReport === undefined) {
      return { cases: [], outcome: "not_run", note: `no JUnit report can be had from \`${argv.join(" ")}\`: add a test gate with a junit file to .omk/gates.yaml running this command` };
    }
    const parsed = GatesConfigSchema.parse({
      version: 1,
      gates: [{ name: "oracle-tests", kind: "test", command: withReport.argv, junit: withReport.junit, timeout: Math.max(1, Math.round(ctx.timeoutMs / 1000)) }],
    });
    gate = parsed.gates[0] as Gate;
  }
  const report = await runGates({
    root,
    config: { version: 1, gates: [gate] },
    outDir,
    runId: path.basename(outDir),
    env: { ...ctx.env },
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
  });
  const result = report.gates[0];
  if (result === undefined) return { cases: [], outcome: "not_run" };
  return { cases: junitCasesOfGates([result]), outcome: result.outcome, ...(result.tests === undefined ? { note: `no JUnit cases from \`${argv.join(" ")}\` (${result.outcome})` } : {}) };
}
