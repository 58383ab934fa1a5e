// `omk goal status` is a short live summary, `omk goal show` the whole record; both JSON forms are the
// same object (the snapshot plus budgetReport, controller, dir, summary). The test process plays the
// controller through @omk/state (as goal-lifecycle.test.ts does), so each state is reached exactly.
import { acquireControllerLock, type Goal, type NewEvent, openStore, requestCancel, requestPause, TaskGraphSchema } from "@omk/state";
import { cleanupTempDirs, initGitRepo, makeTempDir, runOmk } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { StatusSummarySchema, statusSummary } from "../src/render/summary.js";
import { asPrinted, printedOmkPattern } from "./printed.js";

afterAll(cleanupTempDirs);

const BUDGET = { timeMs: 60_000, tokens: 1000, usd: 1 };
const SPEND = { tokens: 10, usd: 0.01, usdUnknown: false };
const LEASE = { worker: "w1", acquiredAt: "2026-03-01T10:00:00.000Z", expiresAt: "2099-03-01T10:01:00.000Z" };

async function newGoal(budgetTokens = "100000") {
  const stateDir = makeTempDir();
  const repo = makeTempDir("omk-repo-");
  await initGitRepo(repo);
  const omk = (...args: string[]) => runOmk(args, { stateDir, cwd: repo });
  const created = await omk("goal", "create", "Add a --json flag to the report command", "--budget-tokens", budgetTokens, "--json");
  expect(created.exitCode, created.stderr).toBe(0);
  return { stateDir, repo, omk, id: (created.json() as { id: string }).id };
}

/** Running, planned into four tasks: a done, b running, c failed for good, d waiting; the events a controller writes. */
async function runningWithTasks(stateDir: string, id: string): Promise<void> {
  const store = openStore({ root: stateDir });
  const task = (t: string, title: string) => ({
    id: t,
    title,
    description: "",
    role: "implementer",
    dependencies: [],
    reads: [],
    writes: [`${t}.ts`],
    acceptance: [],
    budget: BUDGET,
  });
  const graph = TaskGraphSchema.parse({
    schemaVersion: 1,
    tasks: [task("a", "Parse the flag"), task("b", "Print JSON"), task("c", "Document it"), task("d", "Test it")],
  });
  expect((await store.transition(id, "running", { actor: "controller" })).ok).toBe(true);
  for (const phase of ["intake", "planning", "oracle", "baseline", "execution"] as const) expect((await store.setPhase(id, phase)).ok, phase).toBe(true);
  expect((await store.setTaskGraph(id, graph)).ok).toBe(true);
  const actor = "scheduler";
  const events: NewEvent[] = [
    { type: "task_dispatched", actor, data: { taskId: "a", attempt: 1, worker: "w1", lease: LEASE, reservation: BUDGET } },
    { type: "task_succeeded", actor, data: { taskId: "a", attempt: 1, worker: "w1", durationMs: 12, usage: SPEND, evidence: [] } },
    { type: "task_dispatched", actor, data: { taskId: "c", attempt: 1, worker: "w1", lease: LEASE, reservation: BUDGET } },
    {
      type: "task_failed",
      actor,
      data: { taskId: "c", attempt: 1, worker: "w1", signature: "boom", message: "boom", retryable: false, decision: "give_up", usage: SPEND },
    },
    { type: "task_dispatched", actor, data: { taskId: "b", attempt: 1, worker: "w2", lease: { ...LEASE, worker: "w2" }, reservation: BUDGET } },
  ];
  for (const event of events) {
    const r = await store.append(id, () => [event]);
    expect(r.ok, event.type).toBe(true);
  }
}

/** How the built CLI names itself in printed lines (with the goal's OMK_STATE_DIR), as a RegExp source. */
const O = (stateDir: string) => printedOmkPattern({ stateDir });

describe("omk goal status vs omk goal show", () => {
  it("a new goal: status is a few lines ending in next: omk goal run <id>; show is the whole record; the JSON of both is one object with summary", async () => {
    const { omk, id, repo, stateDir } = await newGoal();
    const status = await omk("goal", "status");
    expect(status.exitCode, status.stderr).toBe(0);
    const lines = status.stdout.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(7);
    expect(lines[0]).toBe(`goal    ${id}  created · round 1`);
    expect(status.stdout).toMatch(/^tasks {3}none yet/m);
    expect(status.stdout).toMatch(/^budget {2}time 0ms of 2h · tokens 0 of 100,000 · usd \$0\.00 of \$10\.00$/m);
    expect(status.stdout).toMatch(/^now {5}not started$/m);
    expect(lines.at(-1)).toBe(asPrinted(`next:   omk goal run ${id}`, { stateDir }));

    const show = await omk("goal", "show");
    expect(show.exitCode).toBe(0);
    expect(show.stdout).not.toBe(status.stdout);
    for (const field of ["text", "status", "repo", "created", "updated", "agents", "runner", "budget", "round", "dir"])
      expect(show.stdout).toMatch(new RegExp(`^${field} +\\S`, "m"));
    expect(show.stdout).toContain(repo);

    const sj = (await omk("goal", "status", id, "--json")).json() as Record<string, unknown>;
    const shj = (await omk("goal", "show", id, "--format", "json")).json() as Record<string, unknown>;
    expect(Object.keys(sj).sort()).toEqual(Object.keys(shj).sort());
    for (const key of ["id", "status", "phase", "budgetReport", "controller", "dir", "summary"]) expect(sj, key).toHaveProperty(key);
    const summary = StatusSummarySchema.parse(sj["summary"]);
    expect(summary).toMatchObject({ round: 1, tasks: null, now: "not started", next: `omk goal run ${id}` });
  }, 60_000);

  it("a running goal: task counts, what runs now, the runner; with no live controller it says so and names resume; show lists every task", async () => {
    const { stateDir, omk, id } = await newGoal();
    await runningWithTasks(stateDir, id);

    const orphan = await omk("goal", "status", id);
    expect(orphan.exitCode, orphan.stderr).toBe(0);
    expect(orphan.stdout).toMatch(/^goal {4}\S+ {2}running · phase execution · round 1$/m);
    expect(orphan.stdout).toMatch(/^tasks {3}4: 1 running, 1 done, 1 failed, 1 waiting$/m);
    expect(orphan.stdout).toMatch(/^now {5}no controller is running it \(stopped or crashed\); last: task b started \(attempt 1\) \d/m);
    expect(orphan.stdout).toMatch(new RegExp(`^next: {3}${O(stateDir)} goal resume ${id}$`, "m"));
    expect(orphan.stdout).not.toMatch(/^runner/m);

    // The test process holds the controller lock: a live runner.
    const lock = await acquireControllerLock(openStore({ root: stateDir }), id);
    expect(lock.ok).toBe(true);
    try {
      const live = await omk("goal", "status", id);
      expect(live.stdout).toMatch(/^now {5}running b "Print JSON"; last: task b started/m);
      expect(live.stdout).toMatch(new RegExp(`^runner {2}pid ${process.pid} on \\S+, heartbeat \\S+ ago$`, "m"));
      expect(live.stdout).toMatch(
        new RegExp(`^next: {3}${O(stateDir)} goal status ${id} {2}# running: check again later, or stop it with ${O(stateDir)} goal pause ${id}$`, "m"),
      );
      const json = (await omk("goal", "status", id, "--json")).json() as { summary: unknown; controller: { pid: number } | null };
      expect(StatusSummarySchema.parse(json.summary).tasks).toEqual({ total: 4, running: 1, done: 1, failed: 1, waiting: 1, cancelled: 0 });
      expect(json.controller?.pid).toBe(process.pid);
    } finally {
      if (lock.ok) await lock.value.release();
    }

    const show = await omk("goal", "show", id);
    expect(show.stdout).toMatch(/^tasks {4}4$/m);
    expect(show.stdout).toMatch(/^ {2}a +done +\[implementer\] Parse the flag$/m);
    expect(show.stdout).toMatch(/^ {2}c +failed +\[implementer\] Document it$/m);
    const md = await omk("goal", "show", id, "--format", "md");
    expect(md.stdout).toContain("| b | running | implementer | Print JSON |");
  }, 60_000);

  it("paused, out of budget and cancelled: next names the command that continues (failure.json's advice), or says it is final", async () => {
    const paused = await newGoal();
    await requestPause(openStore({ root: paused.stateDir }), paused.id);
    expect((await paused.omk("goal", "status")).stdout).toMatch(new RegExp(`^next: {3}${O(paused.stateDir)} goal resume ${paused.id}$`, "m"));

    const spent = await newGoal("1000");
    const store = openStore({ root: spent.stateDir });
    expect((await store.transition(spent.id, "running", { actor: "controller" })).ok).toBe(true);
    await store.recordUsage(spent.id, { source: "engine", tokens: { input: 800, cacheRead: 150, cacheWrite: 0, output: 100 }, usd: 0.03 });
    const s = await spent.omk("goal", "status", spent.id);
    expect(s.stdout).toMatch(/^goal .* needs_more_budget/m);
    expect(s.stdout).toMatch(/tokens 1,050 of 1,000 EXHAUSTED/);
    expect(s.stdout).toMatch(
      new RegExp(`^next: {3}${O(spent.stateDir)} goal budget-add ${spent.id} --tokens \\d+ && ${O(spent.stateDir)} goal resume ${spent.id} {2}# `, "m"),
    );

    const cancelled = await newGoal();
    await requestCancel(openStore({ root: cancelled.stateDir }), cancelled.id, "user", "not needed");
    expect((await cancelled.omk("goal", "status")).stdout).toMatch(
      new RegExp(`^next: {3}cancelled is final; start again with: ${O(cancelled.stateDir)} goal create`, "m"),
    );
  }, 60_000);
});

describe("statusSummary (the decisions of a ready goal)", () => {
  const goal = {
    id: "01jzzzzzzzzzzzzzzzzzzzzzzz",
    status: "ready",
    phase: "proof",
    statusReason: null,
    repoRoot: "/r",
    headCommit: "a".repeat(40),
    taskGraph: null,
    round: 2,
  } as unknown as Goal;
  const now = new Date();
  it("ready and undecided: accept, after checking the proof", () => {
    expect(statusSummary(goal, undefined, [], now, undefined)).toMatchObject({
      round: 2,
      next: `omk goal accept ${goal.id}  # check it first: omk proof verify`,
    });
  });
  it("accepted: the merge of the integration branch, in the repository", () => {
    const accepted = { ...goal, decision: { decision: "accepted", headCommit: "a".repeat(40), seq: 9 } } as Goal;
    expect(statusSummary(accepted, undefined, [], now, undefined).next).toBe(`cd /r && git merge --ff-only omk/${goal.id}/integration`);
  });
  it("rejected: how to change the decision", () => {
    const rejected = { ...goal, decision: { decision: "rejected", reason: "wrong flag", headCommit: "a".repeat(40), seq: 9 } } as Goal;
    expect(statusSummary(rejected, undefined, [], now, undefined)).toMatchObject({
      now: "ready, but rejected: wrong flag",
      next: `omk goal accept ${goal.id} --change  # to accept it after all`,
    });
  });
});
