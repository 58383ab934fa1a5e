/**
 * The scheduler's task runner: one attempt of a task = one engine session in
 * the task's worktree, with writes outside the write set refused as they are
 * asked for, then the changes committed, checked against the write set
 * again (the engine may write files itself), and the evidence written to
 * runs/<task>/<attempt>/. The agent's text never decides done: the gates do.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type KnownSecretHit, knownSecretMatcher, type Result } from "@omk/core";
import { SchedulerAbortError, type TaskContext, type TaskResult, type TaskRunner } from "@omk/scheduler";
import { type BudgetLimits, type Criterion, type NewEvent, type Task, totalTokens } from "@omk/state";
import type { ScopeCheck as WireScopeCheck, WireEvent } from "@omk/wire";
import {
  type ContentScreen,
  captureChanges,
  checkScope,
  discardCheckout,
  keepAttempt,
  type ScopeViolation,
  type ScreenFinding,
  scopeChecker,
} from "@omk/worktree";
import { FIX_SEPARATOR } from "../engine-setup.js";
import { secretName } from "../known-secrets.js";
import { addSpend, estimateTokens, sessionSpendEvent, unknownSpendEstimate, ZERO_SPEND } from "../session-spend.js";
import { taskPrompt } from "./task-prompt.js";
import { redactedFilesFor } from "@omk/proof";
import { prepareTaskWorktree } from "./task-worktree.js";
import { runSession, sessionKnownSecrets } from "../session.js";
import type { EngineProvider, SessionProblem, SpendReport, TaskEvent, TaskEventSink } from "../types.js";

export type TaskRunnerInput = {
  readonly goalId: string;
  readonly goalText: string;
  /** goalPaths(stateRoot, goalId).dir: evidence goes to runs/<task>/<attempt>/ under it. */
  readonly goalDir: string;
  readonly stateRoot: string;
  /** The main repository. */
  readonly repo: string;
  /**
   * The commit the task's worktree starts from: the goal's base in round 1,
   * the previous round's integrated head later, with the work of the task's
   * dependencies (a problem when it cannot be formed: the attempt fails, not retryable).
   */
  readonly baseFor: (task: Task) => string | Promise<Result<string, SessionProblem>>;
  readonly round: (task: Task) => number;
  readonly provider: EngineProvider;
  /** The frozen oracle's criteria (the prompt names those the task serves). */
  readonly criteria: readonly Criterion[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secrets?: readonly string[];
  /**
   * The goal's limits now. When a token or USD limit is set, an attempt whose
   * session reports no usage is charged its fitted caps (the reservation) as
   * an upper-bound estimate. Absent: nothing is estimated.
   */
  readonly limits?: () => BudgetLimits;
  /** Called when an attempt was charged an estimate (the controller warns once per run). */
  readonly onUnknownUsage?: () => void;
  /** Appends events to the goal's log (e.g. `(events) => store.append(goalId, () => events)`, throwing on failure). */
  readonly append: (events: NewEvent[]) => Promise<void>;
  readonly emit?: TaskEventSink;
  /** Whether the goal is being cancelled (the caller's second Ctrl-C): a stopped task then suggests no resume, cancelled is final. */
  readonly cancelling?: () => boolean;
  /** Untracked files of the main checkout to copy into each worktree (e.g. [".env"]); never committed. */
  readonly copyUntracked?: readonly string[];
  /** How each worktree gets the project's dependencies before the agent starts (@omk/proof's checkout setup). */
  readonly deps?: import("@omk/proof").CheckoutDeps;
};

/** The scope violation kind of a change that holds a secret value the run knows (the review reports it as a secret finding). */
const KNOWN_SECRET_KIND = "known_secret";
/** The scope violation kind of a session whose output carried a secret the run knows (path OUTPUT_PATH; the review reports it as a secret finding). */
const SECRET_IN_OUTPUT_KIND = "secret_in_output";
const OUTPUT_PATH = "(output)";
/** The scope violation kind of a change too large to screen for the run's secrets (the review reports it as a secret finding). */
const UNSCREENED_KIND = "unscreened_content";

/**
 * The capture screen of a task's work (captureChanges `screen`): the secrets
 * the run knows, in every form knownSecretMatcher matches (plain, as in a JSON
 * string, base64 at any alignment, hex, spaced out), named by their variable.
 * Undefined when the run knows none.
 */
function secretScreen(env: Readonly<Record<string, string | undefined>>, secrets: readonly string[]): ContentScreen | undefined {
  const matcher = knownSecretMatcher(sessionKnownSecrets(env, secrets));
  if (matcher.size === 0) return undefined;
  return { find: (text) => [...new Set(matcher.find(text).map((hit) => `${secretName(hit.label)} (${hit.form})`))] };
}

/** The violations of a refused capture: a secret found in a file, or a file too large to screen; never the value. */
function screenViolations(findings: readonly ScreenFinding[]): Array<{ path: string; kind: string; message: string }> {
  const seen = new Set<string>();
  const out: Array<{ path: string; kind: string; message: string }> = [];
  for (const f of findings) {
    const kind = f.reason === "matched" ? KNOWN_SECRET_KIND : UNSCREENED_KIND;
    if (seen.has(`${f.path}\u0000${kind}`)) continue;
    seen.add(`${f.path}\u0000${kind}`);
    out.push({
      path: f.path,
      kind,
      message:
        f.reason === "matched"
          ? `${f.path} holds the secret ${f.detail} of the run's environment or engine configuration`
          : `${f.path} could not be screened for the run's secrets: ${f.detail}`,
    });
  }
  return out;
}

/** The scope violation of secrets in a session's output: which ones, in which forms; undefined when none. */
function outputLeak(task: Task, hits: readonly KnownSecretHit[]): { path: string; kind: string; message: string; problem: SessionProblem } | undefined {
  if (hits.length === 0) return undefined;
  const forms = new Map<string, string[]>();
  for (const hit of hits) forms.set(secretName(hit.label), [...(forms.get(secretName(hit.label)) ?? []), hit.form]);
  const named = [...forms].map(([name, f]) => `${name} (${f.join(", ")})`).join(", ");
  const message = `task ${task.id} put the secret ${named} into its session output (its messages, tool calls or command output); OMK's files have it redacted, but the engine saw it`;
  return {
    path: OUTPUT_PATH,
    kind: SECRET_IN_OUTPUT_KIND,
    message,
    problem: {
      code: "secret_in_output",
      message: `${message}; the attempt is never integrated`,
      fix: "rotate the secret (it reached the engine and its model), and keep it out of the agent's reach: agent commands get no secret-named variables, so an agent that prints one read it elsewhere",
    },
  };
}

/** The longest pause between heartbeats while a session runs. */
const HEARTBEAT_MAX_MS = 5_000;

/** Worktree problems that another attempt will not fix. */
const PERMANENT_WORKTREE_CODES = new Set([
  "worktree_content_refused",
  "worktree_invalid_input",
  "worktree_not_a_repository",
  "worktree_base_not_found",
  "worktree_protected_branch",
]);

function relativeTo(root: string, target: string): string {
  if (!path.isAbsolute(target)) return target;
  const rel = path.relative(root, target);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : target;
}

type Refusal = { path: string; reason: string; kind: string; message: string };

/** Heartbeats while the session runs; aborts `controller` when the lease is gone. */
function startHeartbeat(context: TaskContext, controller: AbortController): () => void {
  const leaseMs = Date.parse(context.lease.expiresAt) - Date.parse(context.lease.acquiredAt);
  const every = Math.max(50, Math.min(HEARTBEAT_MAX_MS, Number.isFinite(leaseMs) && leaseMs > 0 ? Math.floor(leaseMs / 4) : HEARTBEAT_MAX_MS));
  const timer = setInterval(() => {
    if (!context.heartbeat()) {
      clearInterval(timer);
      controller.abort(new Error("the task's lease is gone"));
    }
  }, every);
  return () => clearInterval(timer);
}

/** Whether an attempt was stopped because the goal is cancelled (by another process, or the caller's cancel). */
function goalCancelled(input: TaskRunnerInput, reason: unknown): boolean {
  return (reason instanceof SchedulerAbortError && reason.kind === "cancelled") || input.cancelling?.() === true;
}

/** The scheduler port: runs one attempt of `task`. */
export function createTaskRunner(input: TaskRunnerInput): TaskRunner {
  return (task, context) => runAttempt(input, task, context);
}

/**
 * One attempt, heartbeating from its first step to its last: dependency setup
 * in a fresh checkout, the capture and its screen can each outlast a lease on
 * a loaded machine, and an expired lease would dispatch a second attempt into
 * the same checkout while this one still works in it.
 */
async function runAttempt(input: TaskRunnerInput, task: Task, context: TaskContext): Promise<TaskResult> {
  const stop = new AbortController();
  const stopHeartbeat = startHeartbeat(context, stop);
  try {
    return await attemptSteps(input, task, context, stop);
  } finally {
    stopHeartbeat();
  }
}

async function attemptSteps(input: TaskRunnerInput, task: Task, context: TaskContext, stop: AbortController): Promise<TaskResult> {
  // Every file of the attempt (prompt, diff, records) passes through the run's redactor.
  const files = redactedFilesFor(input.env, input.secrets);
  const writeJson = (file: string, value: unknown) => files.writeJson(file, value);
  const attempt = context.attempt;
  const round = input.round(task);
  const runRel = path.posix.join("runs", task.id, String(attempt));
  const runDir = path.join(input.goalDir, "runs", task.id, String(attempt));
  const engine = input.provider.name;
  let spend: SpendReport = ZERO_SPEND;
  const emit = (event: TaskEvent) => input.emit?.(event);
  const update = (state: "running" | "succeeded" | "failed" | "interrupted" | "cancelled", message?: string) =>
    emit({
      type: "task_update",
      taskId: task.id,
      title: task.title,
      role: task.role,
      round,
      attempt,
      state,
      engine,
      tokens: totalTokens(spend.tokens),
      usd: spend.usd,
      ...(spend.quality === undefined ? {} : { usageQuality: spend.quality }),
      ...(message === undefined ? {} : { message }),
    });
  const fail = (
    problem: SessionProblem,
    retryable: boolean,
    signature = problem.code,
    state: "failed" | "interrupted" | "cancelled" = "failed",
  ): TaskResult => {
    const message = problem.fix === "" ? problem.message : `${problem.message}${FIX_SEPARATOR}${problem.fix}`;
    update(state, message);
    return { ok: false, message, signature, retryable };
  };

  mkdirSync(runDir, { recursive: true });
  update("running");
  const screen = secretScreen(input.env, input.secrets ?? []);
  const start = await input.baseFor(task);
  if (typeof start !== "string" && !start.ok) return fail(start.error, false);
  const prepared = await prepareTaskWorktree({
    repo: input.repo,
    stateRoot: input.stateRoot,
    goalId: input.goalId,
    task,
    attempt,
    base: typeof start === "string" ? start : start.value,
    ...(input.copyUntracked === undefined ? {} : { copyUntracked: input.copyUntracked }),
    ...(input.deps === undefined ? {} : { deps: input.deps }),
    ...(screen === undefined ? {} : { screen }),
  });
  // A failed dependency setup is the project's environment: another attempt would fail the same way.
  if (!prepared.ok) return fail(prepared.problem, prepared.problem.code !== "setup_failed" && !PERMANENT_WORKTREE_CODES.has(prepared.problem.code));
  const worktree = prepared.worktree;

  const prompt = taskPrompt(task, input.criteria, input.goalText);
  files.write(path.join(runDir, "prompt.md"), prompt);

  // Write-time refusal: the engine's file writes are checked with the same rules as the diff afterwards.
  const judge = scopeChecker(task, worktree.path);
  const judged = new Map<string, ScopeViolation>();
  const scope: WireScopeCheck = (rel, access) => {
    if (access === "read") return { allowed: true };
    const decision = judge(rel);
    if (decision.ok) return { allowed: true };
    judged.set(rel, decision.violation);
    return { allowed: false, reason: decision.violation.message };
  };
  const refusals: Refusal[] = [];
  const onWireEvent = (event: WireEvent): void => {
    if (event.type !== "scope" || event.access !== "write" || !event.enforced) return;
    const rel = relativeTo(worktree.path, event.path);
    const violation = judged.get(rel);
    const refusal = {
      path: rel,
      reason: event.reason,
      kind: violation?.kind ?? (event.source === "sandbox" ? "sandbox_refused" : path.isAbsolute(rel) ? "escapes_worktree" : "outside_write_set"),
      message: violation?.message ?? event.reason,
    };
    refusals.push(refusal);
    emit({ type: "scope_refused", taskId: task.id, attempt, path: refusal.path, reason: refusal.reason });
  };

  const signal = AbortSignal.any([context.signal, stop.signal]);
  const outcome = await runSession({
    provider: input.provider,
    purpose: { kind: "task", taskId: task.id, attempt, round },
    cwd: worktree.path,
    runDir,
    prompt,
    scope,
    signal,
    env: input.env,
    ...(input.secrets === undefined ? {} : { secrets: input.secrets }),
    onUsage: (increment) => {
      spend = addSpend(spend, increment);
      context.reportUsage({ tokens: increment.tokens, ...(increment.usd === null ? {} : { usd: increment.usd }) });
      update("running");
    },
    onWireEvent,
  });
  spend = outcome.spend;
  // A session OMK stopped (pause, cancel, shutdown) is not estimated: cut at once, it would cost a whole cap (docs/decisions/controller.md 23).
  const estimate = input.limits === undefined || signal.aborted ? undefined : unknownSpendEstimate(spend, context.reservation, input.limits());
  if (estimate !== undefined) {
    // Charged through the scheduler, so its ledger counts it against the goal's pool like reported usage.
    input.onUnknownUsage?.();
    context.reportUsage({ tokens: estimateTokens(estimate), usd: estimate.usd });
  }
  await input.append([sessionSpendEvent(`task:${task.id}#${attempt}`, spend, context.worker, task.id, estimate)]);
  const refusedEvents: NewEvent[] = refusals.map((r) => ({
    type: "scope_violation_recorded",
    actor: context.worker,
    data: { taskId: task.id, attempt, path: r.path, kind: r.kind, atWrite: true, message: r.message },
  }));
  const evidence = (names: readonly string[]) => names.filter((name) => existsSync(path.join(runDir, name))).map((name) => path.posix.join(runRel, name));
  writeJson(path.join(runDir, "usage.json"), { engine, tokens: spend.tokens, totalTokens: totalTokens(spend.tokens), usd: spend.usd });

  const printed = outputLeak(task, outcome.secretsInOutput);
  const printedEvents: NewEvent[] =
    printed === undefined
      ? []
      : [
          {
            type: "scope_violation_recorded",
            actor: context.worker,
            data: { taskId: task.id, attempt, path: printed.path, kind: printed.kind, atWrite: false, message: printed.message },
          },
        ];

  if (!outcome.ok) {
    if (refusedEvents.length + printedEvents.length > 0) await input.append([...refusedEvents, ...printedEvents]);
    if (signal.aborted) {
      const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? "aborted");
      if (goalCancelled(input, signal.reason)) {
        // Cancelled is final: nothing to resume, so no fix that says so.
        return fail(
          { code: "task_aborted", message: `task ${task.id} was stopped: ${reason} (the goal is cancelled, which is final)`, fix: "" },
          true,
          "aborted",
          "cancelled",
        );
      }
      // Stopped, not failed: the live view shows it paused, and a resume runs it again.
      return fail(
        { code: "task_aborted", message: `task ${task.id} was stopped: ${reason}`, fix: "resume the goal (omk goal resume)" },
        true,
        "aborted",
        "interrupted",
      );
    }
    // A secret in the output is the agent's doing whatever ended the session: another attempt does not undo it.
    if (printed !== undefined) return fail(printed.problem, false, "scope_violation");
    return fail(outcome.problem, outcome.retryable);
  }

  // Every object the task's branch would bring is screened for the run's secrets BEFORE it is fetched into the user's repository.
  const captured = await captureChanges(worktree, { message: task.title, ...(screen === undefined ? {} : { screen }) });
  if (!captured.ok && captured.error.code === "content_refused") {
    // Nothing reached the user's repository; the checkout (the only copy, in its own object store) goes, so no later sync can bring it.
    const discarded = await discardCheckout(worktree);
    const violations = screenViolations(captured.error.findings);
    await input.append([
      ...refusedEvents,
      ...printedEvents,
      ...violations.map(
        (v): NewEvent => ({
          type: "scope_violation_recorded",
          actor: context.worker,
          data: { taskId: task.id, attempt, path: v.path, kind: v.kind, atWrite: false, message: v.message },
        }),
      ),
    ]);
    const leaked = violations.filter((v) => v.kind === KNOWN_SECRET_KIND).map((v) => v.path);
    const unscreened = violations.filter((v) => v.kind === UNSCREENED_KIND).map((v) => v.path);
    const where = discarded.ok ? "" : ` (its checkout ${worktree.path} could not be removed: ${discarded.error.message})`;
    return fail(
      leaked.length > 0
        ? {
            code: "secret_leaked",
            message: `task ${task.id} wrote a secret value the run knows (from its environment or engine configuration) into ${leaked.join(", ")}; the attempt is never integrated and nothing of it reached the repository${where}`,
            fix: "keep secrets out of the change (read them from the environment at run time), and rotate the secret",
          }
        : {
            code: "unscreened_content",
            message: `task ${task.id} wrote ${unscreened.join(", ")}, too large to screen for the run's secrets; the attempt is never integrated and nothing of it reached the repository${where}`,
            fix: "keep large generated or binary files out of the change (build them at run time), or split the task",
          },
      false,
      "scope_violation",
    );
  }
  if (!captured.ok) {
    // A nested repository: nothing was captured; each path is a scope violation, and another attempt would not undo it.
    const nested: NewEvent[] =
      captured.error.code === "nested_repository"
        ? captured.error.violations.map((v) => ({
            type: "scope_violation_recorded",
            actor: context.worker,
            data: { taskId: task.id, attempt, path: v.path, kind: v.kind, atWrite: false, message: v.message },
          }))
        : [];
    if (refusedEvents.length + printedEvents.length + nested.length > 0) await input.append([...refusedEvents, ...printedEvents, ...nested]);
    if (printed !== undefined) return fail(printed.problem, false, "scope_violation");
    if (captured.error.code === "nested_repository") {
      return fail({ code: "scope_violation", message: `task ${task.id}: ${captured.error.message}`, fix: captured.error.fix }, false);
    }
    return fail(
      { code: `capture_${captured.error.code}`, message: `committing the work of task ${task.id}: ${captured.error.message}`, fix: captured.error.fix },
      true,
    );
  }
  const capture = captured.value;
  files.write(path.join(runDir, "diff.patch"), capture.diff);
  writeJson(path.join(runDir, "changed-files.json"), capture.files);

  const violations: Array<{ path: string; kind: string; message: string }> = [
    ...checkScope(capture, task),
    ...(printed === undefined ? [] : [{ path: printed.path, kind: printed.kind, message: printed.message }]),
  ];
  let keptRef: string | undefined;
  if (violations.length > 0) {
    const kept = await keepAttempt(worktree, { commit: capture.head });
    if (kept.ok) keptRef = kept.value.ref;
  }
  await input.append([
    {
      type: "attempt_captured",
      actor: context.worker,
      data: {
        taskId: task.id,
        attempt,
        round,
        branch: capture.branch,
        commit: capture.head,
        changedFiles: capture.files.map((f) => f.path),
        ...(keptRef === undefined ? {} : { keptRef }),
      },
    },
    ...refusedEvents,
    ...violations.map(
      (v): NewEvent => ({
        type: "scope_violation_recorded",
        actor: context.worker,
        data: { taskId: task.id, attempt, path: v.path, kind: v.kind, atWrite: false, message: v.message },
      }),
    ),
  ]);

  if (printed !== undefined) return fail(printed.problem, false, "scope_violation");
  if (violations.length > 0) {
    const list = violations.map((v) => `${v.path} (${v.kind})`).join(", ");
    const where = keptRef === undefined ? "" : `; the attempt is kept at ${keptRef} and is never integrated`;
    return fail(
      {
        code: "scope_violation",
        message: `task ${task.id} changed files outside its write set: ${list}${where}`,
        fix: `widen the task's write set in the plan if those files belong to it, or re-plan the goal (write set: ${task.writes.join(", ") || "nothing"})`,
      },
      false,
    );
  }
  update("succeeded", refusals.length === 0 ? undefined : `${refusals.length} write(s) outside the write set refused`);
  return { ok: true, evidence: evidence(["prompt.md", "scenario.json", "transcript.jsonl", "diff.patch", "changed-files.json", "usage.json"]) };
}
