import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import PQueue from "p-queue";
import type { ConfineCommand } from "./confine.js";
import { GatesAbortedError, GatesUsageError } from "./errors.js";
import { createBuiltinRunner } from "./internal/builtins.js";
import { treeState } from "./internal/git.js";
import { DEFAULT_LOG_CAP } from "./internal/log-sink.js";
import { type GateContext, notRunResult, skippedResult } from "./internal/gate-context.js";
import { runGate } from "./internal/run-gate.js";
import { TOOL_NAME, TOOL_VERSION } from "./internal/version.js";
import { allowedEnv } from "./env.js";
import { createRedactor, knownSecretValues } from "@omk/core";
import type { Gate, GatesConfig } from "./schemas/config.js";
import type { OnGatesEvent } from "./schemas/events.js";
import type { SetupOutcome } from "./schemas/setup.js";
import { GATE_OUTCOMES, type GateOutcome, type GateResult, type GatesReport, REPORT_SCHEMA_VERSION } from "./schemas/result.js";

export type RunGatesOptions = {
  /** Project root: gate cwds are relative to it. */
  root: string;
  config: GatesConfig;
  /** Where the config came from (recorded in the report). */
  configSource?: GatesReport["config"];
  /** Logs and report.json go here (created). */
  outDir: string;
  runId?: string;
  /** Run only these gates (and the gates they need). */
  only?: readonly string[];
  /** Gates running at once (default: the config's, else min(4, CPUs)). */
  parallelism?: number;
  /** Environment the gates inherit (default process.env); secret-looking names are withheld unless allowlisted, and redacted. */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  onEvent?: OnGatesEvent;
  /** SIGTERM to a gate's process group, then SIGKILL after this (default 3000 ms). */
  killGraceMs?: number;
  /** Per-stream log cap in bytes (default 2 MiB; the head and tail are kept). */
  logCap?: number;
  /** What builtin gates diff the working tree against (default HEAD: uncommitted changes). */
  diffBase?: string;
  /** Paths that do not make the tree dirty (default: outDir). Runs that keep their output inside the repository pass its parent. */
  dirtyExclude?: readonly string[];
  /**
   * The dependency setup made in `root` (prepareCheckout), recorded in the
   * report. A failed setup runs no gate: each is skipped naming the setup
   * failure, and the verdict is failed. Its PATH entries (a venv) come first
   * on the gates' PATH.
   */
  setup?: SetupOutcome;
  /** Label of the checkout in events ("base" during a comparison). */
  tree?: "head" | "base";
  /**
   * Confines every gate command (and, in compareToBaseline, the base's setup):
   * the caller's sandbox (./confine.ts). Undefined: gates run unconfined, as
   * standalone `omk-gates` does on the user's own tree.
   */
  confine?: ConfineCommand;
};

export function newRunId(now: Date = new Date()): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
}

/** Write a file atomically (temp + rename), so a reader never sees half a report. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** The gates to run: the selection plus, transitively, the gates it needs. */
function selectGates(config: GatesConfig, only: readonly string[] | undefined): Gate[] {
  if (only === undefined) return config.gates;
  const byName = new Map(config.gates.map((g) => [g.name, g]));
  const unknown = only.filter((n) => !byName.has(n));
  if (unknown.length > 0) throw new GatesUsageError(`no gate named ${unknown.join(", ")}`, `choose from ${[...byName.keys()].join(", ")}`);
  const keep = new Set<string>();
  const add = (name: string) => {
    if (keep.has(name)) return;
    keep.add(name);
    for (const need of byName.get(name)?.needs ?? []) add(need);
  };
  only.forEach(add);
  return config.gates.filter((g) => keep.has(g.name));
}

/**
 * Run the wall: every gate in its own process group, independent gates in
 * parallel under a limit, each with logs (redacted, capped, hashed), a tail
 * summary, tool versions, and the commit and dirty flag of the tree. Writes
 * `report.json` into `outDir` and returns the report. Failing gates are
 * values in the report; an abort kills every running gate and throws
 * GatesAbortedError carrying the partial report.
 */
export async function runGates(options: RunGatesOptions): Promise<GatesReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const root = path.resolve(options.root);
  const outDir = path.resolve(options.outDir);
  const runId = options.runId ?? newRunId();
  const tree = options.tree ?? "head";
  const emit: OnGatesEvent = options.onEvent ?? (() => {});
  const gates = selectGates(options.config, options.only);
  const given = options.env ?? process.env;
  const env =
    options.setup !== undefined && options.setup.path.length > 0
      ? { ...given, PATH: [...options.setup.path, given["PATH"] ?? ""].join(path.delimiter) }
      : given;
  const setupFailed = options.setup?.failure;
  mkdirSync(path.join(outDir, "logs"), { recursive: true });

  const own = [outDir, ...(options.dirtyExclude ?? [])];
  const state = await treeState(root, own, { toplevel: gates.some((g) => g.builtin !== undefined) });
  const redaction = { env, names: [...new Set(gates.flatMap((g) => g.env))] };
  const redactor = createRedactor(redaction);
  // The secret scan also finds the values the redactor knows (a known secret in the change is a finding).
  const builtins = createBuiltinRunner(state.toplevel, options.diffBase ?? "HEAD", own, knownSecretValues(redaction));
  const ctx: GateContext = {
    root,
    outDir,
    tree,
    state,
    env,
    baseEnv: allowedEnv(env),
    redactor,
    graceMs: options.killGraceMs ?? 3000,
    logCap: options.logCap ?? DEFAULT_LOG_CAP,
    signal: options.signal,
    emit,
    toolVersions: { node: process.versions.node, [TOOL_NAME]: TOOL_VERSION },
    runBuiltin: builtins.run,
    confine: options.confine,
  };
  emit({ type: "run_started", tree, runId, root, commit: state.commit, dirty: state.dirty, gates: gates.map((g) => g.name) });

  const parallelism = options.parallelism ?? options.config.parallelism ?? Math.max(1, Math.min(4, os.availableParallelism()));
  const queue = new PQueue({ concurrency: parallelism });
  const results = new Map<string, GateResult>();
  const done = new Map<string, Promise<GateResult>>();
  const finished = (result: GateResult) => {
    results.set(result.name, result);
    emit({ type: "gate_finished", tree, result });
    return result;
  };
  const byName = new Map(gates.map((g) => [g.name, g]));
  const safely = (gate: Gate, run: () => GateResult | Promise<GateResult>): Promise<GateResult> =>
    Promise.resolve()
      .then(run)
      .catch((e: unknown) => notRunResult(gate, ctx, "error", `the runner failed on this gate: ${e instanceof Error ? e.message : String(e)}`));
  // Each gate's promise is made on first use, so a gate may need one listed after it (the config has no cycles).
  const resultOf = (name: string): Promise<GateResult> => {
    const known = done.get(name);
    if (known !== undefined) return known;
    const gate = byName.get(name) as Gate;
    const promise = Promise.all(gate.needs.map(resultOf)).then(async (before) => {
      const blocked = before.filter((r) => r.outcome !== "passed" && r.outcome !== "flaky");
      if (options.signal?.aborted === true) return finished(await safely(gate, () => skippedResult(gate, ctx, "the run was aborted")));
      if (setupFailed !== undefined) return finished(await safely(gate, () => skippedResult(gate, ctx, `not run: ${setupFailed.message}`)));
      if (blocked.length > 0)
        return finished(await safely(gate, () => skippedResult(gate, ctx, `needs ${blocked.map((r) => `${r.name} (${r.outcome})`).join(", ")}`)));
      return (await queue.add(async () =>
        finished(await safely(gate, () => (options.signal?.aborted === true ? skippedResult(gate, ctx, "the run was aborted") : runGate(gate, ctx)))),
      )) as GateResult;
    });
    done.set(name, promise);
    return promise;
  };
  await Promise.all(gates.map((g) => resultOf(g.name)));

  const ordered = gates.map((g) => results.get(g.name) as GateResult);
  const diffBase = gates.some((g) => g.builtin !== undefined) ? await builtins.base() : null;
  const report = buildReport({
    runId,
    root,
    outDir,
    state,
    startedAt,
    durationMs: Math.round(performance.now() - started),
    gates: ordered,
    diffBase,
    config: options.configSource ?? { source: "inline", path: null },
    setup: options.setup,
  });
  writeFileAtomic(path.join(outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  emit({ type: "run_finished", tree, verdict: report.verdict, durationMs: report.durationMs });
  if (options.signal?.aborted === true) throw new GatesAbortedError(report);
  return report;
}

/** A gate counts as passing only when its outcome is `passed` (flaky is not a pass). */
export function requiredNotPassing(gates: readonly GateResult[]): string[] {
  return gates.filter((g) => g.required && g.outcome !== "passed").map((g) => g.name);
}

function buildReport(input: {
  runId: string;
  root: string;
  outDir: string;
  state: { commit: string | null; dirty: boolean | null };
  startedAt: string;
  durationMs: number;
  gates: GateResult[];
  diffBase: GatesReport["diffBase"];
  config: GatesReport["config"];
  setup: GatesReport["setup"];
}): GatesReport {
  const byOutcome = Object.fromEntries(GATE_OUTCOMES.map((o) => [o, 0])) as Record<GateOutcome, number>;
  for (const g of input.gates) byOutcome[g.outcome] += 1;
  const notPassing = requiredNotPassing(input.gates);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: "omk.gates.report",
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    runId: input.runId,
    root: input.root,
    outDir: input.outDir,
    commit: input.state.commit,
    dirty: input.state.dirty,
    diffBase: input.diffBase,
    config: input.config,
    startedAt: input.startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: input.durationMs,
    verdict: notPassing.length === 0 && input.setup?.failure === undefined ? "passed" : "failed",
    summary: { total: input.gates.length, byOutcome, requiredNotPassing: notPassing },
    gates: input.gates,
    ...(input.setup === undefined ? {} : { setup: input.setup }),
  };
}
