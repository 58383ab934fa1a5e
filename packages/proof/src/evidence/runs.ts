import { createRedactor, sha256 } from "@omk/core";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  allowedEnv,
  type ConfineCommand,
  type Gate,
  type GatesConfig,
  GatesConfigSchema,
  perTestEvidence,
  runArgv,
  runGates,
  type SetupOutcome,
} from "@omk/gates";
import type { CommandResult, JunitCase } from "@omk/oracle";
import { junitCasesOfGates } from "./gate-evidence.js";

/** How much of a command's stdout the evidence keeps (the tail; benchmarks read their figure from it). */
const STDOUT_TAIL_BYTES = 16 * 1024;
/** Default limit for one oracle command. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10 * 60 * 1000;

export type RunContext = {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  /** Logs of the runs go here. */
  readonly logDir: string;
  /** The sandbox of the commands (checkoutConfinement); undefined: unconfined. */
  readonly confine?: ConfineCommand;
};

/**
 * The environment of the oracle's commands in a checkout whose dependencies
 * were set up: the setup's PATH entries (a venv's bin) first, exactly as
 * @omk/gates puts them on the gates' PATH (runGates with `setup`).
 */
export function withSetupPath(ctx: RunContext, setup: Pick<SetupOutcome, "path"> | undefined): RunContext {
  if (setup === undefined || setup.path.length === 0) return ctx;
  return { ...ctx, env: { ...ctx.env, PATH: [...setup.path, ctx.env["PATH"] ?? ""].join(path.delimiter) } };
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
export async function runCommand(criterionId: string, argv: readonly string[], cwd: string, ctx: RunContext, root: string = cwd): Promise<CommandResult> {
  const redactor = createRedactor({ env: { ...ctx.env } });
  // The criterion's command runs the agent's code: confined like a gate (its cwd's checkout writable, no network).
  const boxed = ctx.confine?.({ argv, cwd, root, purpose: "gate", writable: [], env: allowedEnv(ctx.env) });
  const [file, ...args] = (boxed?.argv ?? argv) as [string, ...string[]];
  const started = performance.now();
  const r = await runArgv(file, args, {
    cwd,
    env: boxed?.env ?? allowedEnv(ctx.env),
    timeoutMs: ctx.timeoutMs,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
  });
  boxed?.dispose?.();
  const durationMs = Math.round(performance.now() - started);
  const stdout = redactor.redact(r.stdout);
  const stderr =
    redactor.redact(r.stderr) +
    (r.failed && r.exitCode === undefined && !r.timedOut ? `\nomk: ${redactor.redact(r.shortMessage ?? "the command could not run")}\n` : "");
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
    stdoutSha256: sha256(stdout),
  };
}

const sameArgv = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The configured gate that runs exactly this argv (an argv gate, or a shell gate whose line is the argv's one element). */
export function gateRunning(config: GatesConfig | undefined, argv: readonly string[]): Gate | undefined {
  return config?.gates.find(
    (g) => g.builtin === undefined && (Array.isArray(g.command) ? sameArgv(g.command, argv) : argv.length === 1 && argv[0] === g.command),
  );
}

export type TestRun = { cases: JunitCase[]; outcome: string; note?: string };

/** The gate that runs a test command for the oracle: the configured gate running this argv, else a test gate of the argv; per-test results read as @omk/gates does (`tests: {format: auto}` unless configured). */
function testGateFor(argv: readonly string[], config: GatesConfig | undefined, timeoutMs: number): Gate {
  const known = gateRunning(config, argv);
  if (known !== undefined) {
    return {
      ...known,
      name: "oracle-tests",
      required: true,
      retries: 0,
      needs: [],
      ...(known.junit === undefined && known.tests === undefined ? { tests: { format: "auto" as const } } : {}),
    };
  }
  const parsed = GatesConfigSchema.parse({
    version: 1,
    gates: [{ name: "oracle-tests", kind: "test", command: [...argv], tests: { format: "auto" }, timeout: Math.max(1, Math.round(timeoutMs / 1000)) }],
  });
  return parsed.gates[0] as Gate;
}

/**
 * Whether per-test cases can be had from this test command in `root`,
 * before anything runs (the oracle asks at planning time): the reason and
 * the one-line config that fixes it when not.
 */
export function testEvidenceFor(root: string, argv: readonly string[], config: GatesConfig | undefined): ReturnType<typeof perTestEvidence> {
  return perTestEvidence(testGateFor(argv, config, DEFAULT_COMMAND_TIMEOUT_MS), root);
}

/**
 * Run a test command through @omk/gates (process group, timeout, redaction,
 * its per-test report readers) as a one-gate run in `root`, and return the
 * test cases it reported. The configured gate running the same argv is used
 * (its cwd, shell, env allowlist and report settings); otherwise the runner
 * behind the command is found as for a detected gate (`tests: {format: auto}`).
 */
export async function runTests(root: string, argv: readonly string[], config: GatesConfig | undefined, outDir: string, ctx: RunContext): Promise<TestRun> {
  const gate = testGateFor(argv, config, ctx.timeoutMs);
  const report = await runGates({
    root,
    config: { version: 1, gates: [gate] },
    outDir,
    runId: path.basename(outDir),
    env: { ...ctx.env },
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    ...(ctx.confine === undefined ? {} : { confine: ctx.confine }),
  });
  const result = report.gates[0];
  if (result === undefined) return { cases: [], outcome: "not_run" };
  // Why no case was read: the plan's refusal, else an attempt's report error (not the plan's own `per-test cases: how` note).
  const why =
    result.notes.find((n) => n.startsWith("no per-test cases: ")) ??
    result.notes.find((n) => /^attempt \d+: /.test(n) && /report|TAP|libtest|go test|no cases/.test(n));
  return {
    cases: junitCasesOfGates([result]),
    outcome: result.outcome,
    ...(result.tests === undefined ? { note: `no per-test cases from \`${argv.join(" ")}\` (${result.outcome})${why === undefined ? "" : `: ${why}`}` } : {}),
  };
}
