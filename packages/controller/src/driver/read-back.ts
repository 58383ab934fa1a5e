/** What a run resumed past verification reads back from the log and the evidence files instead of verifying again. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { type EvidenceSet, EvidenceSetSchema } from "@omk/oracle";
import type { GateEvidence } from "@omk/state";
import type { GoalRun, Verified } from "../context.js";
import { evaluateRound } from "@omk/proof";
import { frozenOracle, recordedBaseline } from "../internal/run-records.js";
import { readVerdict } from "../internal/run-verdict.js";

function readSet(file: string): EvidenceSet | null {
  try {
    return EvidenceSetSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return null;
  }
}

/** The current round's verification, from rounds/r<n>.json, the log and evidence/; null when it is not all there. */
export async function readBackVerified(ctx: GoalRun): Promise<Verified | null> {
  const verdict = readVerdict(ctx.goalDir, ctx.round);
  if (verdict === null) return null;
  const head = verdict.headCommit;
  const events = await ctx.store.readEvents(ctx.goalId);
  const recorded = events.findLast((e) => e.type === "verification_recorded" && e.data.commit === head);
  const gates: GateEvidence[] = recorded?.type === "verification_recorded" ? recorded.data.gates : [];
  const headFile = path.join(ctx.goalDir, `evidence/r${ctx.round}-head.json`);
  const headSet = readSet(headFile);
  const baseSet = readSet(path.join(ctx.goalDir, `evidence/r${ctx.round}-base.json`)) ?? (await recordedBaseline(ctx));
  let evaluation = null;
  if (headSet !== null && headSet.commit === head) {
    const evaluated = evaluateRound(await frozenOracle(ctx), baseSet, headSet, { baseCommit: ctx.baseCommit, headCommit: head });
    if (evaluated.ok) evaluation = evaluated.value;
  }
  return {
    verdict,
    headCommit: head,
    gates,
    evaluation,
    headSet: headSet?.commit === head ? headSet : null,
    baseSet,
    headFile: headSet === null ? null : headFile,
  };
}
