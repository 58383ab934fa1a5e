import { promises as fsp } from "node:fs";
import { CorruptStateError, UnsupportedSchemaVersionError } from "../errors.js";
import { SCHEMA_VERSION } from "../schemas/common.js";
import { EventSchema, type GoalEvent } from "../schemas/event.js";
import { isErrno } from "./fs.js";

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

export type LogRead = {
  events: GoalEvent[];
  /** Byte length of the complete lines read (the log ends at a newline there). */
  validBytes: number;
  /** Bytes after the last newline: a torn write, not yet an event. */
  tornTail: Buffer | undefined;
};

/**
 * Parse the log from `offset` (a line boundary). A final segment without a
 * newline is a torn write and is reported apart; a bad complete line is
 * corruption and throws with its line number.
 */
export async function readLog(file: string, offset = 0, firstLine = 1): Promise<LogRead> {
  let buf: Buffer;
  try {
    const handle = await fsp.open(file, "r");
    try {
      const { size } = await handle.stat();
      buf = Buffer.alloc(Math.max(0, size - offset));
      if (buf.length > 0) await handle.read(buf, 0, buf.length, offset);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (isErrno(error, "ENOENT")) return { events: [], validBytes: 0, tornTail: undefined };
    throw error;
  }
  const lastNewline = buf.lastIndexOf(0x0a);
  const complete = lastNewline < 0 ? Buffer.alloc(0) : buf.subarray(0, lastNewline + 1);
  const tail = buf.subarray(lastNewline + 1);
  const events: GoalEvent[] = [];
  let line = firstLine;
  for (const text of complete.toString("utf8").split("\n")) {
    if (text === "") {
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (cause) {
      throw new CorruptStateError(file, `line ${line} is not valid JSON`, { cause });
    }
    events.push(upcastEventLine(raw, file, line));
    line++;
  }
  return { events, validBytes: offset + complete.length, tornTail: tail.length > 0 ? Buffer.from(tail) : undefined };
}
