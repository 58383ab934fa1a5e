import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import type { ConfineCommand } from "../confine.js";
import { type Redactor, sha256 } from "@omk/core";
import { type Gate, pathOutOfCheckout } from "../schemas/config.js";
import type { GatesEvent } from "../schemas/events.js";
import type { Attempt, BenchmarkResult, GateOutcome, GateResult, GoldenResult, TestCase } from "../schemas/result.js";
import { median, readFigure } from "./figure.js";
import type { TreeState } from "./git.js";
import { casesToJunit, mergeAttempts } from "./junit.js";
import { LogSink } from "./log-sink.js";
import { missingCommand } from "./missing-command.js";
import { type ProcessOutcome, runProcess } from "./process.js";
import { readTestReport, testReportOf } from "./tests/read.js";

export type GateContext = {
  root: string;
  outDir: string;
  tree: "head" | "base";
  state: TreeState;
  /** The environment the runner was given (secret-looking names are withheld from gates unless allowlisted). */
  env: Record<string, string | undefined>;
  /** `env` without the secret-looking names. */
  baseEnv: Record<string, string>;
  redactor: Redactor;
  graceMs: number;
  logCap: number;
  signal: AbortSignal | undefined;
  emit: (event: GatesEvent) => void;
  toolVersions: Record<string, string>;
  /** Builtin gates are computed here (secret scan, dependency changes). */
  runBuiltin: (gate: Gate, sinks: { stdout: LogSink; stderr: LogSink }) => Promise<BuiltinOutcome>;
  /** Confines each gate command (../confine.ts); undefined: unconfined. */
  confine?: ConfineCommand | undefined;
};

export type BuiltinOutcome = Pick<GateResult, "outcome" | "findings" | "dependencies" | "error"> & { notes?: string[] };

export type Sinks = { stdout: LogSink; stderr: LogSink };

function closeSinks(sinks: Sinks) {
  return { stdout: sinks.stdout.close(), stderr: sinks.stderr.close() };
}

function openSinks(ctx: Pick<GateContext, "outDir" | "redactor" | "logCap">, name: string): Sinks {
  const open = (stream: string) => {
    const rel = path.join("logs", `${name}.${stream}.log`);
    return new LogSink(path.join(ctx.outDir, rel), rel, ctx.redactor, ctx.logCap);
  };
  return { stdout: open("stdout"), stderr: open("stderr") };
}

/**
 * node:test's report file (named in NODE_OPTIONS, which the code under test
 * can read): made empty before the run and its identity (dev, inode) kept;
 * the returned check says why the report is not the runner's when the path
 * names another file afterwards (a forged report renamed over it while the
 * reporter went on writing the old inode). Nothing for other runners.
 */
function holdReport(plan: { runner: string } | undefined, file: string | undefined): (() => string | undefined) | undefined {
  if (plan?.runner !== "node:test" || file === undefined) return undefined;
  writeFileSync(file, "");
  const made = statSync(file);
  return () => {
    try {
      const now = statSync(file);
      if (now.dev === made.dev && now.ino === made.ino) return now.size === 0 ? `the JUnit report ${path.basename(file)} was not written` : undefined;
    } catch {
      // removed: not the runner's report either
    }
    return `the JUnit report ${path.basename(file)} was replaced during the run (not the file the runner wrote): its cases are not read`;
  };
}

/** The environment a gate sees: the base environment plus the gate's allowlist. */
function gateEnv(ctx: GateContext, gate: Gate): Record<string, string> {
  if (gate.env.length === 0) return ctx.baseEnv;
  const out = { ...ctx.baseEnv };
  for (const name of gate.env) {
    const value = ctx.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function classify(p: ProcessOutcome): GateOutcome {
  if (p.spawnError !== undefined) return "error";
  if (p.timedOut) return "timed_out";
  if (p.aborted) return "error";
  return p.exitCode === 0 ? "passed" : "failed";
}

const shellArgv = (gate: Gate): string[] => (Array.isArray(gate.command) ? gate.command : [gate.command as string]);

async function toolVersion(
  file: string,
  cwd: string,
  env: Record<string, string>,
  confine: ConfineCommand | undefined,
  root: string,
): Promise<string | undefined> {
  // The tool may be the tree's own program (./run-tests): its version probe is a gate command like any other.
  const boxed = confine?.({ argv: [file, "--version"], cwd, root, purpose: "gate", writable: [], env });
  try {
    const [cmd, ...args] = (boxed?.argv ?? [file, "--version"]) as [string, ...string[]];
    const r = await execa(cmd, args, { cwd, env: { ...(boxed?.env ?? env) }, extendEnv: false, reject: false, timeout: 5000, stdin: "ignore" });
    return firstLine(r);
  } finally {
    boxed?.dispose?.();
  }
}

function firstLine(r: { stdout?: unknown; exitCode?: number | undefined }): string | undefined {
  const line = String(r.stdout ?? "")
    .split("\n")[0]
    ?.trim();
  return r.exitCode === 0 && line !== undefined && line !== "" ? line : undefined;
}

/**
 * Run one gate to a result: attempts (retries), benchmark runs, JUnit cases,
 * golden digests, logs. An unexpected exception (a file the gate names cannot
 * be read, say) becomes this gate's `error` outcome, never the whole run's.
 */
export async function runGate(gate: Gate, ctx: GateContext): Promise<GateResult> {
  const sinks = openSinks(ctx, gate.name);
  try {
    return await runGateWith(gate, ctx, sinks);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return notRunResult(gate, ctx, "error", `the runner failed on this gate: ${message}`, sinks);
  }
}

async function runGateWith(gate: Gate, ctx: GateContext, sinks: Sinks): Promise<GateResult> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const cwd = path.resolve(ctx.root, gate.cwd);
  const notes: string[] = [];
  const argv = gate.builtin !== undefined ? [`builtin:${gate.builtin}`] : shellArgv(gate);
  const base = {
    name: gate.name,
    kind: gate.kind,
    required: gate.required,
    ...(gate.builtin === undefined ? {} : { builtin: gate.builtin }),
    // Events and results never carry a secret, argv included.
    command: ctx.redactor.redactDeep(argv),
    shell: gate.shell,
    cwd,
    startedAt,
    commit: ctx.state.commit,
    dirty: ctx.state.dirty,
  };
  const finish = (partial: Partial<GateResult> & { outcome: GateOutcome; attempts: Attempt[] }): GateResult => {
    const logs = closeSinks(sinks);
    const { toolVersions: versions, ...rest } = partial;
    const last = rest.attempts[rest.attempts.length - 1];
    const result: GateResult = {
      ...base,
      exitCode: last?.exitCode ?? null,
      signal: last?.signal ?? null,
      timedOut: last?.timedOut ?? false,
      durationMs: Math.round(performance.now() - started),
      logs,
      tail: { stdout: sinks.stdout.tailLines(), stderr: sinks.stderr.tailLines() },
      toolVersions: { ...ctx.toolVersions, ...versions },
      notes,
      ...rest,
    };
    return ctx.redactor.redactDeep(result);
  };

  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
    sinks.stderr.note(`omk-gates: cwd ${cwd} does not exist\n`);
    return finish({ outcome: "error", attempts: [], error: `cwd ${gate.cwd} does not exist under ${ctx.root}` });
  }
  const outside = cwdOutside(ctx.root, gate.cwd);
  if (outside !== undefined) {
    sinks.stderr.note(`omk-gates: ${outside}\n`);
    return finish({ outcome: "error", attempts: [], error: outside });
  }
  if (gate.builtin !== undefined) {
    ctx.emit({ type: "gate_started", tree: ctx.tree, name: gate.name, attempt: 1, of: 1, command: base.command });
    const t = performance.now();
    const { notes: builtinNotes, ...out } = await ctx.runBuiltin(gate, sinks);
    notes.push(...(builtinNotes ?? []));
    const attempt: Attempt = { attempt: 1, outcome: out.outcome, exitCode: null, signal: null, timedOut: false, durationMs: Math.round(performance.now() - t) };
    return finish({ ...out, attempts: [attempt] });
  }

  const env = gateEnv(ctx, gate);
  const [file, ...args] = gate.shell && typeof gate.command === "string" ? [gate.command] : argv;
  const shellLine = gate.shell && typeof gate.command === "string";
  if (gate.toolVersion && shellLine) notes.push("toolVersion needs an argv command (not a shell line); no version recorded");
  const versionPromise =
    gate.toolVersion && !shellLine ? toolVersion(file as string, cwd, env, ctx.confine, ctx.root).catch(() => undefined) : Promise.resolve(undefined);
  let reportDirs: string[] = [];
  const spawn = (attempt: number, of: number, plan?: { command: string[]; env: Readonly<Record<string, string>> }) => {
    ctx.emit({ type: "gate_started", tree: ctx.tree, name: gate.name, attempt, of, command: base.command });
    const [planFile, ...planArgs] = plan?.command ?? [];
    return runProcess({
      file: planFile ?? (file as string),
      args: planFile === undefined ? args : planArgs,
      shell: gate.shell,
      cwd,
      env: plan === undefined || Object.keys(plan.env).length === 0 ? env : { ...env, ...plan.env },
      timeoutMs: gate.timeout,
      graceMs: ctx.graceMs,
      signal: ctx.signal,
      onStdout: (chunk) => sinks.stdout.write(chunk),
      onStderr: (chunk) => sinks.stderr.write(chunk),
      // The report files' folder (in outDir, outside the checkout) is the only place outside the checkout the command writes.
      confine: ctx.confine === undefined ? undefined : { run: ctx.confine, root: ctx.root, purpose: "gate", writable: reportDirs },
    });
  };
  const record = (n: number, p: ProcessOutcome): Attempt => {
    if (p.spawnError !== undefined) sinks.stderr.note(`omk-gates: ${p.spawnError}\n`);
    if (p.leftovers) notes.push(`attempt ${n}: processes left running in the gate's process group were killed`);
    if (p.pipeHeld) notes.push(`attempt ${n}: the output pipes stayed open after the process group was gone (a process that left the group holds them)`);
    if (p.timedOut) notes.push(`attempt ${n}: timed out after ${gate.timeout} ms; the process group was killed`);
    return { attempt: n, outcome: classify(p), exitCode: p.exitCode, signal: p.signal, timedOut: p.timedOut, durationMs: p.durationMs };
  };
  const errorOf = (p: ProcessOutcome) => p.spawnError ?? (p.aborted ? "aborted" : undefined);

  // Benchmark: N runs, each one's figure read from its own stdout.
  if (gate.benchmark !== undefined) {
    const spec = gate.benchmark;
    const attempts: Attempt[] = [];
    const samples: number[] = [];
    let error: string | undefined;
    for (let run = 1; run <= spec.runs; run++) {
      sinks.stdout.startSegment({ capture: true, ...(run > 1 ? { header: `==> omk-gates: run ${run} of ${spec.runs}` } : {}) });
      const p = await spawn(run, spec.runs);
      const attempt = record(run, p);
      attempts.push(attempt);
      const { text } = sinks.stdout.endSegment();
      error = errorOf(p);
      if (attempt.outcome !== "passed") break;
      const value = readFigure(text ?? "", spec.figure);
      if (value === undefined) {
        error = `run ${run}: no figure in stdout (${"regex" in spec.figure ? `regex ${spec.figure.regex}` : `json ${spec.figure.json}`})`;
        break;
      }
      samples.push(value);
    }
    const last = attempts[attempts.length - 1] as Attempt;
    const benchmark: BenchmarkResult = {
      samples,
      median: median(samples),
      better: spec.better,
      maxRatio: spec.maxRatio,
      ...(spec.unit === undefined ? {} : { unit: spec.unit }),
    };
    const outcome: GateOutcome = last.outcome !== "passed" ? last.outcome : error !== undefined ? "error" : "passed";
    const version = await versionPromise;
    return finish({
      outcome,
      attempts,
      benchmark,
      ...(error === undefined ? {} : { error }),
      ...(version === undefined ? {} : { toolVersions: { [file as string]: version } }),
    });
  }

  // Attempts with retries; a failure followed by a pass is flaky.
  const attempts: Attempt[] = [];
  const cases: TestCase[][] = [];
  const report = testReportOf(gate, cwd, ctx, env);
  if (report !== undefined && !report.ok) notes.push(`no per-test cases: ${report.reason}; to fix: ${report.fix}`);
  const plan = report?.ok === true ? report : undefined;
  if (plan !== undefined && plan.how !== "") notes.push(`per-test cases: ${plan.how}`);
  if (plan !== undefined && plan.command.join(" ") !== argv.join(" ")) notes.push(`ran as: ${ctx.redactor.redact(plan.command.join(" "))}`);
  const reportFile = plan?.file;
  let rawReport: string | undefined;
  let error: string | undefined;
  let missing: string | undefined;
  let stdoutSha = "";
  const of = gate.kind === "golden" ? 1 : 1 + gate.retries;
  if (reportFile !== undefined && existsSync(reportFile) && statSync(reportFile).isDirectory()) {
    const named = gate.junit === undefined ? `tests.file: ${gate.tests?.file ?? reportFile}` : `junit: ${gate.junit}`;
    sinks.stderr.note(`omk-gates: ${named} is a directory\n`);
    return finish({ outcome: "error", attempts: [], error: `${named} is a directory, not the report file the command writes` });
  }
  const reportFiles = [reportFile, ...(plan?.also ?? []).map((r) => r.file)].filter((f): f is string => f !== undefined);
  for (const f of reportFiles) mkdirSync(path.dirname(f), { recursive: true });
  reportDirs = [...new Set(reportFiles.map((f) => path.dirname(f)))];
  for (let n = 1; n <= of; n++) {
    const header = n > 1 ? `==> omk-gates: attempt ${n} of ${of}` : undefined;
    const fromStdout = plan !== undefined && (reportFile === undefined || (plan.also ?? []).some((r) => r.file === undefined));
    sinks.stdout.startSegment({ ...(header === undefined ? {} : { header }), ...(fromStdout ? { capture: true } : {}) });
    sinks.stderr.startSegment(header === undefined ? {} : { header });
    // The report is the command's output: remove a stale one so it is never read as this run's.
    for (const f of reportFiles) rmSync(f, { force: true });
    const holds = plan === undefined ? [] : [plan, ...(plan.also ?? [])].flatMap((r) => holdReport(r, r.file) ?? []);
    const p = await spawn(n, of, plan);
    const swapped = holds.map((check) => check()).find((why) => why !== undefined);
    const attempt = record(n, p);
    attempts.push(attempt);
    const segment = sinks.stdout.endSegment();
    stdoutSha = segment.sha256;
    sinks.stderr.endSegment();
    error = errorOf(p);
    missing = missingCommand(p, [file as string], sinks.stderr.tailLines());
    if (plan !== undefined) {
      const read: ReturnType<typeof readTestReport> = swapped !== undefined ? { error: swapped } : readTestReport(plan, reportFile, segment.text, cwd);
      if ("cases" in read) {
        cases.push(read.cases);
        rawReport = read.raw;
        for (const m of read.missing ?? []) notes.push(`attempt ${n}: no cases from ${m}`);
      } else {
        // No report from this attempt: an earlier attempt's cases are not its result.
        cases.length = 0;
        rawReport = undefined;
        if (plan.runner !== "tap (sniffed)") notes.push(`attempt ${n}: ${read.error}`);
      }
    }
    if (attempt.outcome !== "failed" || missing !== undefined) break;
  }
  const last = attempts[attempts.length - 1] as Attempt;
  let outcome: GateOutcome = last.outcome === "passed" && attempts.length > 1 ? "flaky" : last.outcome;
  // A command that is not there could not run: an error with its reason, never a test failure.
  if (missing !== undefined) {
    outcome = "error";
    error = missing;
  }
  const extra: Partial<GateResult> = {};
  if (gate.golden !== undefined) {
    const spec = gate.golden;
    // A golden gate's exit code is compared with the baseline's, not judged: any completed run passes here.
    if (spec.exitCode && outcome === "failed") outcome = "passed";
    const checks = [
      ...(spec.exitCode ? (["exitCode"] as const) : []),
      ...(spec.stdout ? (["stdout"] as const) : []),
      ...(spec.outputs.length > 0 ? (["output"] as const) : []),
    ];
    extra.golden = { checks, ...goldenDigest(cwd, last.exitCode, stdoutSha, spec.outputs) };
    notes.push("golden: digests recorded; only a comparison with the baseline judges them");
  }
  // Exit non-zero with no failing case: whatever failed, the cases cannot say which tests passed (code under test can
  // write a report, or end the run early), so they are not kept as per-test evidence.
  if (
    cases.length > 0 &&
    (outcome === "failed" || outcome === "timed_out" || outcome === "error") &&
    !(cases[cases.length - 1] ?? []).some((c) => c.outcome === "failed")
  ) {
    notes.push(
      "the command failed but no test case failed: its test cases are not trusted as per-test evidence (the failure may be outside the tests, or the report not the runner's)",
    );
    cases.length = 0;
    rawReport = undefined;
  }
  if (cases.length > 0) {
    const rel = path.join("logs", `${gate.name}.junit.xml`);
    // A JUnit report as written, or one made from the cases read in another format.
    const safe = Buffer.from(ctx.redactor.redact(rawReport ?? casesToJunit(gate.name, cases[cases.length - 1] ?? [])));
    writeFileSync(path.join(ctx.outDir, rel), safe);
    extra.junit = { path: rel, sha256: sha256(safe), bytes: safe.length };
  }
  if (cases.length > 0) {
    extra.tests = mergeAttempts(cases);
    if (outcome === "passed" && extra.tests.some((c) => c.outcome === "failed")) notes.push("the command exited 0 but its test report has failing cases");
  }
  const version = await versionPromise;
  if (version !== undefined) extra.toolVersions = { [file as string]: version };
  return finish({ outcome, attempts, ...extra, ...(error === undefined ? {} : { error }) });
}

function goldenDigest(cwd: string, exitCode: number | null, stdoutSha256: string, outputs: readonly string[]): Omit<GoldenResult, "checks"> {
  return {
    exitCode,
    stdoutSha256,
    outputs: outputs.map((rel) => {
      try {
        const buf = readFileSync(path.resolve(cwd, rel));
        return { path: rel, sha256: sha256(buf), bytes: buf.length };
      } catch {
        return { path: rel, sha256: null, bytes: null };
      }
    }),
  };
}

/** A result for a gate that did not run (a gate it needs did not pass, or the run was aborted). */
export function skippedResult(gate: Gate, ctx: GateContext, reason: string): GateResult {
  return notRunResult(gate, ctx, "skipped", reason);
}

/**
 * Why a gate's cwd is outside the project root, or undefined when it is
 * inside: the config loader refuses `..` and absolute paths, and here the
 * directory is resolved through its symlinks (a link inside the checkout
 * that points out is refused at run time; API callers skip the loader).
 */
function cwdOutside(root: string, cwd: string): string | undefined {
  const lexical = pathOutOfCheckout(cwd);
  if (lexical !== undefined) return `cwd ${cwd} ${lexical}: a gate runs inside the project root ${root}`;
  let real: string;
  let realRoot: string;
  try {
    real = realpathSync(path.resolve(root, cwd));
    realRoot = realpathSync(root);
  } catch (e) {
    return `cwd ${cwd} cannot be resolved under ${root}: ${e instanceof Error ? e.message : String(e)}`;
  }
  const rel = path.relative(realRoot, real);
  if (rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    return `cwd ${cwd} resolves to ${real} through a symlink, outside the project root ${realRoot}: point the gate at a directory inside the project`;
  }
  return undefined;
}

/** A result without attempts: skipped, or an error of the runner itself (its sinks, if already open, are closed). */
export function notRunResult(gate: Gate, ctx: GateContext, outcome: "skipped" | "error", reason: string, open?: Sinks): GateResult {
  const sinks = open ?? openSinks(ctx, gate.name);
  sinks.stderr.note(`omk-gates: ${outcome === "skipped" ? "skipped" : "error"}: ${reason}\n`);
  const logs = closeSinks(sinks);
  return ctx.redactor.redactDeep({
    name: gate.name,
    kind: gate.kind,
    required: gate.required,
    ...(gate.builtin === undefined ? {} : { builtin: gate.builtin }),
    command: gate.builtin !== undefined ? [`builtin:${gate.builtin}`] : shellArgv(gate),
    shell: gate.shell,
    cwd: path.resolve(ctx.root, gate.cwd),
    outcome,
    exitCode: null,
    signal: null,
    timedOut: false,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    attempts: [],
    logs,
    tail: { stdout: sinks.stdout.tailLines(), stderr: sinks.stderr.tailLines() },
    toolVersions: ctx.toolVersions,
    commit: ctx.state.commit,
    dirty: ctx.state.dirty,
    error: reason,
    notes: [],
  });
}
