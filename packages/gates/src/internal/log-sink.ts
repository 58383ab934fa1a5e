import type { Hash } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { type Redactor, type StreamRedactor, sha256Hasher } from "@omk/core";
import type { LogFile } from "../schemas/result.js";

export const DEFAULT_LOG_CAP = 2 * 1024 * 1024;
const TAIL_LINES = 20;
const TAIL_LINE_CHARS = 300;
const CAPTURE_CAP = 4 * 1024 * 1024;
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 1000;

/**
 * One stream of one gate written to a file as it arrives: decoded, redacted
 * (a secret split across chunks is still caught), capped. Over the cap the
 * file keeps the first and the last half and says how much is missing. The
 * sha256 covers the file's bytes; a segment hash covers everything the
 * current attempt printed (golden comparisons), and a capture keeps the
 * attempt's text for reading a benchmark figure.
 *
 * Writes are batched: bytes go to the file when 64 KiB are pending, a second
 * after the first pending byte (so a long gate's log can be followed), and
 * at close. A quiet gate costs one open, write and close, and the runner
 * never waits on a thread-pool round trip between gates (those wake-ups
 * dominated its overhead on a busy machine). An IO error is kept and thrown
 * by close(), never from inside a stream callback.
 */
export class LogSink {
  private fd: number | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private ioError: unknown;
  private readonly decoder = new StringDecoder("utf8");
  private readonly redactor: StreamRedactor;
  private readonly fileHash: Hash = sha256Hasher();
  private readonly headCap: number;
  private readonly tailCap: number;
  private written = 0;
  private total = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private dropped = 0;
  private segmentHash: Hash = sha256Hasher();
  private capture: string[] | undefined;
  private captureBytes = 0;
  private lastText = "";
  private closed: LogFile | undefined;

  constructor(
    readonly file: string,
    private readonly relPath: string,
    redactor: Redactor,
    cap: number = DEFAULT_LOG_CAP,
  ) {
    this.redactor = redactor.stream();
    this.headCap = Math.floor(cap / 2);
    this.tailCap = cap - this.headCap;
  }

  write(chunk: Buffer): void {
    const text = this.redactor.push(this.decoder.write(chunk));
    if (text !== "") this.append(text, true);
  }

  /** Start an attempt (or benchmark run): flush, reset the segment hash, optionally capture text. */
  startSegment(options: { capture?: boolean; header?: string } = {}): void {
    this.flushStream();
    this.segmentHash = sha256Hasher();
    this.capture = options.capture === true ? [] : undefined;
    this.captureBytes = 0;
    if (options.header !== undefined) this.append(`${options.header}\n`, false);
  }

  /** End the current segment: its sha256 and captured text. */
  endSegment(): { sha256: string; text: string | undefined } {
    this.flushStream();
    const text = this.capture?.join("");
    this.capture = undefined;
    const sha256 = this.segmentHash.digest("hex");
    // Text written between segments (a runner note) must not hit a finished hash.
    this.segmentHash = sha256Hasher();
    return { sha256, text };
  }

  /** Write text from the runner itself (headers, builtin gate output); redacted too. */
  note(text: string): void {
    const safe = this.redactor.push(text);
    if (safe !== "") this.append(safe, true);
  }

  /** Finish the log: flush, close, and return its digest and size. Throws if the file could not be written. */
  close(): LogFile {
    if (this.closed !== undefined) return this.closed;
    this.flushStream();
    if (this.dropped > 0) {
      const marker = `\n[omk-gates: ${this.dropped} bytes left out here; the log keeps the first ${this.headCap} and the last ${this.tailCap} bytes]\n`;
      this.put(Buffer.from(marker));
    }
    for (const buf of this.tail) this.put(buf);
    this.tail = [];
    this.flush();
    if (this.fd === undefined && this.ioError === undefined) this.flush(true);
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.ioError !== undefined) throw this.ioError;
    this.closed = { path: this.relPath, sha256: this.fileHash.digest("hex"), bytes: this.written, totalBytes: this.total, truncated: this.dropped > 0 };
    return this.closed;
  }

  /** The last lines of the stream (redacted), for a summary. */
  tailLines(): string[] {
    const lines = this.lastText.split(/\r?\n/).filter((l) => l.trim() !== "");
    return lines.slice(-TAIL_LINES).map((l) => (l.length > TAIL_LINE_CHARS ? `${l.slice(0, TAIL_LINE_CHARS)}…` : l));
  }

  private flushStream(): void {
    const text = this.redactor.push(this.decoder.end()) + this.redactor.end();
    if (text !== "") this.append(text, true);
  }

  private append(text: string, fromGate: boolean): void {
    const buf = Buffer.from(text);
    if (fromGate) {
      this.segmentHash.update(buf);
      if (this.capture !== undefined && this.captureBytes < CAPTURE_CAP) {
        this.capture.push(text);
        this.captureBytes += buf.length;
      }
    }
    this.lastText = (this.lastText + text).slice(-TAIL_LINES * TAIL_LINE_CHARS);
    this.total += buf.length;
    const room = this.headCap - this.written;
    if (room > 0 && this.dropped === 0 && this.tailBytes === 0) {
      const head = buf.length <= room ? buf : buf.subarray(0, charStart(buf, room));
      this.put(head);
      if (head.length === buf.length) return;
      this.pushTail(buf.subarray(head.length));
      return;
    }
    this.pushTail(buf);
  }

  private pushTail(buf: Buffer): void {
    this.tail.push(buf);
    this.tailBytes += buf.length;
    while (this.tailBytes > this.tailCap) {
      const first = this.tail[0] as Buffer;
      // Drop whole characters only: never start the kept tail inside a UTF-8 sequence.
      let excess = this.tailBytes - this.tailCap;
      while (excess < first.length && isContinuation(first[excess])) excess++;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.dropped += excess;
      }
    }
  }

  private put(buf: Buffer): void {
    this.fileHash.update(buf);
    this.written += buf.length;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  /** Write what is pending (opening the file on first use; `create` opens it even when nothing is pending). */
  private flush(create = false): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if ((this.pending.length === 0 && !create) || this.ioError !== undefined) return;
    try {
      this.fd ??= openSync(this.file, "w");
      for (const buf of this.pending) {
        let offset = 0;
        while (offset < buf.length) offset += writeSync(this.fd, buf, offset);
      }
    } catch (error) {
      this.ioError = error;
    }
    this.pending = [];
    this.pendingBytes = 0;
  }
}

const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

/** The largest cut at or before `at` that does not split a UTF-8 sequence. */
function charStart(buf: Buffer, at: number): number {
  let cut = at;
  while (cut > 0 && isContinuation(buf[cut])) cut--;
  return cut;
}
