/**
 * The last events of a goal's log, read from its tail only (a status read
 * stays O(1) in the log's length: bench/status-100k). For display: the chain
 * and MACs are checked where it matters (readGoal, `omk goal replay --verify`).
 */
import { promises as fsp } from "node:fs";
import { upcastEventLine } from "./internal/log.js";
import type { GoalEvent } from "./schemas/event.js";

/** The default tail: the last 16 KB of the log. */
export const TAIL_BYTES = 16 * 1024;

/**
 * The complete lines in the last `bytes` of `file` that parse as events (by
 * EventSchema, older versions upcast); a partial first line, a line being
 * written or a damaged one is skipped. A missing file has no events.
 */
export async function tailEventsOf(file: string, bytes = TAIL_BYTES): Promise<GoalEvent[]> {
  let handle: fsp.FileHandle | undefined;
  let text: string;
  let start: number;
  try {
    handle = await fsp.open(file, "r");
    const size = (await handle.stat()).size;
    start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await handle.read(buf, 0, buf.length, start);
    text = buf.toString("utf8");
  } catch {
    return [];
  } finally {
    await handle?.close();
  }
  const lines = text.split("\n");
  if (start > 0) lines.shift(); // a partial first line
  const events: GoalEvent[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    try {
      events.push(upcastEventLine(JSON.parse(line), file, i + 1));
    } catch {
      // a line being written, or damaged: `omk goal replay --verify` is where that is judged
    }
  }
  return events;
}
