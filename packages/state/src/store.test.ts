import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptStateError, GoalNotFoundError, InvalidIdError, UnsupportedSchemaVersionError } from "./errors.js";
import { requestCancel, requestPause, requestResume } from "./lifecycle.js";
import { FailureSchema } from "./schemas/outcome.js";
import { type GoalStore, openStore } from "./store.js";
import type { CreateGoalInput } from "./store-types.js";

afterAll(cleanupTempDirs);

const LIMITS = { timeMs: 3_600_000, tokens: 10_000, usd: 5 };

function input(over: Partial<CreateGoalInput> = {}): CreateGoalInput {
  return { text: "  Add a   --json flag\tto report ", repoRoot: "/tmp/repo", limits: LIMITS, maxAgents: 2, ...over };
}

async function newGoal(store: GoalStore, over: Partial<CreateGoalInput> = {}) {
  const r = await store.createGoal(input(over));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** A clock the test moves by hand. */
function manualClock(start = Date.parse("2026-03-01T10:00:00.000Z")) {
  let t = start;
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("goal store", () => {
  it("creates a goal with an event log and a snapshot that agree", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    expect(goal.status).toBe("created");
    expect(goal.normalizedText).toBe("Add a --json flag to report");
    const p = store.paths(goal.id);
    const lines = readFileSync(p.events, "utf8").trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ v: 1, seq: 1, type: "goal_created" });
    expect(JSON.parse(readFileSync(p.snapshot, "utf8"))).toEqual(goal);
    const replay = await store.replay(goal.id);
    expect(replay.differences).toEqual([]);
  });

  it("refuses empty goal text with a fix", async () => {
    const store = openStore({ root: makeTempDir() });
    const r = await store.createGoal(input({ text: " \n\t " }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.fix).toMatch(/omk goal create/);
    expect(await store.listGoalIds()).toEqual([]);
  });

  it("lists goals in creation order and finds the latest", async () => {
    const store = openStore({ root: makeTempDir() });
    const a = await newGoal(store);
    const b = await newGoal(store);
    const c = await newGoal(store);
    expect(await store.listGoalIds()).toEqual([a.id, b.id, c.id]);
    expect(await store.latestGoalId()).toBe(c.id);
  });

  it("numbers events monotonically and refuses illegal transitions without writing", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    expect((await requestPause(store, goal.id)).ok).toBe(true);
    const before = readFileSync(store.paths(goal.id).events, "utf8");
    const again = await requestPause(store, goal.id);
    expect(again.ok).toBe(false);
    if (!again.ok) {
      expect(again.error.code).toBe("illegal_transition");
      expect(again.error.message).toBe("goal is already paused");
    }
    expect(readFileSync(store.paths(goal.id).events, "utf8")).toBe(before);
    expect((await requestResume(store, goal.id)).ok).toBe(true);
    const events = await store.readEvents(goal.id);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it("cancel is final and writes failure.json with a typed cause", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    const r = await requestCancel(store, goal.id, "user", "wrong goal");
    expect(r.ok && r.value.status).toBe("cancelled");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goal.id).failure, "utf8")));
    expect(failure.cause.code).toBe("cancelled_by_user");
    expect(failure.resume.command).toBeNull();
    expect(failure.evidence).toContain("events.jsonl");
    const after = await store.readGoal(goal.id);
    expect(after.outcome?.file).toBe("failure.json");
    expect((await requestResume(store, goal.id)).ok).toBe(false);
  });

  it("a terminal status needs a cause, ready needs a proof", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    await requestResume(store, goal.id);
    const r1 = await store.transition(goal.id, "not_ready");
    expect(r1.ok).toBe(false);
    const r2 = await store.transition(goal.id, "ready");
    expect(r2.ok).toBe(false);
    expect((await store.readGoal(goal.id)).status).toBe("running");
  });

  it("records usage and moves an exhausted running goal to needs_more_budget", async () => {
    const clock = manualClock();
    const store = openStore({ root: makeTempDir(), now: clock.now });
    const goal = await newGoal(store, { limits: { timeMs: 3_600_000, tokens: 1000, usd: 5 } });
    await requestResume(store, goal.id, { now: clock.now });
    const tokens = { input: 300, cacheRead: 100, cacheWrite: 0, output: 200 };
    const r1 = await store.recordUsage(goal.id, { source: "test", tokens, usd: 0.5 });
    expect(r1.ok && r1.value.status).toBe("running");
    const r2 = await store.recordUsage(goal.id, { source: "test", tokens });
    expect(r2.ok && r2.value.status).toBe("needs_more_budget");
    const g = await store.readGoal(goal.id);
    expect(g.usage.tokens).toEqual({ input: 600, cacheRead: 200, cacheWrite: 0, output: 400 });
    expect(g.usage.usd).toBe(0.5);
    expect(g.usage.usdUnknownRecords).toBe(1);
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goal.id).failure, "utf8")));
    expect(failure.cause.code).toBe("budget_exhausted");
    expect(failure.resume.command).toBe(`omk goal budget-add ${goal.id} --tokens 1000 && omk goal resume ${goal.id}`);

    // Resuming without more budget is refused; a too-small extension is refused too.
    const refused = await requestResume(store, goal.id, { now: clock.now });
    expect(refused.ok).toBe(false);
    await store.extendBudget(goal.id, { tokens: 100 });
    const still = await requestResume(store, goal.id, { now: clock.now });
    expect(!still.ok && still.error.code).toBe("budget_exhausted");
    await store.extendBudget(goal.id, { tokens: 5000 });
    const resumed = await requestResume(store, goal.id, { now: clock.now });
    expect(resumed.ok && resumed.value.status).toBe("running");
    expect((await store.readGoal(goal.id)).budget.limits.tokens).toBe(6100);
  });

  it("counts running time against the time budget", async () => {
    const clock = manualClock();
    const store = openStore({ root: makeTempDir(), now: clock.now });
    const goal = await newGoal(store, { limits: { timeMs: 60_000, tokens: null, usd: null } });
    await requestResume(store, goal.id, { now: clock.now });
    clock.advance(61_000);
    const r = await requestPause(store, goal.id);
    expect(r.ok && r.value.usage.timeMs).toBe(61_000);
    const resumed = await requestResume(store, goal.id, { now: clock.now });
    expect(resumed.ok).toBe(false);
    expect((await store.readGoal(goal.id)).status).toBe("needs_more_budget");
  });

  it("repairs a torn last line, keeps the dropped bytes, and records it", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    const p = store.paths(goal.id);
    appendFileSync(p.events, '{"v":1,"seq":2,"ts":"2026-');
    // Readers ignore the torn tail and change nothing.
    expect((await store.readGoal(goal.id)).lastSeq).toBe(1);
    expect(readFileSync(p.events, "utf8")).toMatch(/2026-$/);
    // The next writer repairs it.
    const r = await requestPause(store, goal.id);
    expect(r.ok).toBe(true);
    const events = await store.readEvents(goal.id);
    expect(events.map((e) => e.type)).toEqual(["goal_created", "log_repaired", "status_changed"]);
    const repaired = events[1];
    if (repaired?.type !== "log_repaired") throw new Error("expected log_repaired");
    expect(readFileSync(path.join(p.dir, repaired.data.savedTo), "utf8")).toBe('{"v":1,"seq":2,"ts":"2026-');
    expect((await store.replay(goal.id)).differences).toEqual([]);
  });

  it("rebuilds a missing, stale or damaged snapshot from the log", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    await requestPause(store, goal.id);
    const p = store.paths(goal.id);
    const good = readFileSync(p.snapshot, "utf8");
    for (const damage of ["", "{not json", JSON.stringify({ ...JSON.parse(good), status: "ready", logBytes: 3 })]) {
      writeFileSync(p.snapshot, damage);
      expect((await store.readGoal(goal.id)).status).toBe("paused");
      expect((await store.replay(goal.id)).differences.length).toBeGreaterThan(0);
      await store.rebuildSnapshot(goal.id);
      expect((await store.replay(goal.id)).differences).toEqual([]);
    }
  });

  it("names the line of a corrupt event in the middle of the log", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    await requestPause(store, goal.id);
    await requestResume(store, goal.id);
    const p = store.paths(goal.id);
    const lines = readFileSync(p.events, "utf8").split("\n");
    lines[1] = '{"v":1,"seq":2,"type":"status_changed"}';
    writeFileSync(p.events, lines.join("\n"));
    writeFileSync(p.snapshot, "");
    const error = await store.readGoal(goal.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptStateError);
    expect((error as CorruptStateError).message).toMatch(/line 2 is not a valid event/);
    expect((error as CorruptStateError).fix).toMatch(/replay --verify/);
  });

  it("refuses a log written by a newer omk", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    const p = store.paths(goal.id);
    appendFileSync(p.events, `${JSON.stringify({ v: 99, seq: 2, ts: new Date().toISOString(), actor: "x", type: "future", data: {} })}\n`);
    const error = await store.readGoal(goal.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedSchemaVersionError);
  });

  it("validates ids before touching the filesystem", async () => {
    const root = makeTempDir();
    const store = openStore({ root });
    for (const bad of ["../x", "a/b", "..", "", "a\u0000b", "a\\b", ".hidden", "x".repeat(200)]) {
      await expect(store.readGoal(bad)).rejects.toBeInstanceOf(InvalidIdError);
    }
    await expect(store.readGoal("01unknown")).rejects.toBeInstanceOf(GoalNotFoundError);
    expect(existsSync(path.join(root, "goals"))).toBe(false);
  });

  it("amending a blocked goal unlocks resume", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    await requestResume(store, goal.id);
    await store.transition(goal.id, "blocked_on_human", { cause: { code: "needs_answer", message: "which report?" } });
    expect((await requestResume(store, goal.id)).ok).toBe(false);
    await store.amend(goal.id, { answer: "the weekly one" });
    const r = await requestResume(store, goal.id);
    expect(r.ok && r.value.status).toBe("running");
    expect(r.ok && r.value.amendments).toHaveLength(1);
  });

  it("refuses an invalid event as a value and writes nothing, so the goal stays readable", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    const before = readFileSync(store.paths(goal.id).events, "utf8");
    const r = await store.recordUsage(goal.id, { source: "t", taskId: "../evil", tokens: { input: -5, cacheRead: 0, cacheWrite: 0, output: 1.5 } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/usage_recorded event is invalid/);
    expect(readFileSync(store.paths(goal.id).events, "utf8")).toBe(before);
    expect((await store.readGoal(goal.id)).lastSeq).toBe(1);
  });

  it("refuses usage whose total is beyond a safe integer as a value, and writes nothing", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    const huge = { input: Number.MAX_SAFE_INTEGER, cacheRead: 0, cacheWrite: 0, output: 0 };
    expect((await store.recordUsage(goal.id, { source: "t", tokens: huge })).ok).toBe(true);
    const before = readFileSync(store.paths(goal.id).events, "utf8");
    const r = await store.recordUsage(goal.id, { source: "t", tokens: huge });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("usage_overflow");
    expect(readFileSync(store.paths(goal.id).events, "utf8")).toBe(before);
    expect((await store.readGoal(goal.id)).usage.tokens.input).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("returns the task graph as it reads back (normalized paths, defaults applied)", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    const task = {
      id: "t1",
      title: "write",
      description: "",
      role: "implementer",
      dependencies: [],
      reads: ["./src//a.ts"],
      writes: ["src/"],
      acceptance: ["c1"],
      budget: { timeMs: 1000, tokens: 10, usd: 1 },
    };
    const r = await store.setTaskGraph(goal.id, { schemaVersion: 1, tasks: [task] } as never);
    expect(r.ok).toBe(true);
    const read = await store.readGoal(goal.id);
    expect(r.ok && r.value.taskGraph).toEqual(read.taskGraph);
    expect(read.taskGraph?.tasks[0]?.reads).toEqual(["src/a.ts"]);
  });

  it("sees another writer's events even when it wrote the goal last (no stale cache)", async () => {
    const root = makeTempDir();
    const a = openStore({ root });
    const b = openStore({ root });
    const goal = await newGoal(a);
    const tokens = { input: 1, cacheRead: 0, cacheWrite: 0, output: 0 };
    await a.recordUsage(goal.id, { source: "a", tokens });
    await b.recordUsage(goal.id, { source: "b", tokens });
    await a.recordUsage(goal.id, { source: "a", tokens });
    await requestPause(b, goal.id);
    const r = await a.recordUsage(goal.id, { source: "a", tokens });
    expect(r.ok && r.value.status).toBe("paused");
    expect(r.ok && r.value.usage.tokens.input).toBe(4);
    const replay = await a.replay(goal.id);
    expect(replay.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(replay.differences).toEqual([]);
  });

  it("leaves no temp files behind", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    await requestPause(store, goal.id);
    const names = readdirSync(store.paths(goal.id).dir);
    expect(names.filter((n) => n.startsWith("."))).toEqual([]);
    expect(names).not.toContain("events.jsonl.lock");
  });

  it("removes at once the temp files a killed writer left (its pid dead), and keeps a live writer's young one", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await newGoal(store);
    const dir = store.paths(goal.id).dir;
    // A kill -9 between writing a lock's temp file and linking it (found by the crash sweep): the pid in its name is dead.
    const exited = spawnSync(process.execPath, ["-e", "0"]);
    const deadPid = exited.pid as number;
    const dead = [`.events.jsonl.lock.${deadPid}.57b75024.new`, `.goal.json.${deadPid}.0badc0de.tmp`];
    const live = `.goal.json.${process.ppid}.1234abcd.tmp`;
    for (const name of [...dead, live]) writeFileSync(path.join(dir, name), "{}");
    await store.openGoal(goal.id);
    const names = readdirSync(dir);
    for (const name of dead) expect(names).not.toContain(name);
    expect(names).toContain(live);
  });
});
