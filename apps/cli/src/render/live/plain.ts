import type { ControllerEvent, ControllerEventSink } from "@omk/controller";
import { printable } from "../../invocation.js";
import { terminalSafe } from "../safe.js";

/** `HH:MM:SS` in local time: the prefix of every plain line. */
function clock(at: Date): string {
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

const roundTag = (round: number) => (round > 1 ? ` (round ${round})` : "");
/** A detail after ` — ` (any `omk …` command in it named as the user's shell runs it). */
const detailTag = (detail: string | undefined) => (detail === undefined || detail === "" ? "" : ` — ${printable(detail)}`);
const int = (n: number) => n.toLocaleString("en-US");

/**
 * Engine, attempt, tokens and USD of a task, as the live view shows them:
 * `attempt 2, kimi, 1,200 tokens, $0.03`. Nothing reported is never shown
 * as a known zero: `tokens unknown`, `cost unknown`; a partial count is a
 * lower bound (`1,200+ tokens`).
 */
export function taskFacts(e: {
  attempt: number;
  engine?: string;
  tokens?: number;
  usd?: number | null;
  usageQuality?: "exact" | "partial" | "unknown";
}): string {
  const parts = [`attempt ${e.attempt}`];
  if (e.engine !== undefined) parts.push(e.engine);
  const known = e.usageQuality === "exact";
  if (e.tokens !== undefined) {
    if (e.tokens === 0 && !known) parts.push("tokens unknown");
    else parts.push(`${int(e.tokens)}${e.usageQuality === "partial" || e.usageQuality === "unknown" ? "+" : ""} tokens`);
  }
  if (e.usd !== undefined) parts.push(e.usd === null || (e.usd === 0 && !known) ? "cost unknown" : `$${e.usd.toFixed(2)}`);
  return parts.join(", ");
}

/**
 * One event as one human line (no timestamp), or undefined for events the
 * plain view leaves out (raw goal-log events: `--json` carries them).
 */
export function describeEvent(e: ControllerEvent): string | undefined {
  switch (e.type) {
    case "run_started":
      return `run goal ${e.goalId} with engine ${e.engine}${e.resumed ? ", resumed" : ""}${roundTag(e.round)}`;
    case "phase_started":
      return `phase ${e.phase} started${roundTag(e.round)}${detailTag(e.detail)}`;
    case "phase_finished":
      return `phase ${e.phase} ${e.outcome}${roundTag(e.round)}${detailTag(e.detail)}`;
    case "round_started":
      return `round ${e.round} started: ${e.reason}${e.followUps.length === 0 ? "" : ` (follow-ups: ${e.followUps.join(", ")})`}`;
    case "task_update":
      return `task ${e.taskId} ${e.state} (${taskFacts(e)})${detailTag(e.message)}`;
    case "gate_finished":
      return `gate ${e.gate.name} ${e.gate.outcome} on the ${e.where}${e.gate.required ? "" : " (optional)"}${e.gate.baseline === undefined ? "" : ` [${e.gate.baseline}]`}`;
    case "scope_refused":
      return `task ${e.taskId} tried to write ${e.path} outside its write set (refused: nothing was written) — ${e.reason}`;
    case "review_finished":
      return `review ${e.pass} ${e.verdict} (${e.findings} finding${e.findings === 1 ? "" : "s"}, ${e.blocking} blocking)`;
    case "note":
      return `${e.level === "warn" ? "warning" : "note"}: ${e.message}`;
    case "tree_dirty":
      return `warning: ${e.message}`;
    case "goal_event":
      return undefined;
    case "run_finished":
      return `run finished: ${e.status}${detailTag(e.reason)}`;
  }
}

/** The plain sink; `flush` prints what it held back until the run's last event (the tasks a stopped run left open). */
export type PlainSink = ControllerEventSink & { flush: () => void };

/** Roles the scheduler never runs (the review phase performs them). */
const NOT_SCHEDULED: ReadonlySet<string> = new Set(["reviewer", "security-reviewer"]);
const OPEN_STATES: ReadonlySet<string> = new Set(["queued", "running", "retrying", "interrupted"]);

/**
 * The plain live view: one timestamped line per event (not a TTY, CI, or
 * --plain), each fact once. A task's usage ticks (same state and attempt, more
 * tokens) are not repeated: its next line carries the totals. `run_finished`
 * gets no line: the outcome printed after the run (`status: …`) says it.
 * When a run stops without a terminal status (paused), each task it left open
 * gets one line that says so, after the phase's own `stopped` line (on
 * `flush`): `task x paused (attempt 1, ...)` or `task y not started`; a task
 * the stop interrupted gets only that line, not an `interrupted` line as well.
 */
export function createPlainSink(write: (text: string) => void, now: () => Date = () => new Date()): PlainSink {
  const last = new Map<string, string>();
  const graph = new Map<string, string>();
  const states = new Map<string, Extract<ControllerEvent, { type: "task_update" }>>();
  const held = new Map<string, string>();
  let finished: Extract<ControllerEvent, { type: "run_finished" }> | undefined;
  // Task titles, messages, reasons and notes carry an agent's or engine's words: one line each, escapes visible.
  const line = (text: string) => write(`${clock(now())} ${terminalSafe(text)}\n`);
  const sink = (event: ControllerEvent) => {
    if (event.type === "task_update") {
      states.set(event.taskId, event);
      const key = `${event.state}#${event.attempt}#${event.round}#${event.message ?? ""}`;
      if (last.get(event.taskId) === key) return;
      last.set(event.taskId, key);
      held.delete(event.taskId);
      if (event.state === "interrupted") {
        // Said once, as `paused` in the run's summary (or as is, when no summary comes).
        held.set(event.taskId, describeEvent(event) as string);
        return;
      }
    } else if (event.type === "goal_event") {
      const ev = event.event;
      const added = ev.type === "task_graph_set" ? ev.data.graph.tasks : ev.type === "task_graph_mutated" ? ev.data.added : [];
      for (const t of added) if (!NOT_SCHEDULED.has(t.role)) graph.set(t.id, t.title);
    } else if (event.type === "run_finished") {
      finished = event;
      return;
    }
    const text = describeEvent(event);
    if (text !== undefined) line(text);
  };
  const flush = () => {
    const event = finished;
    finished = undefined;
    if (event !== undefined && event.status !== "ready" && event.outcomeFile === null) {
      for (const id of new Set([...graph.keys(), ...states.keys()])) {
        const t = states.get(id);
        if (t !== undefined && !OPEN_STATES.has(t.state)) continue;
        held.delete(id);
        line(t === undefined || t.state === "queued" ? `task ${id} not started` : `task ${id} ${event.status} (${taskFacts(t)})`);
      }
    }
    for (const text of held.values()) line(text);
    held.clear();
  };
  return Object.assign(sink, { flush });
}

/** `--json`: every event as one JSON line, nothing else. */
export function createJsonSink(write: (text: string) => void): ControllerEventSink {
  return (event) => write(`${JSON.stringify(event)}\n`);
}
