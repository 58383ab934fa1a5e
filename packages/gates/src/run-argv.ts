/**
 * One command as an argv (no shell unless the argv is `sh -c ...`), for a
 * caller that keeps its own logs (the controller's oracle criteria): what
 * ran, how it ended, its whole output. No process group, no retries: a
 * gate's run is runGates.
 */
import { execa } from "execa";

export type RunArgvOptions = {
  readonly cwd: string;
  /** The whole environment (nothing of process.env is added). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
};

export type ArgvRun = {
  /** undefined when the command did not exit (killed, timed out, could not start). */
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly failed: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Why it failed, in one line (e.g. the command could not start). */
  readonly shortMessage: string | undefined;
};

/** Runs `file args` in `cwd`: stdin closed, killed (SIGTERM, SIGKILL 3 s later) at the timeout or on `signal`, output kept whole up to 64 MiB. */
export async function runArgv(file: string, args: readonly string[], options: RunArgvOptions): Promise<ArgvRun> {
  const r = await execa(file, args, {
    cwd: options.cwd,
    env: { ...options.env },
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    timeout: options.timeoutMs,
    forceKillAfterDelay: 3000,
    stripFinalNewline: false,
    maxBuffer: 64 * 1024 * 1024,
    ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
  });
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    failed: r.failed,
    stdout: String(r.stdout ?? ""),
    stderr: String(r.stderr ?? ""),
    shortMessage: r.shortMessage,
  };
}
