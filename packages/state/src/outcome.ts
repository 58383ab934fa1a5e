import { budgetReport, formatDuration } from "./budget.js";
import { SCHEMA_VERSION } from "./schemas/common.js";
import type { BudgetDimension, SessionSpend } from "./schemas/budget.js";
import type { Goal } from "./schemas/goal.js";
import type { Failure, FailureCause } from "./schemas/outcome.js";
import type { TerminalStatus } from "./schemas/status.js";

const FLAG: Record<BudgetDimension, string> = { time: "--time", tokens: "--tokens", usd: "--usd" };
/** The least worth suggesting per dimension: a minute, a thousand tokens, a dollar. */
const FLOOR: Record<BudgetDimension, number> = { time: 60_000, tokens: 1000, usd: 1 };

/**
 * An amount of a dimension rounded up to what `omk goal budget-add` takes:
 * whole minutes, hundreds of tokens, cents. Never less than `amount`.
 */
function roundUp(dimension: BudgetDimension, amount: number): number {
  const step = dimension === "time" ? 60_000 : dimension === "tokens" ? 100 : 0.01;
  const steps = Math.max(1, Math.ceil(amount / step - 1e-9));
  return dimension === "usd" ? Math.round(steps * step * 100) / 100 : steps * step;
}

const flagOf = (dimension: BudgetDimension, amount: number) => `${FLAG[dimension]} ${dimension === "time" ? formatDuration(amount) : String(amount)}`;

const amountText = (dimension: BudgetDimension, amount: number) =>
  dimension === "time" ? formatDuration(amount) : dimension === "usd" ? `$${amount}` : `${amount} tokens`;

const isDimension = (value: unknown): value is BudgetDimension => value === "time" || value === "tokens" || value === "usd";
const positive = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value > 0;

/**
 * What the cause says ran short: `details.dimension` with `details.shortfall`
 * (in the dimension's unit: ms, tokens, USD), or `needed` and `available`
 * as a task_budget_refused event has them.
 */
function shortfallOf(cause: FailureCause | undefined): { dimension: BudgetDimension; shortfall: number | null } | undefined {
  const details = cause?.details;
  if (details === undefined || !isDimension(details["dimension"])) return undefined;
  const dimension = details["dimension"];
  const shortfall = details["shortfall"];
  if (positive(shortfall)) return { dimension, shortfall };
  const needed = details["needed"];
  const available = details["available"];
  if (typeof needed === "number" && typeof available === "number" && needed > available) return { dimension, shortfall: needed - available };
  return { dimension, shortfall: null };
}

/**
 * needs_more_budget: extend the dimension that ran out by an amount that
 * covers the shortfall. In order: the shortfall the cause names; for an
 * exhausted dimension, the most of half its limit, twice the overrun and
 * the overrun plus the shortfall the cause names; else
 * the capped dimension with the least left (a task's cap did not fit in
 * the remaining budget), by half its limit.
 */
function budgetAdvice(goal: Goal, now: Date, cause: FailureCause | undefined): Failure["resume"] {
  const id = goal.id;
  const report = budgetReport(goal, now);
  const limitOf = (d: BudgetDimension) => (d === "time" ? report.limits.timeMs : d === "tokens" ? report.limits.tokens : report.limits.usd);
  const usedOf = (d: BudgetDimension) => report.used[d === "time" ? "timeMs" : d];
  const half = (d: BudgetDimension) => Math.max(FLOOR[d], (limitOf(d) ?? 0) / 2);
  const command = (adds: string[]) => `omk goal budget-add ${id} ${adds.join(" ")} && omk goal resume ${id}`;

  const named = shortfallOf(cause);
  if (named !== undefined && !report.exhausted.includes(named.dimension)) {
    const amount = roundUp(named.dimension, named.shortfall ?? half(named.dimension));
    const short = named.shortfall === null ? "" : ` by ${amountText(named.dimension, roundUp(named.dimension, named.shortfall))}`;
    return {
      command: command([flagOf(named.dimension, amount)]),
      hint: `the ${named.dimension} budget is short${short} for the next task; extend it by at least that, then resume`,
    };
  }
  const exhausted = report.exhausted.filter((d) => limitOf(d) !== null);
  if (exhausted.length > 0) {
    const adds = exhausted.map((d) => {
      const overrun = Math.max(0, usedOf(d) - (limitOf(d) ?? 0));
      const next = named?.dimension === d && named.shortfall !== null ? overrun + named.shortfall : 0;
      return flagOf(d, roundUp(d, Math.max(half(d), 2 * overrun, next)));
    });
    return { command: command(adds), hint: `budget exhausted (${exhausted.join(", ")}); extend it, then resume` };
  }
  // Nothing is used up, yet a task's cap did not fit: the capped dimension with the smallest share left.
  const capped = (["tokens", "usd", "time"] as const).filter((d) => limitOf(d) !== null);
  const left = (d: BudgetDimension) => Math.max(0, (limitOf(d) ?? 0) - usedOf(d)) / (limitOf(d) ?? 1);
  const tightest = capped.reduce<BudgetDimension | undefined>((best, d) => (best === undefined || left(d) < left(best) ? d : best), undefined);
  if (tightest === undefined) return { command: command([flagOf("time", 30 * 60_000)]), hint: "the budget's reserve is used up; extend it, then resume" };
  return {
    command: command([flagOf(tightest, roundUp(tightest, half(tightest)))]),
    hint: `the ${tightest} budget has the least left (${amountText(tightest, roundUp(tightest, Math.max(0, (limitOf(tightest) ?? 0) - usedOf(tightest))))} of ${amountText(tightest, limitOf(tightest) ?? 0)}); extend it, then resume`,
  };
}

/**
 * The exact command that continues a goal from a terminal status, and a hint
 * for a person. `cause` (needs_more_budget) may name the dimension that ran
 * short and by how much: `details.dimension` and `details.shortfall`.
 */
export function resumeAdvice(goal: Goal, status: Exclude<TerminalStatus, "ready">, now: Date, cause?: FailureCause): Failure["resume"] {
  const id = goal.id;
  switch (status) {
    case "cancelled":
      return { command: null, hint: 'cancelled is final; start again with: omk goal create "<goal>"' };
    case "needs_more_budget":
      return budgetAdvice(goal, now, cause);
    case "blocked_on_human":
      if (cause?.code === "config_invalid") {
        const fix =
          typeof cause.details?.["fix"] === "string" && cause.details["fix"] !== "" ? cause.details["fix"] : "correct the config file named in the cause";
        return { command: `omk goal resume ${id}`, hint: `${fix}; then resume` };
      }
      return { command: `omk goal amend ${id} --answer "<answer>" && omk goal resume ${id}`, hint: "answer the questions in the cause, then resume" };
    case "blocked_on_external":
      if (cause?.code === "engine_answer_invalid") {
        return {
          command: `omk goal resume ${id} --model <model>`,
          hint: "the model never gave a valid answer (see the cause): try another model with --model or another engine with --engine, then resume",
        };
      }
      if (cause?.code === "engine_setup") {
        const fix =
          typeof cause.details?.["fix"] === "string" && cause.details["fix"] !== "" ? cause.details["fix"] : "fix the engine's setup named in the cause";
        // The flag the fix names (a model offered, the engine to use instead): resume remembers the old ones, so the command carries it.
        const flags = typeof cause.details?.["resumeFlags"] === "string" && cause.details["resumeFlags"] !== "" ? cause.details["resumeFlags"] : undefined;
        const model = cause.details?.["problem"] === "engine_model_not_offered";
        return { command: `omk goal resume ${id}${flags !== undefined ? ` ${flags}` : model ? " --model <model>" : ""}`, hint: `${fix}; then resume` };
      }
      if (cause?.code === "setup_failed") {
        const fix =
          typeof cause.details?.["fix"] === "string" && cause.details["fix"] !== ""
            ? cause.details["fix"]
            : "fix the project's dependency install named in the cause";
        return {
          command: `omk goal resume ${id}`,
          hint: `the project's dependencies could not be installed (an environment problem no agent round can fix): ${fix}; then resume`,
        };
      }
      return { command: `omk goal resume ${id}`, hint: "resume once the external dependency named in the cause is available" };
    case "failed_infra":
      return { command: `omk goal resume ${id}`, hint: "fix the environment problem named in the cause (see `omk doctor`), then resume" };
    case "not_ready":
      return { command: `omk goal resume ${id}`, hint: "resume to plan follow-up tasks from the failing evidence" };
  }
}

/** failure.json for a goal that just reached a terminal status other than ready. `sessions`: every engine session's spend (session_spend_recorded), listed when there is any. */
export function buildFailure(goal: Goal, cause: FailureCause, evidence: readonly string[], now: Date, sessions: readonly SessionSpend[] = []): Failure {
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
    resume: resumeAdvice(goal, goal.status, now, cause),
    spend: goal.usage,
    ...(sessions.length === 0 ? {} : { sessions: [...sessions] }),
    ...(goal.confinement === undefined ? {} : { confinement: goal.confinement }),
    lastSeq: goal.lastSeq,
    createdAt: now.toISOString(),
  };
}

function isTerminal(status: Goal["status"]): status is Exclude<TerminalStatus, "ready"> {
  return !["created", "running", "paused", "ready"].includes(status);
}

/** The cause recorded when the user ends a goal by hand. */
export const CANCELLED_BY_USER: FailureCause = { code: "cancelled_by_user", message: "cancelled by the user" };
