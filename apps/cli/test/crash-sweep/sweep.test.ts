// The crash sweep (issue 14, a standing test of .ci/run): `omk goal run` of a demo-sized goal (the
// e2e feature goal, scripted engine) is SIGKILLed right after event N is appended (the store's
// OMK_CRASH_AT hook kills the whole process group before goal.json or any other file is written),
// then `omk goal resume` must reach what an uninterrupted run reaches: the same status and exit code,
// the same proven tree, `replay --verify` passing, proof.json present and `omk proof verify` confirming
// it, and no lock, pending or temporary file nor extra worktree left behind. Two kills of the same
// task's attempts still end the same way (external kills are not the agent's failures).
//
// Boundaries are sampled per run so the suite takes a few minutes: a seed picks one residue class of
// the boundaries (every `stride`-th one, offset by the seed), plus always the last events (the
// terminal transition: status_changed ready, outcome_recorded, lock_released). Consecutive seeds cover
// every boundary. The seed is printed; OMK_CRASH_SEED=<seed> replays a run, OMK_CRASH_ALL=1 sweeps
// every boundary, OMK_CRASH_SAMPLES=<n> changes how many boundaries a run takes (default 6 + 3).
import { readdirSync } from "node:fs";
import type { GoalEvent } from "@omk/state";
import { cleanupTempDirs, gitIn } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FEATURE_GOAL, featureBook } from "../e2e/books.js";
import {
  cleanupE2e,
  eventsOf,
  goalDirOf,
  newWorld,
  omkBin,
  onlyGoalId,
  outcomePathOf,
  readEvents,
  readProof,
  scripted,
  statusOf,
  type World,
} from "../e2e/helpers.js";

afterAll(() => {
  cleanupE2e();
  cleanupTempDirs();
});

type Run = { exitCode: number; signal: string | undefined; stdout: string; stderr: string };

/** `omk <args>` in the world's repository, as the leader of its own process group (so the crash hook's group kill takes every child). */
async function omk(w: World, args: string[], crashAt?: string): Promise<Run> {
  const r = await execa(process.execPath, [await omkBin(), ...args], {
    reject: false,
    detached: true,
    cwd: w.repo,
    stdin: "ignore",
    env: { NO_COLOR: "1", CI: "true", OMK_STATE_DIR: w.stateDir, ...(crashAt === undefined ? {} : { OMK_CRASH_AT: crashAt }) },
  });
  return { exitCode: r.exitCode ?? -1, signal: r.signal ?? undefined, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const show = (r: Run) =>
  `exit ${r.exitCode}${r.signal === undefined ? "" : ` (${r.signal})`}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;

/** Files a finished goal must not keep: lease files, a pending outcome, temporaries, torn-tail side files aside. */
function leftovers(w: World, goalId: string): string[] {
  return readdirSync(goalDirOf(w.stateDir, goalId)).filter((n) => /lock|pending|\.tmp$/u.test(n));
}

async function worktrees(w: World): Promise<number> {
  return ((await gitIn(w.repo, "worktree", "list", "--porcelain")).match(/^worktree /gmu) ?? []).length;
}

type Reference = { status: string; exitCode: number; tree: string | undefined; events: GoalEvent[]; worktrees: number };

const SEED =
  process.env["OMK_CRASH_SEED"] !== undefined && process.env["OMK_CRASH_SEED"] !== ""
    ? Number(process.env["OMK_CRASH_SEED"])
    : Math.floor(Math.random() * 1_000_000);
const SAMPLES = Number(process.env["OMK_CRASH_SAMPLES"] ?? 6);
const ALL = process.env["OMK_CRASH_ALL"] === "1";
/** The terminal transition's events, always swept: the crash windows of issue 14. */
const TAIL = 3;

/** The boundaries this run kills at: a seeded residue class of 1..n, plus the last TAIL events. */
function sampleBoundaries(n: number, seed: number, samples: number, all: boolean): number[] {
  if (all) return Array.from({ length: n }, (_, i) => i + 1);
  const stride = Math.max(1, Math.ceil((n - TAIL) / Math.max(1, samples)));
  const offset = seed % stride;
  const picked = new Set<number>();
  for (let b = 1 + offset; b <= n - TAIL; b += stride) picked.add(b);
  for (let b = Math.max(1, n - TAIL + 1); b <= n; b++) picked.add(b);
  return [...picked].sort((a, b) => a - b);
}

describe("crash sweep: SIGKILL at event boundaries of a demo-sized goal, then resume", () => {
  let reference: Reference;
  let bookFile: (w: World) => string;

  beforeAll(async () => {
    bookFile = (w) => w.book("feature", featureBook());
    const w = await newWorld();
    const run = await omk(w, ["goal", "run", FEATURE_GOAL, ...scripted(bookFile(w))]);
    const status = statusOf(run.stdout);
    expect(status, show(run)).toBe("ready");
    const goalId = onlyGoalId(w.stateDir) as string;
    const tree = (await gitIn(w.repo, "rev-parse", `${readProof(outcomePathOf(run.stdout, "proof")).headCommit}^{tree}`)).trim();
    reference = { status: status as string, exitCode: run.exitCode, tree, events: readEvents(w.stateDir, goalId), worktrees: await worktrees(w) };
    const boundaries = sampleBoundaries(reference.events.length, SEED, SAMPLES, ALL);
    process.stdout.write(
      `crash sweep: seed ${SEED} (replay with OMK_CRASH_SEED=${SEED}; every boundary: OMK_CRASH_ALL=1); ${reference.events.length} events; killing after ${boundaries.map((b) => `${b}:${reference.events[b - 1]?.type}`).join(", ")}\n`,
    );
  }, 300_000);

  /** Resume to the end and check everything the sweep promises. */
  async function resumeAndCheck(w: World, goalId: string, what: string): Promise<void> {
    const resumed = await omk(w, ["goal", "resume", goalId, ...scripted(bookFile(w))]);
    expect(statusOf(resumed.stdout), `${what}: resume\n${show(resumed)}`).toBe(reference.status);
    expect(resumed.exitCode, `${what}: resume\n${show(resumed)}`).toBe(reference.exitCode);
    const status = await omk(w, ["goal", "status", goalId, "--json"]);
    expect(status.exitCode, show(status)).toBe(0);
    const shown = JSON.parse(status.stdout) as { status: string; controller: unknown; outcome: { file: string } | null };
    expect(shown.status, what).toBe(reference.status);
    expect(shown.controller, `${what}: no runner after the run`).toBeNull();
    const replay = await omk(w, ["goal", "replay", goalId, "--verify"]);
    expect(replay.exitCode, `${what}: replay --verify\n${show(replay)}`).toBe(0);
    expect(leftovers(w, goalId), `${what}: files left in the goal dir`).toEqual([]);
    expect(await worktrees(w), `${what}: worktrees of the user's repository`).toBe(reference.worktrees);
    if (reference.status === "ready") {
      expect(shown.outcome?.file, what).toBe("proof.json");
      const proofFile = outcomePathOf(resumed.stdout, "proof");
      const proof = readProof(proofFile);
      expect((await gitIn(w.repo, "rev-parse", `${proof.headCommit}^{tree}`)).trim(), `${what}: the proven tree`).toBe(reference.tree);
      const verified = await omk(w, ["proof", "verify", proofFile]);
      expect(verified.exitCode, `${what}: proof verify\n${show(verified)}`).toBe(0);
    }
    // Lost attempts were run again, never stagnated.
    const events = readEvents(w.stateDir, goalId);
    expect(
      eventsOf(events, "task_recovered")
        .map((e) => e.data.decision)
        .filter((d) => d !== "retry"),
      what,
    ).toEqual([]);
  }

  // The sampled boundaries are known once the reference ran; vitest needs the tests before that, so
  // each of a fixed number of slots takes the i-th sampled boundary (a slot with none passes empty).
  const SLOTS = ALL ? 120 : SAMPLES + TAIL + 1;
  for (let slot = 0; slot < SLOTS; slot++) {
    it.concurrent(`kill at sampled boundary #${slot + 1}, then resume`, { timeout: 600_000 }, async () => {
      const boundaries = sampleBoundaries(reference.events.length, SEED, SAMPLES, ALL);
      const boundary = boundaries[slot];
      if (boundary === undefined) return;
      const what = `killed after event ${boundary} (${reference.events[boundary - 1]?.type}), seed ${SEED}`;
      const w = await newWorld();
      const killed = await omk(w, ["goal", "run", FEATURE_GOAL, ...scripted(bookFile(w))], String(boundary));
      expect(killed.signal, `${what}: the run should die of SIGKILL\n${show(killed)}`).toBe("SIGKILL");
      const goalId = onlyGoalId(w.stateDir) as string;
      // Events appended as one batch (plan_recorded + task_graph_set, task_succeeded + task_dispatched...) are
      // one boundary: the kill lands after the batch that holds event `boundary`, never before it.
      const atKill = readEvents(w.stateDir, goalId);
      expect(atKill.length, what).toBeGreaterThanOrEqual(boundary);
      // Before any resume, `status` shows no dead runner, and completes a goal the log already calls ready.
      const status = await omk(w, ["goal", "status", goalId, "--json"]);
      expect(status.exitCode, `${what}: status\n${show(status)}`).toBe(0);
      const shown = JSON.parse(status.stdout) as { status: string; controller: unknown; outcome: { file: string } | null };
      expect(shown.controller, `${what}: the dead controller is not the runner`).toBeNull();
      const readyAt = reference.events.findIndex((e) => e.type === "status_changed" && e.data.to === "ready") + 1;
      if (boundary >= readyAt) {
        expect(shown.status, what).toBe("ready");
        expect(shown.outcome?.file, `${what}: status writes the proof a crash left unwritten`).toBe("proof.json");
      }
      await resumeAndCheck(w, goalId, what);
    });
  }

  it.concurrent("two kills during the same task's attempts still reach the same status", { timeout: 600_000 }, async () => {
    const w = await newWorld();
    const first = await omk(w, ["goal", "run", FEATURE_GOAL, ...scripted(bookFile(w))], "task_dispatched");
    expect(first.signal, show(first)).toBe("SIGKILL");
    const goalId = onlyGoalId(w.stateDir) as string;
    const lostTask = eventsOf(readEvents(w.stateDir, goalId), "task_dispatched").at(-1)?.data.taskId;
    const second = await omk(w, ["goal", "resume", goalId, ...scripted(bookFile(w))], "task_dispatched");
    expect(second.signal, show(second)).toBe("SIGKILL");
    const dispatched = eventsOf(readEvents(w.stateDir, goalId), "task_dispatched");
    expect(dispatched.map((e) => [e.data.taskId, e.data.attempt])).toEqual([
      [lostTask, 1],
      [lostTask, 2],
    ]);
    await resumeAndCheck(w, goalId, "two kills during one task");
    expect(eventsOf(readEvents(w.stateDir, goalId), "task_recovered").map((e) => [e.data.taskId, e.data.decision])).toEqual([
      [lostTask, "retry"],
      [lostTask, "retry"],
    ]);
  });
});
