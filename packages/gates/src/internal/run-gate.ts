/**
 * Running one gate to its result: a builtin, a benchmark's N runs (a figure
 * read from each run's stdout), or a command's attempts with retries (flaky
 * when a failure is followed by a pass), its per-test report planned, read
 * and kept as JUnit evidence, golden digests recorded. The context and the
 * not-run results are in ./gate-context.ts, the command's checks in
 * ./gate-command.ts, report holds and golden digests in ./gate-evidence.ts.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sha256 } from "@omk/core";
import type { Gate } from "../schemas/config.js";
import type { Attempt, BenchmarkResult, GateOutcome, GateResult, TestCase } from "../schemas/result.js";
import { median, readFigure } from "./figure.js";
import { classify, cwdOutside, toolVersion } from "./gate-command.js";
import { closeSinks, type GateContext, gateEnv, notRunResult, openSinks, type Sinks, shellArgv } from "./gate-context.js";
import { goldenDigest, holdReport } from "./gate-evidence.js";
import { casesToJunit, mergeAttempts } from "./junit.js";
import { missingCommand } from "./missing-command.js";
import { type ProcessOutcome, runProcess } from "./process.js";
import { readTestReport, testReportOf } from "./tests/read.js";

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
