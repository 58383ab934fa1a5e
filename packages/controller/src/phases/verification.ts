/**
 * Verification: on the head the merge step integrated (phases/integration.ts,
 * `ctx.integrated`), run the gates (compared with the base) and the oracle's
 * checks on a detached checkout of it, and evaluate the frozen oracle. The
 * verdict goes to rounds/r<n>.json and `ctx.verdict`, the rest to
 * `ctx.verified` for the review. Re-runs idempotently on resume.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { sha256, ok } from "@omk/core";
import type { GateEvidence } from "@omk/state";
import { type GoalRun, relToGoal, type Verified } from "../context.js";
import { changedTestFiles, junitCasesOf, collectOracleEvidence, evaluateRound, gatePasses, runWall, isSetupProblem, setupFailedCause } from "@omk/proof";
import { withDetached } from "../internal/run-checkout.js";
import { finishPhase } from "../internal/run-phase.js";
import { frozenOracle, oracleEvaluatedEvent, recordedBaseline, roundsOfTasks } from "../internal/run-records.js";
import { REVIEW_ROLES } from "@omk/proof";
import { causeOf, type FailingItem, type RoundVerdict, writeVerdict } from "../internal/run-verdict.js";
import { end, next, type Step } from "./step.js";

function logTail(ctx: GoalRun, gate: GateEvidence, max = 1500): string {
  const text = gate.logs
    .filter((l) => !l.path.endsWith(".xml"))
    .map((l) => {
      try {
        return readFileSync(path.join(ctx.goalDir, l.path), "utf8");
      } catch {
        return "";
      }
    })
    .join("\n")
    .trim();
  return text.length > max ? `...${text.slice(-max)}` : text;
}

/** Tasks that gave up (failed or blocked) are failing items too; a scope violation names its task. */
async function taskItems(ctx: GoalRun): Promise<FailingItem[]> {
  const events = await ctx.store.readEvents(ctx.goalId);
  const scope = new Set(events.flatMap((e) => (e.type === "scope_violation_recorded" ? [e.data.taskId] : [])));
  // Only this round's tasks: a task that failed in an earlier round was reported then, and its follow-ups replace it.
  const rounds = roundsOfTasks(events, ctx.baseCommit).round;
  const items: FailingItem[] = [];
  for (const t of ctx.goal.taskGraph?.tasks ?? []) {
    if (REVIEW_ROLES.has(t.role) || (t.status !== "failed" && t.status !== "blocked") || (rounds.get(t.id) ?? 1) !== ctx.round) continue;
    const lastFail = events.findLast((e) => e.type === "task_failed" && e.data.taskId === t.id);
    const message = lastFail?.type === "task_failed" ? lastFail.data.message : t.status;
    items.push({ kind: "task", key: `${scope.has(t.id) ? "scope:" : "task:"}${t.id}`, detail: ctx.redactor.redact(`task ${t.id} ${t.status}: ${message}`) });
  }
  return items;
}

/** The verification step: it runs in the phase the merge step opened, on `ctx.integrated`. */
export async function verificationPhase(ctx: GoalRun): Promise<Step> {
  const integrated = ctx.integrated;
  if (integrated === null) throw new Error(`round ${ctx.round}: verification without the merge step's head`);
  const failing: FailingItem[] = await taskItems(ctx);
  const head = integrated.head;
  if (integrated.conflicts.length > 0) {
    // The rest is integrated without the conflicting work; the round is not ready, and its follow-up takes the conflict over.
    failing.push(...integrated.conflicts);
    const verdict: RoundVerdict = {
      round: ctx.round,
      headCommit: head,
      ready: false,
      cause: causeOf(failing),
      failing,
      evidence: ["events.jsonl"],
      failedCriteria: [],
    };
    finishPhase(ctx, "verification", "failed", failing.map((f) => f.key).join(", "));
    return verified(ctx, { verdict, headCommit: head, gates: [], evaluation: null, headSet: null, baseSet: null, headFile: null });
  }
  const frozen = await frozenOracle(ctx);
  const runId = `r${ctx.round}-head-${Date.now().toString(36)}`;
  const headFileRel = `evidence/r${ctx.round}-head.json`;
  const headFile = path.join(ctx.goalDir, headFileRel);
  const signal = ctx.signal === undefined ? {} : { signal: ctx.signal };
  // Gates and the oracle's checks run the agent's code: in the run's sandbox (none with --unconfined).
  const boxed = ctx.deps.confine === undefined ? {} : { confine: ctx.deps.confine };
  const gatesConfig = ctx.options.gatesConfig === undefined ? {} : { gatesConfig: ctx.options.gatesConfig };
  const deps = ctx.options.depsCache === undefined ? {} : { depsCache: ctx.options.depsCache };
  const onHead = await withDetached(
    ctx.repo,
    ctx.goalDir,
    `r${ctx.round}-head`,
    head,
    async (dir, setup) => {
      const wall = await runWall({
        root: dir,
        ...(setup === undefined ? {} : { setup }),
        ...deps,
        goalDir: ctx.goalDir,
        outDir: path.join(ctx.goalDir, "gates", runId),
        runId,
        base: ctx.baseCommit,
        env: ctx.gateEnv,
        ...signal,
        ...boxed,
        ...gatesConfig,
        onGate: (gate) => ctx.emit({ type: "gate_finished", where: "head", gate }),
      });
      if (!wall.ok) return wall;
      const set = await collectOracleEvidence({
        side: "head",
        root: dir,
        commit: head,
        frozen,
        gates: wall.value.gates,
        testCases: junitCasesOf(wall.value.report),
        env: ctx.gateEnv,
        ...(setup === undefined ? {} : { setup }),
        outFile: headFile,
        ...signal,
        ...boxed,
        ...gatesConfig,
      });
      if (!set.ok) return set;
      return ok({ wall: wall.value, set: set.value });
    },
    ctx.deps,
  );
  if (!onHead.ok) {
    const detail = onHead.error.message;
    // The head's dependencies would not install: an environment problem no fix round can help (ends blocked_on_external, exit 5).
    if (isSetupProblem(onHead.error)) {
      return end({
        status: "blocked_on_external",
        cause: setupFailedCause("verification", onHead.error, (s) => ctx.redactor.redact(s)),
        evidence: ["setup.jsonl"],
        stoppable: true,
        detail,
      });
    }
    return end({
      status: "failed_infra",
      cause: { code: "infra_error", message: `verification: ${onHead.error.message} (fix: ${onHead.error.fix})` },
      stoppable: true,
      detail,
    });
  }
  const { wall, set: headSet } = onHead.value;
  // The red half of red → green: the head's tests on the base's code.
  let baseSet = await recordedBaseline(ctx);
  const testFiles = await changedTestFiles(ctx.repo, ctx.baseCommit, head).catch(() => []);
  if (baseSet !== null && testFiles.length > 0) {
    const recorded = baseSet;
    const overlaid = await withDetached(
      ctx.repo,
      ctx.goalDir,
      `r${ctx.round}-base`,
      ctx.baseCommit,
      (dir, setup) =>
        collectOracleEvidence({
          side: "base",
          root: dir,
          commit: ctx.baseCommit,
          frozen,
          gates: recorded.gates,
          testCases: recorded.junit,
          headTestsFrom: { repo: ctx.repo, headCommit: head, testFiles },
          env: ctx.gateEnv,
          ...(setup === undefined ? {} : { setup }),
          deps: ctx.deps,
          outFile: path.join(ctx.goalDir, `evidence/r${ctx.round}-base.json`),
          ...signal,
          ...boxed,
          ...gatesConfig,
        }),
      ctx.deps,
    );
    if (overlaid.ok) baseSet = overlaid.value;
  }
  const evaluated = evaluateRound(frozen, baseSet, headSet, { baseCommit: ctx.baseCommit, headCommit: head });
  if (!evaluated.ok) {
    finishPhase(ctx, "verification", "failed", evaluated.error.message);
    return end({ status: "failed_infra", cause: { code: "infra_error", message: evaluated.error.message } });
  }
  const evaluation = evaluated.value;
  const reportText = readFileSync(wall.reportPath, "utf8");
  const headText = readFileSync(headFile, "utf8");
  await ctx.append([
    {
      type: "verification_recorded",
      actor: ctx.actor,
      data: {
        runId,
        verdict: wall.verdict,
        commit: head,
        dirty: wall.report.dirty ?? false,
        base: { ref: ctx.baseCommit, commit: ctx.baseCommit },
        gates: wall.gates,
        report: { path: path.relative(ctx.goalDir, wall.reportPath).split(path.sep).join("/"), sha256: sha256(reportText) },
      },
    },
    oracleEvaluatedEvent(ctx, evaluation, [{ path: headFileRel, sha256: sha256(headText) }]),
  ]);
  // Every required gate must pass: one that did not run (skipped because a gate it needs failed, or the run was aborted) is not passing.
  const failedGates = wall.gates.filter((gate) => gate.required && !gatePasses(gate.outcome));
  for (const gate of failedGates) {
    failing.push({
      kind: "gate",
      key: `gate:${gate.name}`,
      detail: ctx.redactor.redact(`gate ${gate.name} ${gate.outcome} (exit ${gate.exitCode ?? "none"}):\n${logTail(ctx, gate)}`),
    });
  }
  const failedCriteria: string[] = [];
  for (const c of evaluation.criteria) {
    if (c.kind === "review" || c.verdict === "passed") continue;
    failedCriteria.push(c.id);
    failing.push({ kind: "criterion", key: `criterion:${c.id}`, detail: ctx.redactor.redact(`criterion ${c.id} ${c.verdict}: ${c.reason}`) });
  }
  const ready = failing.length === 0;
  const verdict: RoundVerdict = {
    round: ctx.round,
    headCommit: head,
    ready,
    cause: ready ? null : causeOf(failing),
    failing,
    evidence: [headFileRel, relToGoal(ctx, wall.reportPath), ...failedGates.flatMap((g) => g.logs.map((l) => l.path))],
    failedCriteria,
  };
  finishPhase(
    ctx,
    "verification",
    ready ? "passed" : "failed",
    ready ? `head ${head.slice(0, 12)}` : `${failing.length} failing: ${failing.map((f) => f.key).join(", ")}`,
  );
  return verified(ctx, { verdict, headCommit: head, gates: wall.gates, evaluation, headSet, baseSet, headFile });
}

/** The round's verification into rounds/r<n>.json and the context; a ready head goes to review, else the round ends. */
function verified(ctx: GoalRun, result: Verified): Step {
  writeVerdict(ctx.files, ctx.goalDir, result.verdict);
  ctx.verified = result;
  ctx.verdict = result.verdict;
  return next(result.verdict.ready ? "review" : "round-end");
}
