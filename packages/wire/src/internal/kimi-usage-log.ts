import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";
import type { Usage } from "../schemas/usage.js";
import { normalizeUsage } from "../usage.js";

/**
 * Kimi Code reports no usage over ACP; it appends `usage.record` lines
 * ({inputOther, output, inputCacheRead, inputCacheCreation}) to
 * `<home>/.kimi-code/sessions/<...>/agents/main/wire.jsonl` during the turn.
 * This reader follows those files (new bytes only) and hands each record on.
 */
export class KimiUsageLog {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly home: string,
    private readonly onUsage: (usage: Usage) => void,
    private readonly onProblem: (detail: string) => void,
  ) {}

  start(intervalMs = 200): void {
    this.stop();
    this.timer = setInterval(() => this.poll(), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads what was appended since the last poll. */
  poll(): void {
    for (const file of this.files()) {
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        continue;
      }
      const from = this.offsets.get(file) ?? 0;
      if (size <= from) continue;
      const buf = Buffer.alloc(size - from);
      let fd: number | undefined;
      try {
        fd = openSync(file, "r");
        readSync(fd, buf, 0, buf.length, from);
      } catch (cause) {
        this.onProblem(`cannot read ${file}: ${(cause as Error).message}`);
        continue;
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      this.offsets.set(file, size);
      const text = (this.partial.get(file) ?? "") + buf.toString("utf8");
      const lines = text.split("\n");
      this.partial.set(file, lines.pop() ?? "");
      for (const line of lines) this.line(line);
    }
  }

  private line(line: string): void {
    if (!line.includes("usage.record")) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      this.onProblem("unparsable usage.record line in the Kimi session log");
      return;
    }
    if (record === null || typeof record !== "object" || (record as Record<string, unknown>)["type"] !== "usage.record") return;
    const usage = normalizeUsage((record as Record<string, unknown>)["usage"]);
    if (usage === undefined) this.onProblem("usage.record without token counts");
    else this.onUsage(usage);
  }

  private files(): string[] {
    const sessions = path.join(this.home, ".kimi-code", "sessions");
    const found: string[] = [];
    const walk = (dir: string, depth: number) => {
      if (depth > 6) return;
      let entries: import("node:fs").Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full, depth + 1);
        else if (entry.name === "wire.jsonl" && path.basename(path.dirname(full)) === "main" && path.basename(path.dirname(path.dirname(full))) === "agents") found.push(full);
      }
    };
    walk(sessions, 0);
    return found.sort();
  }
}
