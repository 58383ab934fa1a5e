import { constants, promises as fsp } from "node:fs";
import { CorruptStateError, LogTamperedError, UnsupportedSchemaVersionError } from "../errors.js";
import { SCHEMA_VERSION } from "../schemas/common.js";
import { EventSchema, type GoalEvent } from "../schemas/event.js";
import { sha256 } from "@omk/core";
import { isErrno } from "./fs.js";
import { lineMac } from "./log-key.js";

/**
 * Upcasters for event lines written by older versions: `UPCASTERS[v]` turns
 * a version-v line into a version-(v+1) line. Version 1 is the first
 * released format, so the chain is empty; fixtures of every released version
 * live in src/fixtures and must keep loading (schema-versions.test.ts).
 */
const UPCASTERS: Record<number, (raw: Record<string, unknown>) => Record<string, unknown>> = {};

export function upcastEventLine(raw: unknown, file: string, line: number): GoalEvent {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new CorruptStateError(file, `line ${line} is not a JSON object`);
  }
  let record = raw as Record<string, unknown>;
  const v = record["v"];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new CorruptStateError(file, `line ${line} has no valid schema version "v"`);
  }
  if (v > SCHEMA_VERSION) throw new UnsupportedSchemaVersionError(`${file} line ${line}`, v, SCHEMA_VERSION);
  for (let at = v; at < SCHEMA_VERSION; at++) {
    const up = UPCASTERS[at];
    if (up === undefined) throw new CorruptStateError(file, `line ${line}: no upgrade from schema version ${at}`);
    record = up(record);
  }
  const parsed = EventSchema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorruptStateError(file, `line ${line} is not a valid event: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}

/** The `prev` of a log's first line: there is no line before it. */
export const GENESIS_PREV = "0".repeat(64);

/** The mac field a signed line ends with (always the last key, so the signed bytes are the line without it). */
const MAC_SUFFIX = /,"mac":"([0-9a-f]{64})"\}$/;

/** What the MAC check needs: the goal (bound into every MAC) and the key, when this machine has it. */
export type LogAuth = { readonly goalId: string; readonly key: Buffer | undefined };

export type ReadLogOptions = {
  /** Byte offset to start at (a line boundary). */
  offset?: number;
  /** Line number of the line at `offset`. */
  firstLine?: number;
  /**
   * sha256 of the line before `offset` when the chain runs through it. Reading
   * from an offset needs it; without it a chained line there throws (the caller
   * then reads the whole log).
   */
  prev?: string;
  auth?: LogAuth;
};

export type LogChain = {
  /** Lines before the first chained one (a log written before the chain existed); not checked. */
  readonly unchainedLines: number;
  /** Lines that carry prev and a MAC. */
  readonly chainedLines: number;
  /** Whether every chained line's MAC was checked against the key (false: no key on this machine). */
  readonly macChecked: boolean;
};

export type LogRead = {
  events: GoalEvent[];
  /** Byte length of the complete lines read (the log ends at a newline there). */
  validBytes: number;
  /** Bytes after the last newline: a torn write, not yet an event. */
  tornTail: Buffer | undefined;
  /** sha256 of the last complete line (without its newline): what the next line's prev must be; undefined for an empty log. */
  head: string | undefined;
  chain: LogChain;
};

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The log's bytes; a FIFO or device is refused rather than read (it could block or never end). */
async function readBytes(file: string, offset: number): Promise<Buffer | undefined> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (isErrno(error, "ENOENT")) return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new CorruptStateError(file, "is not a regular file", { fix: "replace it with the goal's event log (a regular file)" });
    const buf = Buffer.alloc(Math.max(0, stat.size - offset));
    let at = 0;
    while (at < buf.length) {
      const { bytesRead } = await handle.read(buf, at, buf.length - at, offset + at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return buf.subarray(0, at);
  } finally {
    await handle.close();
  }
}

/**
 * Parse the log from `offset` (a line boundary). A final segment without a
 * newline is a torn write and is reported apart; a bad complete line is
 * corruption and throws with its line number: invalid UTF-8 or JSON, a
 * broken hash chain or a MAC that the key does not confirm (LogTamperedError).
 */
export async function readLog(file: string, options: ReadLogOptions = {}): Promise<LogRead> {
  const offset = options.offset ?? 0;
  const buf = await readBytes(file, offset);
  if (buf === undefined)
    return { events: [], validBytes: 0, tornTail: undefined, head: undefined, chain: { unchainedLines: 0, chainedLines: 0, macChecked: false } };
  const lastNewline = buf.lastIndexOf(0x0a);
  const complete = lastNewline < 0 ? Buffer.alloc(0) : buf.subarray(0, lastNewline + 1);
  const tail = buf.subarray(lastNewline + 1);
  const events: GoalEvent[] = [];
  const goalId = options.auth?.goalId ?? "";
  const key = options.auth?.key;
  const tampered = (line: number, at: number, reason: string) => new LogTamperedError(file, goalId, line, offset + at, reason);
  let line = options.firstLine ?? 1;
  // What the next chained line's prev must be: undefined when unknown (reading from an offset without `prev`).
  let head: string | undefined = offset === 0 ? undefined : options.prev;
  let chainedFrom: number | undefined;
  let unchained = 0;
  let chained = 0;
  let start = 0;
  while (start < complete.length) {
    const end = complete.indexOf(0x0a, start);
    const bytes = complete.subarray(start, end);
    const at = start;
    start = end + 1;
    if (bytes.length === 0) continue;
    let text: string;
    try {
      text = UTF8.decode(bytes);
    } catch (cause) {
      throw new CorruptStateError(file, `line ${line} is not valid UTF-8`, { cause });
    }
    const mac = MAC_SUFFIX.exec(text);
    const signed = mac === null ? text : `${text.slice(0, mac.index)}}`;
    let raw: unknown;
    try {
      raw = JSON.parse(signed);
    } catch (cause) {
      throw new CorruptStateError(file, `line ${line} is not valid JSON`, { cause });
    }
    const event = upcastEventLine(raw, file, line);
    if (event.prev !== undefined) {
      if (mac === null) throw tampered(line, at, "carries a chain hash but no MAC");
      const want = head ?? (offset === 0 && line === (options.firstLine ?? 1) ? GENESIS_PREV : undefined);
      if (want === undefined) throw new CorruptStateError(file, `line ${line}: the hash of the line before it is not known from offset ${offset}`);
      if (event.prev !== want)
        throw tampered(
          line,
          at,
          `does not follow the line before it (its prev hash is ${event.prev.slice(0, 12)}, the line before hashes to ${want.slice(0, 12)})`,
        );
      if (key !== undefined && lineMac(key, goalId, signed) !== mac[1])
        throw tampered(line, at, "has a MAC the log key does not confirm (written without the key)");
      chainedFrom ??= line;
      chained++;
    } else {
      if (mac !== null) throw tampered(line, at, "carries a MAC but no chain hash");
      if (chainedFrom !== undefined) throw tampered(line, at, `has no chain hash, but the chain began at line ${chainedFrom}`);
      // From an offset it is not known whether the chain began before it: only a whole read can tell.
      if (offset > 0) throw new CorruptStateError(file, `line ${line} has no chain hash; read the log from its start to judge it`);
      unchained++;
    }
    head = sha256(bytes);
    events.push(event);
    line++;
  }
  return {
    events,
    validBytes: offset + complete.length,
    tornTail: tail.length > 0 ? Buffer.from(tail) : undefined,
    head,
    chain: { unchainedLines: unchained, chainedLines: chained, macChecked: key !== undefined },
  };
}

/** One line as the store writes it: the event's JSON with `,"mac":"…"` added as its last field (signed: the JSON without it). */
export function signedLine(event: GoalEvent, auth: { goalId: string; key: Buffer }): string {
  const json = JSON.stringify(event);
  return `${json.slice(0, -1)},"mac":"${lineMac(auth.key, auth.goalId, json)}"}\n`;
}
