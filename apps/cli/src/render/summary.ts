import { printable, shellWord } from "../invocation.js";
import { type BudgetReport, type FailureAdvice, formatDuration, type Goal, type GoalEvent, type LockOwner } from "@omk/state";
import { integrationBranch } from "@omk/worktree";
import { z } from "zod";
import { usedTokens, usedUsd } from "./goal.js";
import { terminalSafe } from "./safe.js";

/**
 * `omk goal status`: a short live summary, as opposed to `omk goal show`
 * (the whole record). Built from goal.json, the controller's lock and the
 * last few KB of events.jsonl (never the whole log: a status read stays
 * O(1) in the log's length, bench/status-100k).
 */
export const StatusSummarySchema = z.object({
  round: z.number().int().positive().describe("the controller's current round (1 until a second one starts)"),
  tasks: z
    .object({
      total: z.number().int().nonnegative(),
      running: z.number().int().nonnegative(),
      done: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      waiting: z.number().int().nonnegative().describe("pending, ready or blocked: not started yet, or waiting to run again"),
      cancelled: z.number().int().nonnegative(),
    })
    .nullable()
    .describe("counts of the task graph's tasks by status; null before planning made one"),
  now: z.string().describe("what is happening now, in words"),
  lastEvent: z.object({ type: z.string(), at: z.string() }).nullable().describe("the last event of the goal's log (its type and timestamp)"),
  next: z.string().describe("the one next step: a command (`omk …`, `git …`), or words where no command applies"),
});
export type StatusSummary = z.infer<typeof StatusSummarySchema>;

/** Advice a failure.json gives (its `resume`), when the goal has one. */
export type ResumeAdvice = FailureAdvice["resume"];

/** Bookkeeping that says nothing about progress: skipped when naming the last thing that happened. */
const QUIET = new Set(["usage_recorded", "session_spend_recorded", "lock_acquired", "lock_released", "run_options_recorded", "attempt_captured"]);

function describeTail(e: GoalEvent): string {
  switch (e.type) {
    case "task_dispatched":
      return `task ${e.data.taskId} started (attempt ${e.data.attempt})`;
    case "task_succeeded":
      return `task ${e.data.taskId} done (attempt ${e.data.attempt})`;
    case "task_failed":
      return `task ${e.data.taskId} failed (attempt ${e.data.attempt})${e.data.decision === "retry" ? ", to be retried" : ""}`;
    case "phase_changed":
      return `phase ${e.data.to} started`;
    case "status_changed":
      return `status became ${e.data.to}`;
    case "round_started":
      return `round ${e.data.round} started`;
    default:
      return e.type.replaceAll("_", " ");
  }
}

/** `12s ago`; a timestamp that does not parse (a damaged line) is left out rather than shown as NaN. */
const ago = (at: string, now: Date) => {
  const ms = now.getTime() - Date.parse(at);
  return Number.isFinite(ms) ? `${formatDuration(Math.max(0, ms))} ago` : "(time unknown)";
};

/** The short summary of a goal at `now`. `advice`: failure.json's resume, for a goal that ended other than ready. */
export function statusSummary(goal: Goal, lock: LockOwner | undefined, tail: readonly GoalEvent[], now: Date, advice: ResumeAdvice | undefined): StatusSummary {
  const tasks = goal.taskGraph?.tasks.filter((t) => t.role !== "reviewer" && t.role !== "security-reviewer");
  const count = (...statuses: string[]) => (tasks ?? []).filter((t) => statuses.includes(t.status)).length;
  const last = [...tail].reverse().find((e) => !QUIET.has(e.type)) ?? tail.at(-1);
  const lastEvent = last === undefined ? null : { type: last.type, at: last.ts };
  const lastWords = last === undefined ? "" : `; last: ${describeTail(last)} ${ago(last.ts, now)}`;
  const id = goal.id;

  let nowText: string;
  let next: string;
  const running = (goal.taskGraph?.tasks ?? []).filter((t) => t.status === "running");
  switch (goal.status) {
    case "created":
      nowText = "not started";
      next = `omk goal run ${id}`;
      break;
    case "running":
      if (lock === undefined) {
        nowText = `no controller is running it (stopped or crashed)${lastWords}`;
        next = `omk goal resume ${id}`;
      } else {
        const doing =
          running.length > 0
            ? `running ${running.map((t) => `${t.id} "${t.title}"`).join(", ")}`
            : goal.phase === null
              ? "starting"
              : `in the ${goal.phase} phase`;
        nowText = `${doing}${lastWords}`;
        next = `omk goal status ${id}  # running: check again later, or stop it with omk goal pause ${id}`;
      }
      break;
    case "paused":
      nowText = `paused${lastWords}`;
      next = `omk goal resume ${id}`;
      break;
    case "ready":
      if (goal.decision?.decision === "accepted") {
        nowText = `ready and accepted at ${goal.decision.headCommit.slice(0, 12)}`;
        next = `cd ${shellWord(goal.repoRoot)} && git merge --ff-only ${integrationBranch(id)}`;
      } else if (goal.decision?.decision === "rejected") {
        nowText = `ready, but rejected: ${goal.decision.reason ?? "no reason given"}`;
        next = `omk goal accept ${id} --change  # to accept it after all`;
      } else {
        nowText = `ready: proof.json is written${goal.headCommit === undefined ? "" : ` (head ${goal.headCommit.slice(0, 12)})`}`;
        next = `omk goal accept ${id}  # check it first: omk proof verify`;
      }
      break;
    default:
      nowText = `${goal.status}${goal.statusReason === null ? "" : `: ${goal.statusReason}`}`;
      next = advice === undefined ? `omk goal proof ${id}` : advice.command === null ? advice.hint : `${advice.command}  # ${advice.hint}`;
  }
  return {
    round: goal.round ?? 1,
    tasks:
      tasks === undefined
        ? null
        : {
            total: tasks.length,
            running: count("running"),
            done: count("done"),
            failed: count("failed"),
            waiting: count("pending", "ready", "blocked"),
            cancelled: count("cancelled"),
          },
    now: nowText,
    lastEvent,
    next,
  };
}

const money = (n: number) => `$${n.toFixed(2)}`;
const int = (n: number) => n.toLocaleString("en-US");

/** The budget on one line: `time 3m12s of 2h · tokens 120,000 of 2,000,000 · $0.42 of $10.00`, EXHAUSTED marked. */
function budgetOneLine(report: BudgetReport, goal: Goal): string {
  const mark = (d: "time" | "tokens" | "usd") => (report.exhausted.includes(d) ? " EXHAUSTED" : "");
  const of = (limit: number | null, fmt: (n: number) => string) => (limit === null ? "" : ` of ${fmt(limit)}`);
  return [
    `time ${formatDuration(report.used.timeMs)}${of(report.limits.timeMs, formatDuration)}${mark("time")}`,
    `tokens ${usedTokens(report.used.tokens, goal.usage.quality)}${of(report.limits.tokens, int)}${mark("tokens")}`,
    `usd ${usedUsd(report.used.usd, report.usdUnknownRecords, goal.usage.quality)}${of(report.limits.usd, money)}${mark("usd")}`,
  ].join(" · ");
}

/** The summary as text: six short lines and `next:`. */
export function summaryText(goal: Goal, summary: StatusSummary, report: BudgetReport, lock: LockOwner | undefined, now: Date): string {
  const text = goal.normalizedText.length > 72 ? `${goal.normalizedText.slice(0, 69)}...` : goal.normalizedText;
  const head = [goal.status, goal.phase === null ? undefined : `phase ${goal.phase}`, `round ${summary.round}`].filter((p) => p !== undefined).join(" · ");
  const t = summary.tasks;
  const tasks =
    t === null
      ? "none yet (planning makes them)"
      : `${t.total}: ${t.running} running, ${t.done} done, ${t.failed} failed, ${t.waiting} waiting${t.cancelled > 0 ? `, ${t.cancelled} cancelled` : ""}`;
  const lines = [`goal    ${goal.id}  ${head}`, `        ${text}`, `tasks   ${tasks}`, `budget  ${budgetOneLine(report, goal)}`, `now     ${summary.now}`];
  if (lock !== undefined) lines.push(`runner  pid ${lock.pid} on ${lock.host}, heartbeat ${ago(lock.heartbeatAt, now)}`);
  lines.push(`next:   ${printable(summary.next)}`);
  // The goal's text, reasons, task titles and hints come from the user, the engine or an agent: each line shown as one line.
  return `${lines.map(terminalSafe).join("\n")}\n`;
}
