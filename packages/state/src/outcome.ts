import { budgetReport, formatDuration } from "./budget.js";
import { SCHEMA_VERSION } from "./schemas/common.js";
import type { Goal } from "./schemas/goal.js";
import type { Failure, FailureCause } from "./schemas/outcome.js";
import type { TerminalStatus } from "./schemas/status.js";

/** The exact command that continues a goal from a terminal status, and a hint for a person. */
export function resumeAdvice(goal: Goal, status: Exclude<TerminalStatus, "ready">, now: Date): Failure["resume"] {
  const id = goal.id;
  switch (status) {
    case "cancelled":
      return { command: null, hint: "cancelled is final; start again with: omk goal create \"<goal>\"" };
    case "needs_more_budget": {
      const report = budgetReport(goal, now);
      const l = report.limits;
      const adds: string[] = [];
      if (report.exhausted.includes("time") && l.timeMs !== null) adds.push(`--time ${formatDuration(Math.max(60_000, Math.ceil(l.timeMs / 2)))}`);
      if (report.exhausted.includes("tokens") && l.tokens !== null) adds.push(`--tokens ${Math.max(1000, Math.ceil(l.tokens / 2))}`);
      if (report.exhausted.includes("usd") && l.usd !== null) adds.push(`--usd ${Math.max(1, Math.ceil(l.usd / 2))}`);
      const add = adds.length > 0 ? adds.join(" ") : "--time 30m";
      return {
        command: `omk goal budget-add ${id} ${add} && omk goal resume ${id}`,
        hint: `budget exhausted (${report.exhausted.join(", ") || "reserve"}); extend it, then resume`,
      };
    }
    case "blocked_on_human":
      return { command: `omk goal amend ${id} --answer "<answer>" && omk goal resume ${id}`, hint: "answer the questions in the cause, then resume" };
    case "blocked_on_external":
      return { command: `omk goal resume ${id}`, hint: "resume once the external dependency named in the cause is available" };
    case "failed_infra":
      return { command: `omk goal resume ${id}`, hint: "fix the environment problem named in the cause (see `omk doctor`), then resume" };
    case "not_ready":
      return { command: `omk goal resume ${id}`, hint: "resume to plan follow-up tasks from the failing evidence" };
  }
}

/** failure.json for a goal that just reached a terminal status other than ready. */
export function buildFailure(goal: Goal, cause: FailureCause, evidence: readonly string[], now: Date): Failure {
  if (goal.status === "ready" || !isTerminal(goal.status)) {
    throw new Error(`buildFailure on a ${goal.status} goal`);
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: "omk.failure",
    goalId: goal.id,
    status: goal.status,
    cause,
    evidence: ["events.jsonl", ...evidence.filter((e) => e !== "events.jsonl")],
    resume: resumeAdvice(goal, goal.status, now),
    spend: goal.usage,
    lastSeq: goal.lastSeq,
    createdAt: now.toISOString(),
  };
}

function isTerminal(status: Goal["status"]): status is Exclude<TerminalStatus, "ready"> {
  return !["created", "running", "paused", "ready"].includes(status);
}

/** The cause recorded when the user ends a goal by hand. */
export const CANCELLED_BY_USER: FailureCause = { code: "cancelled_by_user", message: "cancelled by the user" };
