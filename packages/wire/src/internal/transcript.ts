import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import type { Redactor } from "../redact.js";
import type { TranscriptLine } from "../schemas/transcript.js";
import { LineSplitter } from "./lines.js";

type Direction = "in" | "out" | "stderr";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The raw tap: every byte the engine reads and writes, as JSON lines with a
 * timestamp and a direction, redacted. It splits bytes into lines itself, so
 * lines the SDK cannot parse (and drops) are kept. Writes are synchronous so
 * a crash of OMK loses nothing already seen. Without a path it records nothing.
 */
export class TranscriptTap {
  private fd: number | undefined;
  private readonly splitters = new Map<Direction, LineSplitter>();
  private partialDir: Direction | undefined;

  constructor(
    file: string | undefined,
    private readonly redact: Redactor,
    maxLineBytes = 1024 * 1024,
  ) {
    if (file !== undefined) {
      mkdirSync(path.dirname(file), { recursive: true });
      this.fd = openSync(file, "a");
    }
    for (const dir of ["in", "out", "stderr"] as const) {
      this.splitters.set(dir, new LineSplitter(maxLineBytes, (line, dropped) => this.writeLine(dir, line, dropped)));
    }
  }

  record(dir: Direction, chunk: Uint8Array): void {
    if (this.fd === undefined) return;
    this.splitters.get(dir)?.push(chunk);
  }

  meta(event: string, fields: Record<string, unknown> = {}): void {
    this.write({ t: new Date().toISOString(), dir: "meta", meta: { event, ...fields } });
  }

  /** Flushes unterminated lines and closes the file. */
  close(): void {
    if (this.fd === undefined) return;
    for (const [dir, splitter] of this.splitters) {
      this.partialDir = dir;
      splitter.flush();
    }
    this.partialDir = undefined;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }

  private writeLine(dir: Direction, bytes: Buffer, dropped: number): void {
    const entry: TranscriptLine = { t: new Date().toISOString(), dir };
    try {
      entry.line = this.redact(decoder.decode(bytes));
    } catch {
      entry.b64 = bytes.toString("base64");
    }
    if (this.partialDir === dir) entry.partial = true;
    if (dropped > 0) entry.truncated = dropped;
    this.write(entry);
  }

  private write(entry: TranscriptLine): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    } catch {
      // A full disk must not take the session down; the transcript is evidence, not control.
    }
  }
}
