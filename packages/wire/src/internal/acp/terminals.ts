import {
  type CreateTerminalRequest,
  type CreateTerminalResponse,
  RequestError,
  type TerminalExitStatus,
  type TerminalOutputResponse,
} from "@agentclientprotocol/sdk";
import { execa, type ResultPromise } from "execa";
import type { CommandRun } from "../../schemas/event.js";
import { terminateGroup, trackGroup } from "../process-group.js";
import { confinedArgv, type ConfinementPolicy } from "../../confine.js";
import { refused } from "./fs.js";
import type { AcpHost } from "./host.js";

/** The most output OMK keeps per terminal, whatever the agent asks for. */
const MAX_TERMINAL_OUTPUT_BYTES = 4 * 1024 * 1024;

type Terminal = {
  id: string;
  command: string;
  args: string[];
  cwd: string;
  child: ResultPromise;
  pid: number | undefined;
  startedAt: number;
  chunks: Buffer[];
  size: number;
  limit: number;
  truncated: boolean;
  totalBytes: number;
  exit: TerminalExitStatus | undefined;
  exited: Promise<TerminalExitStatus>;
  killedBy: CommandRun["killedBy"];
};

/** Cuts leading UTF-8 continuation bytes so truncated output starts on a character boundary. */
function fromCharBoundary(buf: Buffer): Buffer {
  let i = 0;
  while (i < buf.length && i < 4 && ((buf[i] as number) & 0xc0) === 0x80) i++;
  return i === 0 ? buf : buf.subarray(i);
}

/**
 * OMK's terminal capability: commands run in the session root (or a folder
 * inside it), each in its own process group, with output kept up to a byte
 * limit (the oldest bytes are dropped, as ACP says), and killed on
 * terminal/kill, terminal/release, turn cancel and session close.
 */
export class TerminalManager {
  private readonly terminals = new Map<string, Terminal>();
  private next = 1;
  /** Set when the session closes (or its engine is killed): no new command may start. */
  private closed = false;

  constructor(
    private readonly host: AcpHost,
    private readonly root: string,
    private readonly env: Record<string, string>,
    private readonly killGraceMs: number,
    /** The sandbox each command runs in (undefined: unconfined, as the user asked with --unconfined). */
    private readonly confine: ConfinementPolicy | undefined = undefined,
  ) {}

  create(params: CreateTerminalRequest): CreateTerminalResponse {
    // A command started while close() runs would outlive the session (its own process group).
    if (this.closed) throw refused(`to run ${params.command}`, "the session is closing");
    const cwdVerdict = this.host.judge(params.cwd ?? this.root, "read");
    if (!cwdVerdict.allowed) {
      this.host.recordScope("command", params.cwd ?? this.root, cwdVerdict.reason, true);
      throw refused(`to run ${params.command} in ${params.cwd}`, cwdVerdict.reason);
    }
    const cwd = cwdVerdict.real;
    const env = { ...this.env };
    for (const variable of params.env ?? []) env[variable.name] = variable.value;
    // A command line with no args (some agents send one string) runs through the shell.
    const viaShell = (params.args === undefined || params.args.length === 0) && /\s/.test(params.command.trim());
    const plain = { command: viaShell ? "/bin/sh" : params.command, args: viaShell ? ["-c", params.command] : [...(params.args ?? [])] };
    const { command, args } = this.confine === undefined ? plain : confinedArgv(this.confine, cwd, plain.command, plain.args);
    const limit = Math.min(params.outputByteLimit ?? MAX_TERMINAL_OUTPUT_BYTES, MAX_TERMINAL_OUTPUT_BYTES);
    const child = execa(command, args, {
      cwd,
      env,
      extendEnv: false,
      detached: true,
      buffer: false,
      reject: false,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      stripFinalNewline: false,
    });
    const id = `omk-term-${this.next++}`;
    const terminal: Terminal = {
      id,
      command: params.command,
      args: [...(params.args ?? [])],
      cwd,
      child,
      pid: child.pid,
      startedAt: Date.now(),
      chunks: [],
      size: 0,
      limit,
      truncated: false,
      totalBytes: 0,
      exit: undefined,
      exited: Promise.resolve({ exitCode: null, signal: null }),
      killedBy: undefined,
    };
    if (child.pid !== undefined) trackGroup(child.pid);
    const onData = (chunk: Buffer) => {
      this.host.activity();
      terminal.totalBytes += chunk.length;
      terminal.chunks.push(chunk);
      terminal.size += chunk.length;
      while (terminal.size > terminal.limit && terminal.chunks.length > 0) {
        const first = terminal.chunks[0] as Buffer;
        const over = terminal.size - terminal.limit;
        terminal.truncated = true;
        if (first.length <= over) {
          terminal.chunks.shift();
          terminal.size -= first.length;
        } else {
          terminal.chunks[0] = first.subarray(over);
          terminal.size -= over;
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    // What the sandbox refused, as the command's own error lines name it: read once its output is complete (`close` comes after the last byte).
    if (this.confine !== undefined)
      child.once("close", () => this.host.noteRefusals(fromCharBoundary(Buffer.concat(terminal.chunks, terminal.size)).toString("utf8"), cwd));
    terminal.exited = new Promise<TerminalExitStatus>((resolve) => {
      child.once("exit", (code, signal) => {
        terminal.exit = { exitCode: code, signal };
        resolve(terminal.exit);
        this.host.recordCommand({
          command: terminal.command,
          args: terminal.args,
          cwd,
          exitCode: code,
          signal,
          durationMs: Date.now() - terminal.startedAt,
          outputBytes: terminal.totalBytes,
          truncated: terminal.truncated,
          ...(terminal.killedBy === undefined ? {} : { killedBy: terminal.killedBy }),
        });
      });
      child.once("error", () => {
        if (terminal.exit !== undefined) return;
        terminal.exit = { exitCode: null, signal: null };
        resolve(terminal.exit);
      });
    });
    // The promise of an execa child rejects nothing (reject: false); keep it from dangling.
    void child.catch(() => {});
    if (child.pid === undefined) {
      // spawn failed (ENOENT): report it like a shell would, exit code 127.
      terminal.exit = { exitCode: 127, signal: null };
      terminal.exited = Promise.resolve(terminal.exit);
      const message = Buffer.from(`${params.command}: command not found\n`);
      terminal.chunks.push(message);
      terminal.size = message.length;
      terminal.totalBytes = message.length;
      this.host.recordCommand({
        command: terminal.command,
        args: terminal.args,
        cwd,
        exitCode: 127,
        signal: null,
        durationMs: 0,
        outputBytes: message.length,
        truncated: false,
      });
    }
    this.terminals.set(id, terminal);
    return { terminalId: id };
  }

  output(terminalId: string): TerminalOutputResponse {
    const terminal = this.get(terminalId);
    const output = fromCharBoundary(Buffer.concat(terminal.chunks, terminal.size)).toString("utf8");
    return { output, truncated: terminal.truncated, ...(terminal.exit === undefined ? {} : { exitStatus: terminal.exit }) };
  }

  async waitForExit(terminalId: string, signal: AbortSignal): Promise<TerminalExitStatus> {
    const terminal = this.get(terminalId);
    if (terminal.exit !== undefined) return terminal.exit;
    return await new Promise<TerminalExitStatus>((resolve, reject) => {
      const onAbort = () => reject(RequestError.requestCancelled());
      signal.addEventListener("abort", onAbort, { once: true });
      void terminal.exited.then((status) => {
        signal.removeEventListener("abort", onAbort);
        resolve(status);
      });
    });
  }

  async kill(terminalId: string): Promise<void> {
    await this.stop(this.get(terminalId), "agent");
  }

  async release(terminalId: string): Promise<void> {
    const terminal = this.terminals.get(terminalId);
    if (terminal === undefined) return;
    await this.stop(terminal, "release");
    this.terminals.delete(terminalId);
  }

  /**
   * Kills every running command (turn cancel, session close). On close, no
   * command may start any more, and every terminal is ended and forgotten,
   * including any created while the stops were awaited.
   */
  async killAll(why: "cancel" | "close"): Promise<void> {
    if (why === "cancel") {
      await Promise.all([...this.terminals.values()].map((terminal) => this.stop(terminal, why)));
      return;
    }
    this.closed = true;
    while (this.terminals.size > 0) {
      const batch = [...this.terminals.values()];
      for (const terminal of batch) this.terminals.delete(terminal.id);
      await Promise.all(batch.map((terminal) => this.stop(terminal, why)));
    }
  }

  private get(terminalId: string): Terminal {
    const terminal = this.terminals.get(terminalId);
    if (terminal === undefined) throw RequestError.resourceNotFound(terminalId);
    return terminal;
  }

  /** Ends the command's process group (leftover children included). */
  private async stop(terminal: Terminal, why: NonNullable<CommandRun["killedBy"]>): Promise<void> {
    if (terminal.pid === undefined) return;
    if (terminal.exit === undefined && terminal.killedBy === undefined) terminal.killedBy = why;
    await terminateGroup(terminal.pid, this.killGraceMs);
  }
}
