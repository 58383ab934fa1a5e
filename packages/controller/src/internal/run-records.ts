/**
 * What a run reads back from the goal's log and files, shared by the phases
 * and the helpers below them: the frozen oracle in force, the recorded
 * baseline, which round each task belongs to, the graph the scheduler runs,
 * and the shape of an oracle_evaluated event.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { type Evaluation, type EvidenceSet, EvidenceSetSchema, freeze, readOracleFile, writeOracleFile } from "@omk/oracle";
import { REVIEW_ROLES } from "@omk/proof";
import type { FrozenOracle, GoalEvent, NewEvent, TaskGraph } from "@omk/state";
import type { GoalRun } from "../context.js";

export const BASELINE_FILE = "baseline/evidence.json";

/** The frozen oracle in force: oracle.json, checked against its hash and the log. */
export async function frozenOracle(ctx: GoalRun): Promise<FrozenOracle> {
  const read = readOracleFile(ctx.goalDir);
  if (read.ok && read.value.hash === ctx.goal.oracle?.hash) return read.value;
  // oracle.json lost or stale (a crash between the event and the file): rebuild it from the event.
  const events = await ctx.store.readEvents(ctx.goalId);
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if ((e?.type === "oracle_frozen" || e?.type === "oracle_revised") && e.data.hash === ctx.goal.oracle?.hash) {
      const frozen = freeze(e.data.oracle);
      if (frozen.ok && frozen.value.hash === e.data.hash) {
        writeOracleFile(ctx.goalDir, frozen.value);
        return frozen.value;
      }
    }
  }
  throw new Error(`the frozen oracle ${ctx.goal.oracle?.hash ?? "(none)"} is neither in oracle.json nor in the log`);
}

/** The recorded base EvidenceSet for the oracle in force, or null. */
export async function recordedBaseline(ctx: GoalRun): Promise<EvidenceSet | null> {
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

/** The graph the scheduler runs: without reviewer tasks, and without dependencies on them. */
export function executableGraph(graph: TaskGraph): TaskGraph {
  const tasks = graph.tasks.filter((t) => !REVIEW_ROLES.has(t.role));
  const ids = new Set(tasks.map((t) => t.id));
  return { ...graph, tasks: tasks.map((t) => ({ ...t, dependencies: t.dependencies.filter((d) => ids.has(d)) })) };
}

/** Per task: the round it belongs to and the commit it starts from (the base in round 1, the head the previous round integrated after). */
export function roundsOfTasks(events: readonly GoalEvent[], baseCommit: string): { round: Map<string, number>; start: Map<number, string> } {
  const round = new Map<string, number>();
  const start = new Map<number, string>([[1, baseCommit]]);
  let head = baseCommit;
  for (const e of events) {
    if (e.type === "integration_recorded" && e.data.outcome === "integrated") head = e.data.head;
    if (e.type === "round_started") {
      start.set(e.data.round, head);
      for (const id of e.data.followUps) round.set(id, e.data.round);
    }
  }
  return { round, start };
}

/** Scope violations of this round's attempts block its review; earlier rounds' are reported as known gaps (proof.json). */
export function scopeViolationsByRound(
  events: readonly GoalEvent[],
  baseCommit: string,
): { round: number; taskId: string; path: string; kind: string; atWrite: boolean; message: string }[] {
  const rounds = roundsOfTasks(events, baseCommit).round;
  return events.flatMap((e) =>
    e.type === "scope_violation_recorded"
      ? [
          {
            round: rounds.get(e.data.taskId) ?? 1,
            taskId: e.data.taskId,
            path: e.data.path,
            kind: e.data.kind,
            atWrite: e.data.atWrite,
            message: e.data.message,
          },
        ]
      : [],
  );
}

export function oracleEvaluatedEvent(
  ctx: GoalRun,
  evaluation: Evaluation,
  evidence: { path: string; sha256: string }[],
): Extract<NewEvent, { type: "oracle_evaluated" }> {
  return {
    type: "oracle_evaluated" as const,
    actor: ctx.actor,
    data: {
      round: ctx.round,
      oracleHash: evaluation.oracleHash,
      headCommit: evaluation.headCommit,
      ready: evaluation.ready,
      counts: { ...evaluation.counts },
      criteria: evaluation.criteria.map((c) => ({ id: c.id, verdict: c.verdict, evidence: [...c.evidence], reason: c.reason })),
      evidence,
    },
  };
}
