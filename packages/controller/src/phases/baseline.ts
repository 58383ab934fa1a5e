/**
 * Baseline: the gates and the oracle's checks on the base commit, in a
 * detached checkout of it; baseline_recorded binds them to the oracle hash.
 * Skipped when a baseline for the oracle in force is recorded.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { type EvidenceSet, EvidenceSetSchema, sha256Hex } from "@omk/oracle";
import { ok } from "@omk/state";
import type { RunContext } from "../context.js";
import { isSetupProblem, setupFailedCause } from "../internal/checkout-deps.js";
import { withDetached } from "../internal/run-checkout.js";
import { collectOracleEvidence, junitCasesOf, runWall } from "../internal/run-deps.js";
import { enterPhase, finishPhase, pausedIfStopped } from "../internal/run-phase.js";
import { endWithFailure } from "../outcome.js";
import type { RunGoalResult } from "../types.js";
import { frozenOracle } from "./oracle.js";

export const BASELINE_FILE = "baseline/evidence.json";

/** The recorded base EvidenceSet for the oracle in force, or null. */
export async function recordedBaseline(ctx: RunContext): Promise<EvidenceSet | null> {
  const hash = ctx.goal.oracle?.hash;
  const events = await ctx.store.readEvents(ctx.goalId);
  const recorded = events.some((e) => e.type === "baseline_recorded" && e.data.oracleHash === hash && e.data.commit === ctx.baseCommit);
  if (!recorded) return null;
  try {
    const set = EvidenceSetSchema.parse(JSON.parse(readFileSync(path.join(ctx.goalDir, BASELINE_FILE), "utf8")));
    return set.oracleHash === hash ? set : null;
  } catch {
    return null;
  }
}

export async function baselinePhase(ctx: RunContext): Promise<RunGoalResult | null> {
  await enterPhase(ctx, "baseline");
  if ((await recordedBaseline(ctx)) !== null) {
    finishPhase(ctx, "baseline", "skipped", "recorded already for this oracle");
    return null;
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
    const stop = await pausedIfStopped(ctx);
    if (stop !== null) {
      finishPhase(ctx, "baseline", "stopped", ctx.goal.status);
      return stop;
    }
    finishPhase(ctx, "baseline", "failed", collected.error.message);
    // The project's dependencies would not install on the base: nothing an agent can fix, so no round is planned.
    if (isSetupProblem(collected.error)) return endWithFailure(ctx, "blocked_on_external", setupFailedCause("baseline", collected.error, (s) => ctx.redactor.redact(s)), ["setup.jsonl"]);
    return endWithFailure(ctx, "failed_infra", { code: "infra_error", message: `baseline: ${collected.error.message} (fix: ${collected.error.fix})` });
  }
  const text = readFileSync(outFile, "utf8");
  const recorded = await ctx.append([
    {
      type: "baseline_recorded",
      actor: ctx.actor,
      data: { oracleHash: frozen.hash, commit: ctx.baseCommit, gates: collected.value.gates, evidence: { path: BASELINE_FILE, sha256: sha256Hex(text) } },
    },
  ]);
  if (!recorded.ok) throw new Error(`recording the baseline: ${recorded.error.message}`);
  finishPhase(ctx, "baseline", "passed", `${collected.value.gates.length} gates on ${ctx.baseCommit.slice(0, 12)}`);
  return null;
}
