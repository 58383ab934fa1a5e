/**
 * Task caps fitted to what the goal has left. A plan records the caps its
 * tasks ask for (never above the role's default); at the start of every
 * execution phase (the first, a resume, a later round) the caps of the tasks
 * still to run are cut to what the goal has left after the verification
 * reserve, shared among the tasks that can run at once. Tokens and USD add
 * up across running tasks, so they are divided by that width; time is a
 * deadline the running tasks share, so it is not. A budget too small for a
 * task's floor leaves the task's caps at the floor (refused: needs_more_budget).
 */
import { DEFAULT_TASK_BUDGETS } from "@omk/planner";
import { budgetReport, type Goal, type Task, type TaskBudget, type TaskGraph } from "@omk/state";

/** The slice of each limit kept for verification and review; the scheduler is given the same, so both agree on what is left. */
export const VERIFICATION_RESERVE_FRACTION = 0.1;
/** What may pass between fitting the caps and a dispatch (the scheduler checks that a task's time cap ends before the deadline). */
const TIME_SLACK_MS = 5_000;
/** The smallest caps at all. */
const MIN_CAPS: TaskBudget = { timeMs: 1_000, tokens: 1, usd: 0.01 };
/**
 * A task is never cut below this share of its own caps: when the goal has
 * less than that left, the task keeps the floor, the scheduler refuses to
 * start it, and the goal ends needs_more_budget (a budget-add and a resume
 * then run it), instead of starting a task that is bound to run out.
 */
const FLOOR_FRACTION = 0.05;

const OPEN: ReadonlySet<string> = new Set(["pending", "ready", "running"]);

/** A task's caps, never above its role's default. */
export function capToRole(task: Pick<Task, "role" | "budget">): TaskBudget {
  const role = DEFAULT_TASK_BUDGETS[task.role];
  return { timeMs: Math.min(task.budget.timeMs, role.timeMs), tokens: Math.min(task.budget.tokens, role.tokens), usd: Math.min(task.budget.usd, role.usd) };
}

/** Every task of the graph capped at its role's default (what a plan or a follow-up may record). */
export function capGraphToRoles(graph: TaskGraph): TaskGraph {
  return { ...graph, tasks: graph.tasks.map((t) => ({ ...t, budget: capToRole(t) })) };
}

/**
 * How many of the open tasks may run at once: the widest level of their
 * dependency order (a task waits for its open dependencies), at most
 * `maxAgents`, at least 1.
 */
function parallelWidth(tasks: readonly Pick<Task, "id" | "dependencies" | "status">[], maxAgents: number): number {
  const open = new Map(tasks.filter((t) => OPEN.has(t.status)).map((t) => [t.id, t]));
  const level = new Map<string, number>();
  const levelOf = (id: string, seen: Set<string>): number => {
    const known = level.get(id);
    if (known !== undefined) return known;
    const task = open.get(id);
    if (task === undefined || seen.has(id)) return -1;
    seen.add(id);
    const deps = task.dependencies.filter((d) => open.has(d));
    const mine = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((d) => levelOf(d, seen)));
    level.set(id, mine);
    return mine;
  };
  const counts = new Map<number, number>();
  for (const id of open.keys()) {
    const l = levelOf(id, new Set());
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  const widest = Math.max(0, ...counts.values());
  return Math.max(1, Math.min(maxAgents, widest));
}

export type FittedCaps = {
  /** New caps of the open tasks whose caps changed, by task id. */
  readonly changed: ReadonlyMap<string, TaskBudget>;
  /** The graph with the fitted caps (only open tasks change). */
  readonly graph: TaskGraph;
  readonly width: number;
  /** What the tasks may share, per dimension, after the verification reserve (null: no limit). */
  readonly available: { readonly tokens: number | null; readonly usd: number | null; readonly timeMs: number | null };
};

/**
 * Fit the caps of the graph's open tasks to what `goal` has left now.
 * `usageAtTurnEnd`: the engine reports usage only when a turn ends, so a
 * task can only be stopped after the turn that crossed its cap; the tokens
 * and USD room is then shared by one more than the tasks that run at once,
 * so an overshoot of up to one reservation still stays within the goal's
 * budget (the task's time cap is the hard cap on a turn).
 */
export function fitTaskCaps(goal: Goal, graph: TaskGraph, now: Date = new Date(), options: { usageAtTurnEnd?: boolean } = {}): FittedCaps {
  const report = budgetReport(goal, now);
  const limits = goal.budget.limits;
  const reserve = (limit: number | null) => (limit === null ? 0 : limit * VERIFICATION_RESERVE_FRACTION);
  const available = {
    tokens: limits.tokens === null ? null : limits.tokens - reserve(limits.tokens) - report.used.tokens,
    usd: limits.usd === null ? null : limits.usd - reserve(limits.usd) - report.used.usd,
    timeMs: limits.timeMs === null ? null : limits.timeMs - reserve(limits.timeMs) - report.used.timeMs - TIME_SLACK_MS,
  };
  const width = parallelWidth(graph.tasks, goal.budget.maxAgents);
  const shares = width + (options.usageAtTurnEnd === true ? 1 : 0);
  const share = {
    tokens: available.tokens === null ? null : Math.floor(available.tokens / shares),
    usd: available.usd === null ? null : Math.floor((available.usd / shares) * 100) / 100,
    timeMs: available.timeMs === null ? null : Math.floor(available.timeMs),
  };
  const fit = (asked: number, room: number | null, min: number, round: (x: number) => number) =>
    room === null ? asked : Math.max(min, Math.min(asked, round(asked * FLOOR_FRACTION)), Math.min(asked, room));
  const whole = Math.ceil;
  const cents = (x: number) => Math.ceil(x * 100) / 100;
  const changed = new Map<string, TaskBudget>();
  const tasks = graph.tasks.map((t) => {
    if (!OPEN.has(t.status)) return t;
    const role = capToRole(t);
    const budget: TaskBudget = {
      timeMs: fit(role.timeMs, share.timeMs, MIN_CAPS.timeMs, whole),
      tokens: fit(role.tokens, share.tokens, MIN_CAPS.tokens, whole),
      usd: fit(role.usd, share.usd, MIN_CAPS.usd, cents),
    };
    if (budget.timeMs === t.budget.timeMs && budget.tokens === t.budget.tokens && budget.usd === t.budget.usd) return t;
    changed.set(t.id, budget);
    return { ...t, budget };
  });
  return { changed, graph: { ...graph, tasks }, width, available };
}
