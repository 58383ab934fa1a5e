import { promises as fsp } from "node:fs";
import { CorruptStateError } from "../errors.js";
import type { GoalPaths } from "../paths.js";
import { reduce, replayEvents } from "../reduce.js";
import { SCHEMA_VERSION } from "../schemas/common.js";
import type { GoalEvent } from "../schemas/event.js";
import { type Goal, GoalSchema } from "../schemas/goal.js";
import { readFileOrUndefined } from "./fs.js";
import { type LogAuth, type LogChain, readLog } from "./log.js";
import { lineMac } from "./log-key.js";

export type Folded = { goal: Goal; validBytes: number; tornTail: Buffer | undefined; snapshotFresh: boolean; chain: LogChain | undefined };

export type FoldOptions = {
  auth?: LogAuth;
  /** Read the whole log (check the whole chain) even when goal.json is fresh: writers do, goal.json is not signed. */
  full?: boolean;
};

/**
 * The goal as the log says: goal.json when it is fresh, plus the events
 * after it; a full fold when goal.json is missing, stale or damaged. Never
 * writes (readers take no lock).
 */
export async function foldGoal(paths: GoalPaths, options: FoldOptions = {}): Promise<Folded> {
  // goal.json is trusted as a starting point only when its MAC (goal.json.mac) checks with this machine's key.
  const snapshot = await trustedSnapshot(paths, options.auth).catch(() => undefined);
  const size = (await fsp.stat(paths.events)).size;
  if (options.full !== true && snapshot !== undefined && snapshot.chainHead !== undefined && snapshot.logBytes <= size) {
    // A snapshot whose offset is not a line boundary of this log, or whose chain head the tail does not
    // continue, falls back to a full fold (which judges the whole chain).
    const tail = await readLog(paths.events, {
      offset: snapshot.logBytes,
      firstLine: snapshot.lastSeq + 1,
      prev: snapshot.chainHead,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
    }).catch(() => undefined);
    if (tail !== undefined) {
      let goal: Goal | undefined = snapshot;
      for (const event of tail.events) {
        const next = reduce(goal, event);
        goal = next.ok ? next.value : undefined;
        if (goal === undefined) break;
      }
      if (goal !== undefined) {
        const chainHead = tail.head ?? snapshot.chainHead;
        return {
          goal: { ...goal, logBytes: tail.validBytes, chainHead },
          validBytes: tail.validBytes,
          tornTail: tail.tornTail,
          snapshotFresh: tail.events.length === 0,
          chain: undefined,
        };
      }
    }
  }
  const log = await readLog(paths.events, options.auth === undefined ? {} : { auth: options.auth });
  const goal = foldEvents(paths, log.events, log.validBytes, log.head);
  const current = options.auth?.key === undefined ? await readSnapshot(paths).catch(() => undefined) : snapshot;
  const snapshotFresh = current !== undefined && current.chainHead === goal.chainHead && diffGoals(goal, current).length === 0;
  return { goal, validBytes: log.validBytes, tornTail: log.tornTail, snapshotFresh, chain: log.chain };
}

/** Fold a whole log; an event the reducer refuses means the log is damaged. */
export function foldEvents(paths: GoalPaths, events: GoalEvent[], validBytes: number, head: string | undefined): Goal {
  const result = replayEvents(events);
  if (!result.ok) {
    throw new CorruptStateError(paths.events, `event ${result.error.seq} cannot be applied: ${result.error.message}`);
  }
  return { ...result.value, logBytes: validBytes, ...(head === undefined ? {} : { chainHead: head }) };
}

/** The MAC of goal.json's text, kept in goal.json.mac (goal.json stays plain JSON for its readers). */
export function snapshotMac(key: Buffer, goalId: string, text: string): string {
  return lineMac(key, goalId, `goal.json\n${text}`);
}

/** goal.json when goal.json.mac confirms it with the key; undefined without a key, a MAC, or when they disagree. */
async function trustedSnapshot(paths: GoalPaths, auth: LogAuth | undefined): Promise<Goal | undefined> {
  if (auth?.key === undefined) return undefined;
  const [text, mac] = await Promise.all([readFileOrUndefined(paths.snapshot), readFileOrUndefined(`${paths.snapshot}.mac`)]);
  if (text === undefined || mac === undefined || snapshotMac(auth.key, auth.goalId, text) !== mac.trim()) return undefined;
  return parseSnapshot(text);
}

function parseSnapshot(text: string): Goal | undefined {
  const raw = JSON.parse(text) as { schemaVersion?: unknown };
  if (raw.schemaVersion !== SCHEMA_VERSION) return undefined;
  return GoalSchema.parse(raw);
}

/** goal.json, or undefined when it is missing or of another schema version (it is then rebuilt). */
export async function readSnapshot(paths: GoalPaths): Promise<Goal | undefined> {
  const text = await readFileOrUndefined(paths.snapshot);
  if (text === undefined) return undefined;
  return parseSnapshot(text);
}

/** Top-level fields where two goals differ (logBytes included). */
export function diffGoals(a: Goal, b: Goal | undefined): string[] {
  if (b === undefined) return ["goal.json is missing or unreadable"];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  // goal.json written before the chain existed has no chainHead: not a difference.
  if (b.chainHead === undefined) keys.delete("chainHead");
  const out: string[] = [];
  for (const key of [...keys].sort()) {
    const x = JSON.stringify((a as Record<string, unknown>)[key]);
    const y = JSON.stringify((b as Record<string, unknown>)[key]);
    if (x !== y) out.push(`${key}: events say ${x ?? "nothing"}, goal.json says ${y ?? "nothing"}`);
  }
  return out;
}
