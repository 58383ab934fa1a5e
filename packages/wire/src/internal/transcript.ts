import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import type { TranscriptLine } from "../schemas/transcript.js";
import { LineSplitter } from "./lines.js";

type Direction = "in" | "out" | "stderr";

const strict = new TextDecoder("utf-8", { fatal: true });
const lossy = new TextDecoder("utf-8", { fatal: false });

/** Drops an incomplete UTF-8 sequence at the end of a cut line (the line cap may fall inside a character). */
function trimToCharBoundary(bytes: Buffer): Buffer {
  // Find the last lead byte among the final (up to 4) bytes and check its sequence is complete.
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 4; i--) {
    const b = bytes[i] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : 1;
    return i + need > bytes.length ? bytes.subarray(0, i) : bytes;
  }
  return bytes;
}

/**
 * The raw tap: every byte the engine reads and writes, as JSON lines with a
 * timestamp and a direction, redacted. It splits bytes into lines itself, so
 * lines the SDK cannot parse (and drops) are kept. Writes are synchronous so
 * a crash of OMK loses nothing already seen. Without a path it records nothing.
 * Nothing is written unredacted: bytes that are not UTF-8 are decoded lossily
 * (U+FFFD) and redacted, and the entry is marked `lossy`.
 */
export class TranscriptTap {
  private fd: number | undefined;
  private readonly splitters = new Map<Direction, LineSplitter>();
  private partialDir: Direction | undefined;
  private closed = false;

  constructor(
    file: string | undefined,
    /** Removes secrets from a line (the session's redactor). */
    private readonly redact: (text: string) => string,
    maxLineBytes = 1024 * 1024,
    /** Sees each JSON-RPC line (not stderr) before it is redacted, with or without a file. */
    private readonly inspect?: (dir: "in" | "out", line: string) => void,
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
    if (this.closed || (this.fd === undefined && (this.inspect === undefined || dir === "stderr"))) return;
    this.splitters.get(dir)?.push(chunk);
  }

  meta(event: string, fields: Record<string, unknown> = {}): void {
    this.write({ t: new Date().toISOString(), dir: "meta", meta: { event, ...fields } });
  }

  /** Flushes unterminated lines and closes the file. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [dir, splitter] of this.splitters) {
      this.partialDir = dir;
      splitter.flush();
    }
    this.partialDir = undefined;
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }

  private writeLine(dir: Direction, bytes: Buffer, dropped: number): void {
    const entry: TranscriptLine = { t: new Date().toISOString(), dir };
    if (dropped > 0) {
      const kept = trimToCharBoundary(bytes);
      dropped += bytes.length - kept.length;
      bytes = kept;
    }
    let text: string;
    try {
      text = strict.decode(bytes);
    } catch {
      text = lossy.decode(bytes);
      entry.lossy = true;
    }
    if (dir !== "stderr" && this.inspect !== undefined) {
      try {
        this.inspect(dir, text);
      } catch {
        // The inspector is the caller's: its failure must not take the session down.
      }
    }
    if (this.fd === undefined) return;
    entry.line = this.redact(text);
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
