import { accessSync, constants, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import type { ConfineCommand, ConfineRequest } from "../confine.js";

export type ProcessSpec = {
  file: string;
  args: readonly string[];
  shell: boolean;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** SIGTERM to the group, then SIGKILL after this long. */
  graceMs: number;
  signal?: AbortSignal | undefined;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
  /** Run it confined (../confine.ts): the caller's hook and what the sandbox must let the command write. */
  confine?: { run: ConfineCommand; root: string; purpose: ConfineRequest["purpose"]; writable: readonly string[] } | undefined;
  /** Set by runProcess for the confined form it starts. */
  confined?: boolean;
};

export type ProcessOutcome = {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** Set when the command could not start (not found, not executable, bad cwd). */
  spawnError?: string;
  /** Processes of the group still alive after the command exited (they were killed). */
  leftovers: boolean;
  /** Output pipes stayed open after the group was gone (a process that left the group holds them). */
  pipeHeld: boolean;
};

/** After the group is gone, how long to wait for the output pipes to close. */
const PIPE_WAIT_MS = 2000;
const POLL_MS = 15;
/** How long a confined command's sandbox may take to wind down after the command exited. */
const CONFINED_SETTLE_MS = 1000;
/** setTimeout's limit (about 24.8 days); a longer timeout is this. */
const MAX_TIMER_MS = 2_147_483_647;

/** Process groups of the gates running now (their leaders' pids): what a hard stop kills. */
const liveGroups = new Set<number>();

/**
 * Kill every running gate's process group at once (SIGKILL), synchronously:
 * for a second Ctrl-C, when the caller exits right after and the graceful
 * SIGTERM-then-SIGKILL would never get to its SIGKILL. Returns how many
 * groups were signalled.
 */
export function killAllGatesNow(): number {
  const groups = [...liveGroups];
  for (const pgid of groups) signalGroup(pgid, "SIGKILL");
  liveGroups.clear();
  return groups.length;
}

/** The outcome of a command that never started: why, and nothing else. */
function notStarted(spawnError: string): ProcessOutcome {
  return { exitCode: null, signal: null, timedOut: false, aborted: false, durationMs: 0, spawnError, leftovers: false, pipeHeld: false };
}

/**
 * Run one command in its own process group (`detached`), without a shell
 * unless asked. On timeout or abort the whole group gets SIGTERM, then
 * SIGKILL after the grace period; when the command exits, whatever it left
 * running in its group is killed the same way, so nothing leaks and no
 * orphan holding the output pipes can hang the runner.
 */
export async function runProcess(spec: ProcessSpec): Promise<ProcessOutcome> {
  if (spec.confine === undefined) return runStarted(spec);
  // Inside the sandbox a missing program is the sandbox's exit 1: found out here, so it stays a spawn error (ENOENT) as unconfined.
  if (!spec.shell && !findProgram(spec.file, spec.cwd, spec.env)) return notStarted(`spawn ${spec.file} ENOENT`);
  const argv = spec.shell ? ["/bin/sh", "-c", [spec.file, ...spec.args].join(" ")] : [spec.file, ...spec.args];
  let confined: ReturnType<ConfineCommand>;
  try {
    confined = spec.confine.run({
      argv,
      cwd: spec.cwd,
      root: spec.confine.root,
      purpose: spec.confine.purpose,
      writable: spec.confine.writable,
      env: spec.env,
    });
  } catch (e) {
    return notStarted(`could not confine the command: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const [file, ...args] = confined.argv as [string, ...string[]];
    return await runStarted({ ...spec, file, args, shell: false, env: { ...confined.env }, confine: undefined, confined: true });
  } finally {
    confined.dispose?.();
  }
}

/** Whether `file` names a program that can start: a path (against `cwd`), else a name found on the PATH of `env`. */
function findProgram(file: string, cwd: string, env: Record<string, string>): boolean {
  const runnable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (file.includes("/")) return runnable(path.resolve(cwd, file));
  return (env["PATH"] ?? "").split(path.delimiter).some((dir) => dir !== "" && runnable(path.join(path.resolve(cwd, dir), file)));
}

async function runStarted(spec: ProcessSpec): Promise<ProcessOutcome> {
  const started = performance.now();
  const child = execa(spec.file, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: false,
    shell: spec.shell,
    detached: true,
    stdin: "ignore",
    buffer: false,
    reject: false,
    encoding: "buffer",
  });
  child.stdout?.on("data", spec.onStdout);
  child.stderr?.on("data", spec.onStderr);
  const pid = child.pid;
  if (pid !== undefined) liveGroups.add(pid);

  let timedOut = false;
  let aborted = false;
  let killing: Promise<void> | undefined;
  const kill = () => {
    if (pid !== undefined) killing ??= terminateGroup(pid, spec.graceMs);
  };
  const timer = setTimeout(
    () => {
      timedOut = true;
      kill();
    },
    Math.min(spec.timeoutMs, MAX_TIMER_MS),
  );
  const onAbort = () => {
    aborted = true;
    kill();
  };
  if (spec.signal?.aborted === true) onAbort();
  else spec.signal?.addEventListener("abort", onAbort, { once: true });

  const settled = child.then((r) => r);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  await Promise.race([exited, settled]);
  const durationMs = Math.round(performance.now() - started);
  clearTimeout(timer);
  spec.signal?.removeEventListener("abort", onAbort);

  let leftovers = false;
  if (pid !== undefined) {
    if (killing !== undefined) await killing;
    // bwrap's own processes (its init in the sandbox's pid namespace) end a moment after the command: not leftovers.
    if (spec.confined === true) await waitGone(pid, CONFINED_SETTLE_MS);
    if (groupAlive(pid)) {
      leftovers = true;
      await terminateGroup(pid, spec.graceMs);
    }
    liveGroups.delete(pid);
  }
  let pipeHeld = false;
  let result = await Promise.race([settled, sleep(PIPE_WAIT_MS, undefined, { ref: false })]);
  if (result === undefined) {
    pipeHeld = true;
    child.stdout?.destroy();
    child.stderr?.destroy();
    result = await settled;
  }
  const spawnError = pid === undefined || (result.exitCode === undefined && result.signal === undefined) ? result.shortMessage || "could not start" : undefined;
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut,
    aborted,
    durationMs,
    ...(spawnError === undefined ? {} : { spawnError }),
    leftovers,
    pipeHeld,
  };
}

/** SIGTERM to the group; SIGKILL to whatever is left after `graceMs`. Resolves when the group is gone (or after a last wait). */
async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, "SIGTERM");
  if (await waitGone(pgid, graceMs)) return;
  signalGroup(pgid, "SIGKILL");
  await waitGone(pgid, 2000);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

async function waitGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (groupAlive(pgid)) {
    if (performance.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/**
 * Whether any process of the group is still running. `kill(-pgid, 0)` also
 * sees zombies (killed orphans wait for init to reap them, and some inits are
 * slow), so on Linux the group's members are checked in /proc and zombies
 * count as gone.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (process.platform !== "linux") return true;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
}
