/**
 * Baseline: the gates and the oracle's checks on the base commit, in a
 * detached checkout of it; baseline_recorded binds them to the oracle hash.
 * Skipped when a baseline for the oracle in force is recorded
 * (internal/run-records.ts recordedBaseline).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { sha256, ok } from "@omk/core";
import type { GoalRun } from "../context.js";
import { collectOracleEvidence, junitCasesOf, runWall, isSetupProblem, setupFailedCause } from "@omk/proof";
import { withDetached } from "../internal/run-checkout.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { BASELINE_FILE, frozenOracle, recordedBaseline } from "../internal/run-records.js";
import { end, next, type Step } from "./step.js";

export async function baselinePhase(ctx: GoalRun): Promise<Step> {
  await enterPhase(ctx, "baseline");
  if ((await recordedBaseline(ctx)) !== null) {
    finishPhase(ctx, "baseline", "skipped", "recorded already for this oracle");
    return next("execution");
  }
  const frozen = await frozenOracle(ctx);
  const runId = `baseline-${Date.now().toString(36)}`;
  const outFile = path.join(ctx.goalDir, BASELINE_FILE);
  const collected = await withDetached(
    ctx.repo,
    ctx.goalDir,
    "base",
    ctx.baseCommit,
    async (dir, setup) => {
      const wall = await runWall({
        root: dir,
        ...(setup === undefined ? {} : { setup }),
        goalDir: ctx.goalDir,
        outDir: path.join(ctx.goalDir, "gates", runId),
        runId,
        env: ctx.gateEnv,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
        ...(ctx.deps.confine === undefined ? {} : { confine: ctx.deps.confine }),
        ...(ctx.options.gatesConfig === undefined ? {} : { gatesConfig: ctx.options.gatesConfig }),
        onGate: (gate) => ctx.emit({ type: "gate_finished", where: "baseline", gate }),
      });
      if (!wall.ok) return wall;
      const set = await collectOracleEvidence({
        side: "base",
        root: dir,
        commit: ctx.baseCommit,
        frozen,
        gates: wall.value.gates,
        testCases: junitCasesOf(wall.value.report),
        env: ctx.gateEnv,
        ...(setup === undefined ? {} : { setup }),
        deps: ctx.deps,
        outFile,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
        ...(ctx.deps.confine === undefined ? {} : { confine: ctx.deps.confine }),
        ...(ctx.options.gatesConfig === undefined ? {} : { gatesConfig: ctx.options.gatesConfig }),
      });
      if (!set.ok) return set;
      return ok({ set: set.value, gates: wall.value.gates });
    },
    ctx.deps,
  );
  if (!collected.ok) {
    const detail = collected.error.message;
    // The project's dependencies would not install on the base: nothing an agent can fix, so no round is planned.
    if (isSetupProblem(collected.error)) {
      return end({
        status: "blocked_on_external",
        cause: setupFailedCause("baseline", collected.error, (s) => ctx.redactor.redact(s)),
        evidence: ["setup.jsonl"],
        stoppable: true,
        detail,
      });
    }
    return end({
      status: "failed_infra",
      cause: { code: "infra_error", message: `baseline: ${collected.error.message} (fix: ${collected.error.fix})` },
      stoppable: true,
      detail,
    });
  }
  const text = readFileSync(outFile, "utf8");
  const recorded = await ctx.append([
    {
      type: "baseline_recorded",
      actor: ctx.actor,
      data: { oracleHash: frozen.hash, commit: ctx.baseCommit, gates: collected.value.gates, evidence: { path: BASELINE_FILE, sha256: sha256(text) } },
    },
  ]);
  if (!recorded.ok) throw new Error(`recording the baseline: ${recorded.error.message}`);
  finishPhase(ctx, "baseline", "passed", `${collected.value.gates.length} gates on ${ctx.baseCommit.slice(0, 12)}`);
  return next("execution");
}
