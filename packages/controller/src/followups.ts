/**
 * Follow-up tasks for the next round of --until-ready, from the failing
 * evidence: planned by the engine when it offers follow-ups, else the
 * deterministic one task `fix-r<round>`. Either way they pass the planner's
 * proposal validation before they join the graph.
 */
import path from "node:path";
import { budgetFor, parseAnswer, validateProposal } from "@omk/planner";
import { z } from "zod";
import type { NewEvent, Task, TaskBudget, TaskGraph, TaskRole } from "@omk/state";
import { err, ok, type Result } from "@omk/core";
import { scopeFromPaths } from "@omk/wire";
import type { GoalRun } from "./context.js";
import { budgetMeter, sessionCap } from "./internal/session-budget.js";
import type { RoundVerdict } from "./internal/run-verdict.js";
import { executableGraph } from "./internal/run-records.js";
import type { ControllerProblem } from "./types.js";
import { runSession } from "@omk/sessions";

/** The follow-up answer's shape; each task is checked by the planner's proposal validation. */
const FollowUpAnswerSchema = z.object({ tasks: z.array(z.unknown()).min(1) });

const WRITING_ROLES: ReadonlySet<string> = new Set(["implementer", "tester", "docs"]);
const MAX_DESCRIPTION = 12_000;

export type FollowUps = { readonly tasks: Task[]; readonly event: NewEvent; readonly strategy: "engine" | "deterministic" };

/** What failed, as text a person or an agent can act on. */
export function failingText(verdict: RoundVerdict): string {
  const lines = verdict.failing.map((f) => `- ${f.detail}`);
  const text = `Round ${verdict.round} ended not ready (${verdict.cause ?? "not ready"}) on the integrated head ${verdict.headCommit}. Make every item below pass; do not delete or weaken tests, do not touch the gates' configuration:\n${lines.join("\n")}`;
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}\n...` : text;
}

/** The deterministic follow-up: one implementer task `fix-r<round>` over the write sets of the graph's writing tasks. */
export function deterministicFollowUp(input: {
  graph: TaskGraph;
  verdict: RoundVerdict;
  round: number;
  criteria: readonly string[];
  budgets?: Partial<Record<TaskRole, TaskBudget>>;
}): unknown {
  const writers = input.graph.tasks.filter((t) => WRITING_ROLES.has(t.role));
  // The files of an integration conflict belong to the follow-up: it redoes the superseded task's change on the integrated head.
  const conflicted = input.verdict.failing.flatMap((f) => f.files ?? []);
  const writes = [...new Set([...writers.flatMap((t) => t.writes), ...conflicted])];
  const reads = [...new Set(writers.flatMap((t) => t.reads))].filter((r) => !writes.includes(r));
  const acceptance = input.verdict.failedCriteria.filter((c) => input.criteria.includes(c));
  return {
    id: `fix-r${input.round}`,
    title: `Fix what round ${input.round - 1} left failing`,
    description: failingText(input.verdict),
    role: "implementer",
    dependencies: [],
    reads,
    writes: writes.length > 0 ? writes : ["src/", "test/"],
    acceptance: acceptance.length > 0 ? acceptance : [...input.criteria],
    budget: budgetFor("implementer", input.budgets),
  };
}

function proposer(graph: TaskGraph): string {
  return (graph.tasks.find((t) => t.role === "implementer") ?? graph.tasks[0])?.id ?? "plan";
}

function followUpPrompt(verdict: RoundVerdict, graph: TaskGraph, round: number, criteria: readonly string[]): string {
  return [
    `You plan the follow-up tasks of round ${round} of a goal. ${failingText(verdict)}`,
    "",
    "The task graph so far (id, role, status, writes):",
    ...graph.tasks.map((t) => `- ${t.id} (${t.role}, ${t.status}) writes ${t.writes.join(", ") || "nothing"}`),
    "",
    `Oracle criteria ids: ${criteria.join(", ")}.`,
    'Answer with one JSON object, nothing else: {"tasks":[{"id":"...","title":"...","description":"...","role":"implementer","dependencies":[],"reads":[],"writes":["src/"],"acceptance":["<criterion id>"],"budget":{"timeMs":600000,"tokens":100000,"usd":1}}]}',
    "New ids only; depend only on done tasks; the tasks start from the integrated head.",
  ].join("\n");
}

/**
 * Plan the next round's tasks. An engine answer that cannot be read or does
 * not validate falls back to the deterministic task, and says why (a warn
 * note and task_followups_rejected in the log). An interrupted session is an
 * `aborted` problem (the run pauses), never a fallback.
 */
export async function planFollowUps(
  ctx: GoalRun,
  input: { verdict: RoundVerdict; round: number; criteria: readonly string[]; extra?: readonly unknown[]; budgets?: Partial<Record<TaskRole, TaskBudget>> },
): Promise<Result<FollowUps, ControllerProblem>> {
  if (ctx.goal.taskGraph === null) return err({ code: "no_graph", message: "no task graph to add follow-ups to", fix: "plan the goal first" });
  // Reviewer tasks are performed by the review phase, not scheduled: follow-ups are checked against the tasks that run.
  const graph = executableGraph(ctx.goal.taskGraph);
  const reason = `round ${input.round}: ${input.verdict.cause ?? "not ready"} in round ${input.verdict.round}`;
  const options = { criteria: input.criteria, actor: ctx.actor };
  const by = proposer(graph);
  const extra = ctx.redactor.redactDeep([...(input.extra ?? [])]);
  if (ctx.engine.offers({ kind: "followups", round: input.round })) {
    const meter = budgetMeter(ctx, "followups");
    const outcome = await runSession({
      provider: ctx.engine,
      purpose: { kind: "followups", round: input.round },
      cwd: ctx.repo,
      runDir: path.join(ctx.goalDir, "rounds", `r${input.round}-followups`),
      prompt: followUpPrompt(input.verdict, graph, input.round, input.criteria),
      scope: scopeFromPaths({ write: [] }),
      env: ctx.env,
      secrets: ctx.secrets,
      signal: meter.signal,
      onUsage: meter.onUsage,
    });
    await meter.settle(outcome.spend);
    await ctx.recordSessionSpend(`followups#r${input.round}`, outcome.spend, sessionCap({ kind: "followups", round: input.round }));
    if (ctx.signal?.aborted === true)
      return err({ code: "aborted", message: "the follow-up planning session was interrupted", fix: "resume the goal (omk goal resume)" });
    if (meter.stopped)
      return err({
        code: "budget_exhausted",
        message: `the follow-up planning session was stopped: ${meter.reason}`,
        fix: "add budget (omk goal budget-add), then resume the goal",
      });
    let why: string;
    let count = 1;
    if (outcome.ok) {
      const answer = parseAnswer({ text: outcome.text, final: outcome.final }, FollowUpAnswerSchema);
      if (answer.ok) {
        // An engine may quote what failed, secrets included: the tasks are redacted before they are recorded.
        const tasks = ctx.redactor.redactDeep(answer.value.tasks);
        count = Math.max(1, tasks.length);
        const checked = validateProposal(graph, { proposedBy: by, reason, tasks: [...tasks, ...extra] }, options);
        if (checked.ok) return ok({ tasks: checked.value.tasks, event: checked.value.event, strategy: "engine" });
        why = `the engine's follow-up tasks were refused: ${checked.error.map((i) => i.message).join("; ")}`;
      } else {
        why = `the engine's follow-up answer was not valid: ${answer.error.join("; ")}`;
      }
    } else {
      why = `the follow-up planning session failed (${outcome.problem.code}): ${outcome.problem.message}`;
    }
    // Never silent: the reason is emitted and recorded in the log before the deterministic follow-up is planned instead.
    const said = ctx.redactor.redact(why);
    ctx.emit({ type: "note", level: "warn", message: `${said}; planning the deterministic follow-up fix-r${input.round}` });
    const recorded = await ctx.append([
      {
        type: "task_followups_rejected",
        actor: ctx.actor,
        data: { proposedBy: by, count, reason: `${said.slice(0, 4000)}; the deterministic follow-up fix-r${input.round} is planned instead` },
      },
    ]);
    if (!recorded.ok)
      ctx.emit({ type: "note", level: "warn", message: `could not record why the engine's follow-ups were refused: ${recorded.error.message}` });
  }
  const task = deterministicFollowUp({
    graph,
    verdict: input.verdict,
    round: input.round,
    criteria: input.criteria,
    ...(input.budgets === undefined ? {} : { budgets: input.budgets }),
  });
  const checked = validateProposal(graph, { proposedBy: by, reason, tasks: [task, ...extra] }, options);
  if (checked.ok) return ok({ tasks: checked.value.tasks, event: checked.value.event, strategy: "deterministic" });
  const alone = validateProposal(graph, { proposedBy: by, reason, tasks: [task] }, options);
  if (alone.ok) return ok({ tasks: alone.value.tasks, event: alone.value.event, strategy: "deterministic" });
  return err({
    code: "followups_invalid",
    message: `the follow-up task is invalid: ${alone.error.map((i) => i.message).join("; ")}`,
    fix: "see the plan's write sets; resume after amending the goal",
  });
}
