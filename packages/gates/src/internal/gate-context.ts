/**
 * What a gate runs with and what a gate that did not run yields: the
 * GateContext the runner hands each gate (root, output folder, redactor,
 * environments, events, confinement), the gate's log sinks, the environment
 * a gate sees (the base one plus its allowlist), and the result of a gate
 * skipped or stopped by an error of the runner itself.
 */
import path from "node:path";
import type { Redactor } from "@omk/core";
import type { ConfineCommand } from "../confine.js";
import type { Gate } from "../schemas/config.js";
import type { GatesEvent } from "../schemas/events.js";
import type { GateResult } from "../schemas/result.js";
import type { TreeState } from "./git.js";
import { LogSink } from "./log-sink.js";

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

export function closeSinks(sinks: Sinks) {
  return { stdout: sinks.stdout.close(), stderr: sinks.stderr.close() };
}

export function openSinks(ctx: Pick<GateContext, "outDir" | "redactor" | "logCap">, name: string): Sinks {
  const open = (stream: string) => {
    const rel = path.join("logs", `${name}.${stream}.log`);
    return new LogSink(path.join(ctx.outDir, rel), rel, ctx.redactor, ctx.logCap);
  };
  return { stdout: open("stdout"), stderr: open("stderr") };
}

/** The environment a gate sees: the base environment plus the gate's allowlist. */
export function gateEnv(ctx: GateContext, gate: Gate): Record<string, string> {
  if (gate.env.length === 0) return ctx.baseEnv;
  const out = { ...ctx.baseEnv };
  for (const name of gate.env) {
    const value = ctx.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export const shellArgv = (gate: Gate): string[] => (Array.isArray(gate.command) ? gate.command : [gate.command as string]);

/** A result for a gate that did not run (a gate it needs did not pass, or the run was aborted). */
export function skippedResult(gate: Gate, ctx: GateContext, reason: string): GateResult {
  return notRunResult(gate, ctx, "skipped", reason);
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
