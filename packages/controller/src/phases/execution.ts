/**
 * Execution: the scheduler runs the task graph (reviewer roles excluded: the
 * review phase performs them), each attempt through the task runner; its
 * events go to the goal's log in group commits. A run that was interrupted
 * continues from the log (recoverRun + resumeGraph).
 */
import { recoverRun, resumeGraph, runGraph, type RunReport, type SchedulerPorts } from "@omk/scheduler";
import { validateProposal } from "@omk/planner";
import type { Task, TaskGraph } from "@omk/state";
import { ok } from "@omk/core";
import type { GoalRun } from "../context.js";
import { budgetCause, shortfallDetails } from "../internal/budget-shortfall.js";
import { lastRecordedFailure, SETUP_FAILED, type SetupProblem, setupFailedCause, supersededTasks } from "@omk/proof";
import { endAsRecorded, ending } from "../internal/run-end.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { executableGraph, frozenOracle, roundsOfTasks } from "../internal/run-records.js";
import type { ControllerProblem } from "../types.js";
import { end, next, type Step } from "./step.js";
import { isEngineSetupProblem, splitFix } from "@omk/sessions";
import { engineSetupCause } from "../internal/engine-setup-cause.js";
import { fitTaskCaps, VERIFICATION_RESERVE_FRACTION } from "../internal/task-caps.js";
import { capturedCommits, taskStartCommit } from "@omk/sessions";
import { createTaskRunner } from "@omk/sessions";

export async function executionPhase(ctx: GoalRun): Promise<Step> {
  await enterPhase(ctx, "execution");
  const graph = ctx.goal.taskGraph;
  if (graph === null) throw new Error("execution without a task graph");
  const frozen = await frozenOracle(ctx);
  const events = await ctx.store.readEvents(ctx.goalId);
  const rounds = roundsOfTasks(events, ctx.baseCommit);
  const roundOf = (task: Task) => rounds.round.get(task.id) ?? 1;
  const superseded = supersededTasks(events, ctx.round, graph.tasks);
  const runner = createTaskRunner({
    goalId: ctx.goalId,
    goalText: ctx.goal.text,
    goalDir: ctx.goalDir,
    stateRoot: ctx.store.root,
    repo: ctx.repo,
    // A task starts from its round's start with its dependencies' work (a superseded task's work is not carried on).
    baseFor: async (task) => {
      const roundStart = rounds.start.get(roundOf(task)) ?? ctx.baseCommit;
      if (task.dependencies.length === 0) return ok(roundStart);
      const captured = capturedCommits(await ctx.store.readEvents(ctx.goalId));
      for (const id of superseded) captured.delete(id);
      return taskStartCommit({ repo: ctx.repo, task, roundStart, captured });
    },
    round: roundOf,
    provider: ctx.engine,
    criteria: frozen.oracle.criteria,
    env: ctx.env,
    deps: ctx.deps,
    secrets: ctx.secrets,
    limits: () => ctx.goal.budget.limits,
    onUnknownUsage: () => ctx.warnUnknownUsage(),
    append: async (drafts) => {
      const r = await ctx.append(drafts);
      if (!r.ok) throw new Error(`recording the attempt: ${r.error.message}`);
    },
    emit: ctx.emit,
    cancelling: () => ctx.signal?.aborted === true && ctx.signal.reason === "cancel",
  });
  const ports: SchedulerPorts = {
    runTask: runner,
    onEvent: () => undefined,
    onEvents: async (batch) => {
      const r = await ctx.append(batch);
      if (!r.ok) throw new Error(`recording scheduler events: ${r.error.message}`);
    },
    readGoal: () => ctx.store.readGoal(ctx.goalId),
    validateFollowUps: ({ graph: g, proposedBy, proposals }) => {
      const checked = validateProposal(
        g,
        { proposedBy: proposedBy.id, reason: `proposed by ${proposedBy.id}`, tasks: proposals },
        { criteria: frozen.oracle.criteria.map((c) => c.id) },
      );
      return checked.ok ? ok(checked.value.tasks) : { ok: false, error: { message: checked.error.map((i) => i.message).join("; ") } };
    },
  };
  const options = {
    actor: "scheduler",
    concurrency: ctx.goal.budget.maxAgents,
    verificationReserve: { fraction: VERIFICATION_RESERVE_FRACTION },
    ...(ctx.options.scheduler?.leaseMs === undefined ? {} : { leaseMs: ctx.options.scheduler.leaseMs }),
    ...(ctx.options.scheduler?.pollMs === undefined ? {} : { pollMs: ctx.options.scheduler.pollMs }),
    retry: { baseDelayMs: 200, maxDelayMs: 5000 },
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
  };
  const recovered = recoverRun(events);
  let report: RunReport;
  // The caps of the tasks still to run, fitted to what the goal has left now (in memory: task_dispatched records each reservation).
  const fitted = (g: TaskGraph) => {
    const fit = fitTaskCaps(ctx.goal, executableGraph(g), new Date(), { usageAtTurnEnd: ctx.engine.usageAtTurnEnd !== false });
    if (fit.changed.size > 0) {
      const caps = [...fit.changed].map(([id, b]) => `${id} ${b.tokens} tokens, $${b.usd}, ${Math.round(b.timeMs / 1000)}s`);
      ctx.emit({ type: "note", level: "info", message: `task caps fitted to the budget left (shared by ${fit.width} task(s) at once): ${caps.join("; ")}` });
    }
    return fit.graph;
  };
  const started =
    recovered.ok && recovered.value.runs > 0
      ? await resumeGraph({ ...recovered.value, graph: fitted(recovered.value.graph) }, ports, options)
      : await runGraph(fitted(graph), ports, options);
  if (!started.ok) {
    finishPhase(ctx, "execution", "failed", started.error.message);
    return end({ status: "failed_infra", cause: { code: "infra_error", message: `the task graph cannot run: ${started.error.message}` } });
  }
  report = started.value;
  await ctx.refresh();
  const detail = `${report.outcome}: ${report.reason}`;
  switch (report.outcome) {
    case "completed": {
      const missing = await scriptMissing(ctx);
      if (missing !== null) {
        finishPhase(ctx, "execution", "failed", missing);
        return end({ status: "failed_infra", cause: { code: "infra_error", message: missing }, evidence: ["events.jsonl"] });
      }
      const deps = await taskSetupFailed(ctx);
      if (deps !== null) {
        // The project's dependencies would not install in a task's worktree: an environment problem, no round can fix it.
        finishPhase(ctx, "execution", "failed", deps.message);
        return end({
          status: "blocked_on_external",
          cause: setupFailedCause(`task ${deps.taskId}`, deps, (s) => ctx.redactor.redact(s)),
          evidence: ["events.jsonl", "setup.jsonl"],
        });
      }
      const setup = await engineSetupFailed(ctx);
      if (setup !== null) {
        // A login, a key, a model only the user can fix: verifying the head again would not help; the goal waits for the user.
        finishPhase(ctx, "execution", "failed", setup.message);
        return end({ status: "blocked_on_external", cause: engineSetupCause(ctx, `task ${setup.taskId}`, setup), evidence: ["events.jsonl"] });
      }
      // The phase's result reflects its tasks: "passed" only when none failed (verification then judges the head either way).
      const failed = report.tasks.filter((t) => t.status === "failed" || t.status === "blocked").map((t) => t.id);
      const done = report.tasks.filter((t) => t.status === "done").length;
      if (failed.length > 0)
        finishPhase(ctx, "execution", done > 0 ? "partial" : "failed", `${failed.length} task(s) failed or blocked: ${failed.join(", ")}; ${done} done`);
      else finishPhase(ctx, "execution", "passed", detail);
      return next("merge");
    }
    case "paused":
      finishPhase(ctx, "execution", "stopped", detail);
      return end(ctx.goal.status === "paused" ? ending(ctx, "paused", null, ctx.goal.statusReason ?? "paused") : endAsRecorded(ctx));
    case "interrupted":
      finishPhase(ctx, "execution", "stopped", detail);
      return next("merge"); // the driver's stop check pauses or cancels first
    case "needs_more_budget":
      finishPhase(ctx, "execution", "failed", detail);
      return end({
        status: "needs_more_budget",
        cause: budgetCause(report.reason, shortfallDetails(ctx.goal, await ctx.store.readEvents(ctx.goalId))),
        evidence: ["events.jsonl"],
      });
    case "failed_infra":
      finishPhase(ctx, "execution", "failed", detail);
      return end({ status: "failed_infra", cause: { code: "infra_error", message: report.reason } });
    case "cancelled":
    case "stopped":
      finishPhase(ctx, "execution", "skipped", detail);
      return end(ctx.goal.status === "running" ? { status: "failed_infra", cause: { code: "infra_error", message: report.reason } } : endAsRecorded(ctx));
  }
}

/** A task whose session failed on the engine's setup (a login, a model, a protocol: see engine-setup.ts), with the problem its task_failed event recorded. */
async function engineSetupFailed(ctx: GoalRun): Promise<(ControllerProblem & { taskId: string }) | null> {
  const events = await ctx.store.readEvents(ctx.goalId);
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e?.type === "task_run_started") break;
    if (e?.type === "task_failed" && e.data.decision !== "retry" && isEngineSetupProblem(e.data.signature)) {
      return { taskId: e.data.taskId, code: e.data.signature, ...splitFix(e.data.message) };
    }
  }
  return null;
}

/** A task whose worktree's dependency setup failed (task_failed signature setup_failed), with the typed failure from setup.jsonl. */
async function taskSetupFailed(ctx: GoalRun): Promise<(SetupProblem & { taskId: string }) | null> {
  const events = await ctx.store.readEvents(ctx.goalId);
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e?.type === "task_run_started") break;
    if (e?.type === "task_failed" && e.data.decision !== "retry" && e.data.signature === SETUP_FAILED) {
      const { message, fix } = splitFix(e.data.message);
      const setup = lastRecordedFailure(ctx.deps.recordFile) ?? {
        code: "setup_failed" as const,
        command: "(see the message)",
        exitCode: null,
        tail: [],
        message,
        fix,
      };
      return { taskId: e.data.taskId, code: SETUP_FAILED, message, fix: fix === "" ? setup.fix : fix, setup };
    }
  }
  return null;
}

/** A task failed because the script book has no session for it: the goal cannot go on (failed_infra). */
async function scriptMissing(ctx: GoalRun): Promise<string | null> {
  const events = await ctx.store.readEvents(ctx.goalId);
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e?.type === "task_run_started") break;
    if (e?.type === "task_failed" && e.data.decision !== "retry" && e.data.signature === "script_missing") return `task ${e.data.taskId}: ${e.data.message}`;
  }
  return null;
}
