import { closeSync, constants, fstatSync, openSync, opendirSync, readSync } from "node:fs";
import path from "node:path";
import type { Usage } from "../schemas/usage.js";
import { normalizeUsage } from "../usage.js";

/**
 * Kimi Code's data folder as the engine process will resolve it:
 * `$KIMI_CODE_HOME`, else `$HOME/.kimi-code` (Kimi Code 2.x `resolveKimiHome`).
 */
export function kimiCodeHome(env: Record<string, string | undefined>): string {
  const override = env["KIMI_CODE_HOME"];
  if (override !== undefined && override !== "") return override;
  return path.join(env["HOME"] ?? env["USERPROFILE"] ?? ".", ".kimi-code");
}

/** OMK's caps on reading Kimi Code's session logs (agent-writable input). */
export const KIMI_LOG_LIMITS = {
  /** Read per file per poll. */
  chunkBytes: 4 * 1024 * 1024,
  /** Read per session, all its files together. */
  totalBytes: 256 * 1024 * 1024,
  /** The longest line kept (Kimi's records are short; the engine's longest protocol line is 16 MiB by default). */
  lineBytes: 16 * 1024 * 1024,
  /** Session folders and agent folders looked at. */
  entries: 256,
} as const;

export type KimiTurnEnd = {
  /** The session's log was found at all (Kimi Code writes it from session/new on). */
  found: boolean;
  /** The main agent's `turn.ended` record was read. */
  ended: boolean;
  /** `llm.request` records of this turn (every agent) ... */
  requests: number;
  /** ... and `usage.record` records: fewer records than requests means calls without a usage report. */
  records: number;
};

/**
 * Kimi Code reports no usage over ACP; it appends `usage.record` lines
 * ({inputOther, output, inputCacheRead, inputCacheCreation}) to its session
 * log, `<kimi home>/sessions/<workspace id>/<session id>/agents/<agent>/wire.jsonl`
 * (`main`, and one folder per subagent), during the turn. This reader follows
 * the files of one session (new bytes only) and hands each record on.
 *
 * The log is written after the ACP prompt response can reach OMK, so the end
 * of a turn is read from the log itself: the main agent's `turn.ended` record
 * comes after every `usage.record` of the turn (an `llm.request` line precedes
 * each model call, its `usage.record` follows it).
 */
export class KimiUsageLog {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private turn: Omit<KimiTurnEnd, "found"> = { ended: false, requests: 0, records: 0 };
  /** Files not read (again): not regular files, or past the session's cap. */
  private readonly refused = new Set<string>();
  /** Files whose next complete line is the tail of one dropped as too long. */
  private readonly skipping = new Set<string>();
  /** Bytes read from this session's logs. */
  private total = 0;

  constructor(
    /** Kimi Code's data folder (kimiCodeHome). */
    private readonly kimiHome: string,
    /** The ACP session id, which is Kimi's session folder name ("" before the handshake). */
    private readonly sessionId: () => string,
    private readonly onUsage: (usage: Usage) => void,
    private readonly onProblem: (detail: string) => void,
  ) {}

  /** Reads what is pending (it belongs to the time before the turn), then counts the turn's records from zero and follows the log. */
  beginTurn(intervalMs = 200): void {
    this.poll();
    this.turn = { ended: false, requests: 0, records: 0 };
    this.stop();
    this.timer = setInterval(() => this.poll(), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Reads until the main agent's `turn.ended` record arrives (polling every
   * `pollMs`), or `maxMs` passes, or `alive()` turns false (a dead engine
   * writes nothing more: one last read). Returns what this turn's records say.
   */
  async waitForTurnEnd(maxMs: number, alive: () => boolean, pollMs = 20): Promise<KimiTurnEnd> {
    this.stop();
    const until = Date.now() + maxMs;
    this.poll();
    // No log for this session at all: nothing will mark the end (another layout, another home); do not wait for it.
    if (this.files().length === 0) return { found: false, ...this.turn };
    while (!this.turn.ended && alive() && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      this.poll();
    }
    // Subagents write their own files before the main agent's turn ends: one more read of every file.
    this.poll();
    return { found: true, ...this.turn };
  }

  /**
   * Reads what was appended since the last poll. The log sits in the engine's
   * session HOME, which the agent can write: it is read as untrusted input,
   * within OMK's caps. Only regular files (a symbolic link, FIFO or device is
   * refused, not followed: opened with O_NOFOLLOW | O_NONBLOCK), at most
   * KIMI_LOG_LIMITS.chunkBytes per file per poll and totalBytes per session
   * (past that, the file is no longer read: its usage is incomplete), a line
   * longer than lineBytes dropped.
   */
  poll(): void {
    for (const file of this.files()) {
      if (this.refused.has(file)) continue;
      let fd: number | undefined;
      try {
        fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
        const stat = fstatSync(fd);
        if (!stat.isFile()) {
          this.refuse(file, "not a regular file");
          continue;
        }
        const from = this.offsets.get(file) ?? 0;
        if (stat.size <= from) continue;
        if (this.total >= KIMI_LOG_LIMITS.totalBytes) {
          this.refuse(file, `the session's logs passed ${KIMI_LOG_LIMITS.totalBytes} bytes`);
          continue;
        }
        const want = Math.min(stat.size - from, KIMI_LOG_LIMITS.chunkBytes, KIMI_LOG_LIMITS.totalBytes - this.total);
        const buf = Buffer.alloc(want);
        const got = readSync(fd, buf, 0, want, from);
        this.offsets.set(file, from + got);
        this.total += got;
        let text = (this.partial.get(file) ?? "") + buf.subarray(0, got).toString("utf8");
        const lines = text.split("\n");
        text = lines.pop() ?? "";
        if (text.length > KIMI_LOG_LIMITS.lineBytes) {
          this.onProblem(`a line longer than ${KIMI_LOG_LIMITS.lineBytes} bytes in ${file}: dropped`);
          text = "";
          this.skipping.add(file);
        }
        this.partial.set(file, text);
        const main = path.basename(path.dirname(file)) === "main";
        for (const line of lines) {
          // The rest of a dropped overlong line.
          if (this.skipping.delete(file)) continue;
          this.line(line, main);
        }
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        if (code === "ENOENT") continue;
        this.refuse(file, code === "ELOOP" ? "a symbolic link" : (cause as Error).message);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
  }

  private refuse(file: string, why: string): void {
    this.refused.add(file);
    this.onProblem(`cannot read ${file}: ${why}; its usage is not counted`);
  }

  private line(line: string, main: boolean): void {
    const usage = line.includes('"usage.record"');
    const request = line.includes('"llm.request"');
    const ended = main && line.includes('"turn.ended"');
    if (!usage && !request && !ended) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      if (usage) this.onProblem("unparsable usage.record line in the Kimi session log");
      return;
    }
    if (record === null || typeof record !== "object") return;
    const type = (record as Record<string, unknown>)["type"];
    if (type === "llm.request") this.turn.requests++;
    else if (type === "turn.ended" && main) this.turn.ended = true;
    else if (type === "usage.record") {
      this.turn.records++;
      const counted = normalizeUsage((record as Record<string, unknown>)["usage"]);
      if (counted === undefined) this.onProblem("usage.record without token counts");
      else this.onUsage(counted);
    }
  }

  /** Where this session's logs are looked for (for messages). */
  get where(): string {
    return path.join(this.kimiHome, "sessions", "*", this.sessionId() || "<session>", "agents", "*", "wire.jsonl");
  }

  /** Every agent's log of this session (only this session: in the user's home, other sessions' logs sit next to it). */
  private files(): string[] {
    const id = this.sessionId();
    if (id === "" || id.includes("/") || id.includes("\\") || id === "." || id === "..") return [];
    const sessions = path.join(this.kimiHome, "sessions");
    const found: string[] = [];
    for (const workspace of dirs(sessions)) {
      const agents = path.join(sessions, workspace, id, "agents");
      for (const agent of dirs(agents)) found.push(path.join(agents, agent, "wire.jsonl"));
    }
    return found.sort();
  }
}

/** Up to KIMI_LOG_LIMITS.entries sub-folders of `dir` (not symbolic links). */
function dirs(dir: string): string[] {
  const out: string[] = [];
  try {
    const handle = opendirSync(dir);
    try {
      for (let entry = handle.readSync(); entry !== null && out.length < KIMI_LOG_LIMITS.entries; entry = handle.readSync())
        if (entry.isDirectory()) out.push(entry.name);
    } finally {
      handle.closeSync();
    }
  } catch {
    return out;
  }
  return out;
}
