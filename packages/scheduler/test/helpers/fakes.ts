// Fake ports for scheduler tests: tasks, an event sink that checks events as the store would, scripted runners.
import { EventSchema, type GoalEvent, type GoalSpec, replayEvents, type Task, type TaskGraph, TaskGraphSchema, TaskSchema } from "@omk/state";
import type { SchedulerEvent, TaskContext, TaskResult } from "../../src/index.js";

const BUDGET = { timeMs: 600_000, tokens: 10_000, usd: 1 };

export function makeTask(id: string, over: Partial<Omit<Task, "id">> = {}): Task {
  return TaskSchema.parse({
    title: `task ${id}`,
    description: "",
    role: "implementer",
    dependencies: [],
    reads: [],
    writes: [`src/${id}.ts`],
    acceptance: [],
    budget: BUDGET,
    ...over,
    id,
  });
}

export function graphOf(tasks: Task[]): TaskGraph {
  return TaskGraphSchema.parse({ schemaVersion: 1, tasks });
}

/**
 * Collects events the way the goal store would write them: each is parsed by
 * the event schema (an invalid one throws, which the scheduler must treat as
 * a broken log), numbered and stamped with the clock's time.
 */
export function memorySink(now: () => number, options: { failOn?: (event: SchedulerEvent) => boolean } = {}) {
  const events: GoalEvent[] = [];
  const onEvent = (event: SchedulerEvent): void => {
    if (options.failOn?.(event)) throw new Error(`sink refuses ${event.type}`);
    events.push(EventSchema.parse({ v: 1, seq: events.length + 3, ts: new Date(now()).toISOString(), ...event }));
  };
  const ofType = <T extends GoalEvent["type"]>(type: T) => events.filter((e): e is Extract<GoalEvent, { type: T }> => e.type === type);
  return { events, onEvent, ofType };
}

/** A goal log: goal_created, running, the graph, then the scheduler's events; folded by the real reducer. */
export function goalLog(graph: TaskGraph, events: readonly GoalEvent[], start = "2026-03-01T10:00:00.000Z"): GoalEvent[] {
  const spec: GoalSpec = {
    id: "01jabcdefghjkmnpqrstvwxyz9",
    text: "fake goal",
    normalizedText: "fake goal",
    repoRoot: "/repo",
    baseCommit: null,
    constraints: [],
    terminalCriteria: [],
    limits: { timeMs: null, tokens: null, usd: null },
    maxAgents: 4,
  };
  const head: GoalEvent[] = [
    { v: 1, seq: 1, ts: start, actor: "user", type: "goal_created", data: { goal: spec } },
    { v: 1, seq: 2, ts: start, actor: "user", type: "task_graph_set", data: { graph } },
  ];
  return [...head, ...events.map((e, i) => ({ ...e, seq: i + 3 }))];
}

export function replayedStatuses(graph: TaskGraph, events: readonly GoalEvent[]): Record<string, string> {
  const goal = replayEvents(goalLog(graph, events));
  if (!goal.ok) throw new Error(`the reducer refused event ${goal.error.seq}: ${goal.error.message}`);
  return Object.fromEntries((goal.value.taskGraph?.tasks ?? []).map((t) => [t.id, t.status]));
}

/** What a fake task does on one attempt. */
export type Behaviour = {
  durationMs?: number;
  /** Usage reported in this many equal steps over the duration (each also a heartbeat). */
  chunks?: number;
  tokensPerChunk?: number;
  usdPerChunk?: number | null;
  /** Heartbeat after each step even without usage (default true). */
  heartbeat?: boolean;
  /** Fail at the end of the attempt. */
  fail?: { message: string; signature?: string; retryable?: boolean };
  /** Never answer and never heartbeat (until aborted, unless ignoresAbort). */
  hang?: boolean;
  /** Keep going after an abort (a misbehaving runner). */
  ignoresAbort?: boolean;
  followUps?: unknown[];
};

type AttemptRecord = { taskId: string; attempt: number; worker: string; start: number; end: number | undefined; outcome?: string };

/**
 * A runner whose tasks follow `behaviour(taskId, attempt)`, sleeping on the
 * given clock. Records when each attempt started and ended (for overlap and
 * concurrency checks) and every usage report.
 */
export function scriptedRunner(
  clock: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> },
  behaviour: (taskId: string, attempt: number) => Behaviour,
) {
  const attempts: AttemptRecord[] = [];
  const reports: Array<{ taskId: string; attempt: number; tokens: number; at: number }> = [];
  const runTask = async (task: Task, ctx: TaskContext): Promise<TaskResult> => {
    const b = behaviour(task.id, ctx.attempt);
    const record: AttemptRecord = { taskId: task.id, attempt: ctx.attempt, worker: ctx.worker, start: clock.now(), end: undefined };
    attempts.push(record);
    const signal = b.ignoresAbort === true ? undefined : ctx.signal;
    try {
      if (b.hang === true) {
        await clock.sleep(b.durationMs ?? 10 ** 9, signal);
        record.outcome = "hung";
        return { ok: true };
      }
      const steps = Math.max(1, b.chunks ?? 1);
      for (let i = 0; i < steps; i++) {
        await clock.sleep((b.durationMs ?? 10) / steps, signal);
        if (b.tokensPerChunk !== undefined) {
          reports.push({ taskId: task.id, attempt: ctx.attempt, tokens: b.tokensPerChunk, at: clock.now() });
          const usd = b.usdPerChunk === null ? {} : { usd: b.usdPerChunk ?? 0 };
          ctx.reportUsage({ tokens: { input: b.tokensPerChunk, cacheRead: 0, cacheWrite: 0, output: 0 }, ...usd });
          if (ctx.signal.aborted && signal !== undefined) throw ctx.signal.reason;
        } else if (b.heartbeat !== false) {
          ctx.heartbeat();
        }
      }
      if (b.fail !== undefined) {
        record.outcome = "failed";
        return { ok: false, ...b.fail };
      }
      record.outcome = "succeeded";
      return { ok: true, evidence: [`runs/${task.id}/${ctx.attempt}/diff.patch`], ...(b.followUps === undefined ? {} : { followUps: b.followUps }) };
    } catch (error) {
      record.outcome = "aborted";
      throw error;
    } finally {
      record.end = clock.now();
    }
  };
  return { runTask, attempts, reports };
}

/** The largest number of intervals open at once ([start, end), ends before starts at equal times). */
export function maxOverlap(intervals: ReadonlyArray<{ start: number; end: number | undefined }>): number {
  const points = intervals.flatMap((i) => [
    [i.start, 1],
    [i.end ?? Number.POSITIVE_INFINITY, -1],
  ]) as Array<[number, number]>;
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, delta] of points) {
    open += delta;
    max = Math.max(max, open);
  }
  return max;
}

export function overlaps(a: { start: number; end: number | undefined }, b: { start: number; end: number | undefined }): boolean {
  return a.start < (b.end ?? Number.POSITIVE_INFINITY) && b.start < (a.end ?? Number.POSITIVE_INFINITY);
}

/** The system clock with a sleep that honours an AbortSignal (for tests with real time and real processes). */
export const realClock = {
  now: () => Date.now(),
  setTimer: (ms: number, fn: () => void) => {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
  sleep: (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(handle);
        reject(signal?.reason);
      };
      const handle = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
