import type { ControllerEvent, ControllerEventSink } from "@omk/controller";

/** `HH:MM:SS` in local time: the prefix of every plain line. */
export function clock(at: Date): string {
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

const roundTag = (round: number) => (round > 1 ? ` (round ${round})` : "");
const detailTag = (detail: string | undefined) => (detail === undefined || detail === "" ? "" : ` — ${detail}`);
const int = (n: number) => n.toLocaleString("en-US");

/** Engine, attempt, tokens and USD of a task, as the live view shows them: `attempt 2, kimi, 1,200 tokens, $0.03`. */
export function taskFacts(e: { attempt: number; engine?: string; tokens?: number; usd?: number | null }): string {
  const parts = [`attempt ${e.attempt}`];
  if (e.engine !== undefined) parts.push(e.engine);
  if (e.tokens !== undefined) parts.push(`${int(e.tokens)} tokens`);
  if (e.usd !== undefined) parts.push(e.usd === null ? "cost unknown" : `$${e.usd.toFixed(2)}`);
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
      return `task ${e.taskId} write refused: ${e.path} — ${e.reason}`;
    case "review_finished":
      return `review ${e.pass} ${e.verdict} (${e.findings} finding${e.findings === 1 ? "" : "s"}, ${e.blocking} blocking)`;
    case "note":
      return `${e.level === "warn" ? "warning" : "note"}: ${e.message}`;
    case "goal_event":
      return undefined;
    case "run_finished":
      return `run finished: ${e.status}${detailTag(e.reason)}`;
  }
}

/**
 * The plain live view: one timestamped line per event (not a TTY, CI, or
 * --plain). A task's usage ticks (same state and attempt, more tokens) are
 * not repeated: its next line carries the totals.
 */
export function createPlainSink(write: (text: string) => void, now: () => Date = () => new Date()): ControllerEventSink {
  const last = new Map<string, string>();
  return (event) => {
    if (event.type === "task_update") {
      const key = `${event.state}#${event.attempt}#${event.round}#${event.message ?? ""}`;
      if (last.get(event.taskId) === key) return;
      last.set(event.taskId, key);
    }
    const line = describeEvent(event);
    if (line !== undefined) write(`${clock(now())} ${line}\n`);
  };
}

/** `--json`: every event as one JSON line, nothing else. */
export function createJsonSink(write: (text: string) => void): ControllerEventSink {
  return (event) => write(`${JSON.stringify(event)}\n`);
}
