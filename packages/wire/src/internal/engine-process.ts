import { type ChildProcess, spawn } from "node:child_process";
import { confinedArgv, type ConfinementPolicy } from "../confine.js";
import { EngineSpawnError, type ExitFacts } from "../errors.js";
import { err, ok, type Result } from "@omk/core";
import { within } from "./deadline.js";
import { LineSplitter } from "./lines.js";
import { terminateGroup, trackGroup, untrackGroup } from "./process-group.js";
import type { TranscriptTap } from "./transcript.js";

export type ExitInfo = { exitCode: number | null; signal: string | null };

export type EngineProcessOptions = {
  command: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** The sandbox the engine runs in (undefined: unconfined). */
  confine?: ConfinementPolicy | undefined;
  tap: TranscriptTap;
  redact: (text: string) => string;
  /** Every chunk from stdout (for inactivity deadlines). */
  onActivity?: () => void;
  /** Each complete stdout line, raw (for anomaly detection next to the SDK's own parsing). */
  onStdoutLine?: (line: Buffer, droppedBytes: number) => void;
  onStderrLine?: (line: string) => void;
  /**
   * A line handler threw (a malformed engine message the protocol layer did
   * not expect). It runs inside a stream listener, where a throw would be an
   * uncaught exception that ends OMK, so it is caught and reported here.
   */
  onLineError?: (stream: "stdout" | "stderr", error: unknown) => void;
  /** The longest stdout line inspected by onStdoutLine. */
  maxLineBytes: number;
};

const STDERR_TAIL_LINES = 40;
const STDERR_TAIL_CHARS = 8_000;
/** After `exit`, how long to wait for stdio to close before giving up on buffered output. */
const CLOSE_AFTER_EXIT_MS = 500;

/**
 * One engine process in its own process group, with stdio as web streams for
 * the protocol layer, a raw tap into the transcript, a redacted stderr tail,
 * and termination of the whole group (SIGTERM, then SIGKILL).
 */
export class EngineProcess {
  readonly pid: number;
  readonly input: WritableStream<Uint8Array>;
  readonly output: ReadableStream<Uint8Array>;
  /** Resolves when the process has exited and its stdio is closed (or shortly after exit). */
  readonly closed: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  private readonly tail: string[] = [];
  private stopping: Promise<{ forced: boolean }> | undefined;
  private killedByUs = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: EngineProcessOptions,
  ) {
    this.pid = child.pid as number;
    trackGroup(this.pid);
    const { tap, redact } = options;
    const guarded = (stream: "stdout" | "stderr", handle: () => void) => {
      try {
        handle();
      } catch (error) {
        try {
          options.onLineError?.(stream, error);
        } catch {
          // the report itself must not take OMK down either
        }
      }
    };
    const stdoutLines = new LineSplitter(options.maxLineBytes, (line, dropped) => guarded("stdout", () => options.onStdoutLine?.(line, dropped)));
    const stderrLines = new LineSplitter(64 * 1024, (line) => {
      const text = redact(line.toString("utf8"));
      this.tail.push(text);
      if (this.tail.length > STDERR_TAIL_LINES) this.tail.shift();
      guarded("stderr", () => options.onStderrLine?.(text));
    });
    const stdout = child.stdout;
    const stdin = child.stdin;
    if (stdout === null || stdin === null || child.stderr === null) throw new Error("engine stdio must be pipes");
    this.output = new ReadableStream<Uint8Array>({
      start(controller) {
        stdout.on("data", (chunk: Buffer) => {
          tap.record("in", chunk);
          options.onActivity?.();
          stdoutLines.push(chunk);
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        });
        stdout.once("end", () => {
          stdoutLines.flush();
          try {
            controller.close();
          } catch {
            // already cancelled by the reader
          }
        });
        stdout.once("error", (error) => {
          try {
            controller.error(error);
          } catch {
            // already closed
          }
        });
      },
      cancel() {
        stdout.destroy();
      },
    });
    stdin.on("error", () => {
      // EPIPE after the engine died: the exit is reported through `closed`.
    });
    this.input = new WritableStream<Uint8Array>({
      write(chunk) {
        tap.record("out", chunk);
        return new Promise<void>((resolve, reject) => {
          if (stdin.destroyed || !stdin.writable) {
            reject(new Error("engine stdin is closed"));
            return;
          }
          stdin.write(chunk, (error) => (error ? reject(error) : resolve()));
        });
      },
      close() {
        stdin.end();
      },
      abort() {
        stdin.destroy();
      },
    });
    child.stderr.on("data", (chunk: Buffer) => {
      tap.record("stderr", chunk);
      stderrLines.push(chunk);
    });
    child.stderr.once("end", () => stderrLines.flush());
    this.closed = new Promise<ExitInfo>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        const info = this.exitInfo ?? { exitCode: child.exitCode, signal: child.signalCode };
        resolve(info);
      };
      child.once("exit", (code, signal) => {
        this.exitInfo = { exitCode: code, signal };
        tap.meta("exit", { exitCode: code, signal, killedByUs: this.killedByUs });
        timer = setTimeout(done, CLOSE_AFTER_EXIT_MS);
      });
      child.once("close", done);
    });
  }

  /** Starts the process in its own group; a command that cannot start is an error value. */
  static async start(options: EngineProcessOptions): Promise<Result<EngineProcess, EngineSpawnError>> {
    let child: ChildProcess;
    try {
      const argv =
        options.confine === undefined
          ? { command: options.command, args: [...options.args] }
          : confinedArgv(options.confine, options.cwd, options.command, options.args);
      child = spawn(argv.command, argv.args, {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (cause) {
      return err(new EngineSpawnError(options.command, (cause as Error).message, { cause }));
    }
    const started = await new Promise<Error | undefined>((resolve) => {
      child.once("spawn", () => resolve(undefined));
      child.once("error", (error) => resolve(error));
    });
    if (started !== undefined || child.pid === undefined) {
      const code = (started as NodeJS.ErrnoException | undefined)?.code;
      return err(
        new EngineSpawnError(options.command, started?.message ?? "no pid", {
          cause: started,
          fix: code === "ENOENT" ? `install the engine or put \`${options.command}\` on PATH` : "check the engine command in the config",
        }),
      );
    }
    child.on("error", () => {
      // Errors after spawn (a failed kill) surface through exit/close.
    });
    options.tap.meta("spawn", {
      pid: child.pid,
      command: options.command,
      args: options.args.map((a) => options.redact(a)),
      cwd: options.cwd,
      confined: options.confine !== undefined,
    });
    return ok(new EngineProcess(child, options));
  }

  /** Exit code and signal once exited, else undefined. */
  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  get wasKilled(): boolean {
    return this.killedByUs;
  }

  stderrTail(): string {
    const text = this.tail.join("\n");
    return text.length > STDERR_TAIL_CHARS ? text.slice(text.length - STDERR_TAIL_CHARS) : text;
  }

  facts(): ExitFacts {
    const exit = this.exitInfo ?? { exitCode: null, signal: null };
    return { exitCode: exit.exitCode, signal: exit.signal, stderrTail: this.stderrTail() };
  }

  /** Ends the whole process group (SIGTERM, SIGKILL after the grace); safe to call many times. */
  stop(graceMs: number): Promise<{ forced: boolean }> {
    if (this.stopping === undefined) {
      this.killedByUs = this.exitInfo === undefined;
      this.options.tap.meta("terminate", { pid: this.pid, graceMs });
      this.child.stdin?.end();
      this.stopping = terminateGroup(this.pid, graceMs).then(async (result) => {
        await within(this.closed, 3_000);
        return result;
      });
    }
    return this.stopping;
  }

  /** Ends the engine's stdin (many engines exit on EOF). */
  endInput(): void {
    this.child.stdin?.end();
  }

  /** Forget the group without signalling it (it is known to be gone). */
  release(): void {
    untrackGroup(this.pid);
  }
}
