// accept / reject: decision_recorded on the goal's log; accept only when ready; the base branch is never written.
import { existsSync } from "node:fs";
import path from "node:path";
import { acquireControllerLock, openStore, type Proof } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { acceptGoal, rejectGoal, runGoal } from "../src/index.js";
import { bookProvider, collect, GOAL_TEXT, makeGoal, makeRepo, readyBook } from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

const HEAD = "c".repeat(40);

async function goalWithHead(ready: boolean) {
  const store = openStore({ root: makeTempDir() });
  const created = await store.createGoal({ text: "Add slugify", repoRoot: makeTempDir(), limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
  if (!created.ok) throw new Error(created.error.message);
  const id = created.value.id;
  await store.transition(id, "running", { actor: "controller" });
  await store.append(id, () => [
    { type: "integration_recorded", actor: "controller", data: { outcome: "integrated", round: 1, branch: `omk/${id}/integration`, head: HEAD, merged: [] } },
  ]);
  if (ready) {
    const zero = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
    const proof: Proof = {
      schemaVersion: 1,
      kind: "omk.proof",
      goalId: id,
      status: "ready",
      oracleHash: "a".repeat(64),
      baseCommit: "b".repeat(40),
      headCommit: HEAD,
      tasks: [],
      gates: [],
      criteria: [],
      reviews: [],
      knownGaps: [],
      spend: { timeMs: 0, tokens: zero, usd: 0, usdUnknownRecords: 0, records: 0 },
      recheck: [],
      lastSeq: 1,
      createdAt: new Date().toISOString(),
    };
    const r = await store.transition(id, "ready", { actor: "controller", proof });
    if (!r.ok) throw new Error(r.error.message);
  } else {
    await store.transition(id, "not_ready", { actor: "controller", cause: { code: "gates_failed", message: "gate test failed" } });
  }
  return { store, id };
}

describe("acceptGoal and rejectGoal", () => {
  it("accepts a ready goal, naming the integration branch and the merge to run", async () => {
    const { store, id } = await goalWithHead(true);
    const accepted = await acceptGoal({ store, goalId: id });
    expect(accepted.ok && accepted.value).toEqual({
      goalId: id,
      decision: "accepted",
      headCommit: HEAD,
      branch: `omk/${id}/integration`,
      mergeCommand: `git merge --ff-only omk/${id}/integration`,
      unchanged: false,
      changedFrom: null,
      reason: null,
    });
    expect((await store.readGoal(id)).decision).toMatchObject({ decision: "accepted", headCommit: HEAD });
  });

  it("refuses to accept a goal that is not ready, and rejects it with a reason", async () => {
    const { store, id } = await goalWithHead(false);
    const accepted = await acceptGoal({ store, goalId: id });
    expect(!accepted.ok && accepted.error.code).toBe("not_ready");
    const noReason = await rejectGoal({ store, goalId: id, reason: " " });
    expect(!noReason.ok && noReason.error.code).toBe("invalid_input");
    const rejected = await rejectGoal({ store, goalId: id, reason: "not what we want" });
    expect(rejected.ok && rejected.value.mergeCommand).toBeNull();
    expect((await store.readGoal(id)).decision).toMatchObject({ decision: "rejected", reason: "not what we want" });
  });

  it("never accepts a ready goal whose proof.json was never written: it runs again, and nothing is decided", async () => {
    // The crash window of issue 14 as older versions left it: the log says ready, no proof record anywhere.
    const store = openStore({ root: makeTempDir() });
    const created = await store.createGoal({ text: "Add slugify", repoRoot: makeTempDir(), limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    await store.transition(id, "running", { actor: "controller" });
    await store.append(id, () => [
      { type: "integration_recorded", actor: "controller", data: { outcome: "integrated", round: 1, branch: `omk/${id}/integration`, head: HEAD, merged: [] } },
    ]);
    await store.append(id, () => [{ type: "status_changed", actor: "controller", data: { from: "running", to: "ready" } }]);
    expect((await store.readGoal(id)).status).toBe("ready");
    const accepted = await acceptGoal({ store, goalId: id });
    expect(!accepted.ok && accepted.error.code).toBe("still_running");
    const goal = await store.readGoal(id);
    expect(goal.status).toBe("running");
    expect(goal.decision).toBeUndefined();
    expect(existsSync(store.paths(id).proof)).toBe(false);
  });

  it("a repeated decision records nothing; changing it needs `change`", async () => {
    const { store, id } = await goalWithHead(true);
    const first = await acceptGoal({ store, goalId: id });
    expect(first.ok && first.value.unchanged).toBe(false);
    const seq = (await store.readGoal(id)).lastSeq;
    const again = await acceptGoal({ store, goalId: id });
    expect(again.ok && again.value).toMatchObject({ decision: "accepted", unchanged: true, headCommit: HEAD });
    expect((await store.readGoal(id)).lastSeq).toBe(seq);

    const flip = await rejectGoal({ store, goalId: id, reason: "wrong names" });
    expect(!flip.ok && flip.error).toMatchObject({
      code: "decision_exists",
      message: `goal ${id} is already accepted`,
      fix: 'pass --change to record "rejected" instead',
    });
    expect((await store.readGoal(id)).lastSeq).toBe(seq);
    const changed = await rejectGoal({ store, goalId: id, reason: "wrong names", change: true });
    expect(changed.ok && changed.value).toMatchObject({ decision: "rejected", unchanged: false, changedFrom: "accepted", reason: "wrong names" });
    expect((await store.readGoal(id)).decision).toMatchObject({ decision: "rejected", reason: "wrong names" });
    const back = await acceptGoal({ store, goalId: id });
    expect(!back.ok && back.error.message).toBe(`goal ${id} is already rejected (wrong names)`);
  });

  it("a running goal is still running: the refusal names the controller's pid and does not suggest resuming", async () => {
    const store = openStore({ root: makeTempDir() });
    const created = await store.createGoal({ text: "Add slugify", repoRoot: makeTempDir(), limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    await store.transition(id, "running", { actor: "controller" });
    const lock = await acquireControllerLock(store, id, { heartbeatMs: 0 });
    if (!lock.ok) throw new Error(lock.error.message);
    try {
      const accepted = await acceptGoal({ store, goalId: id });
      expect(!accepted.ok && accepted.error.code).toBe("still_running");
      expect(!accepted.ok && accepted.error.message).toBe(
        `goal ${id} is still running (controller pid ${process.pid} on ${lock.value.owner.host}); only a ready goal is accepted`,
      );
      expect(!accepted.ok && accepted.error.fix).not.toMatch(/resume/);
    } finally {
      await lock.value.release();
    }
    await store.transition(id, "cancelled", { actor: "user", cause: { code: "cancelled_by_user", message: "cancelled by the user" } });
    const cancelled = await acceptGoal({ store, goalId: id });
    expect(!cancelled.ok && cancelled.error.message).toBe(`goal ${id} is cancelled; only a ready goal is accepted`);
    expect(!cancelled.ok && cancelled.error.fix).toMatch(/^cancelled is final/);
    expect(!cancelled.ok && cancelled.error.fix).not.toMatch(/resume/);
  });
});

describe("runGoal --dry-run (driver/dry-run.ts)", () => {
  it("plans with the engine's plan session when the engine offers one, records nothing and writes nothing", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const headBefore = (await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: repo })).stdout;
    const { events, onEvent } = collect();
    const dry = await runGoal({ store, goalId, engine: bookProvider(readyBook()), dryRun: true, onEvent });
    expect(dry.ok && dry.value.status).toBe("created");
    expect(dry.ok && dry.value.reason).toMatch(/^dry run: 2 tasks, \d+ criteria \(feature, planned by the scripted engine\); nothing was run or written$/);
    const notes = events.flatMap((e) => (e.type === "note" ? [e.message] : []));
    // The engine's plan (the book's tasks slugify and review), not the deterministic planner's.
    expect(notes).toContainEqual(
      expect.stringMatching(/^task slugify \(implementer\): Add slugify\(text\); writes src\/slugify\.js, test\/slugify\.test\.js$/),
    );
    expect(notes).toContainEqual(expect.stringMatching(/plan session, as the run would: the engine reads the repository and writes nothing to it$/));
    expect(notes).toContainEqual(expect.stringMatching(/^the plan session used \d+ tokens .*not recorded against the goal's budget$/));
    expect((await store.readGoal(goalId)).lastSeq).toBe(1);
    expect(existsSync(path.join(store.paths(goalId).dir, "plan"))).toBe(false);
    expect((await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: repo })).stdout).toBe(headBefore);
  }, 60_000);

  it("without a plan session the deterministic planner plans; an ambiguous goal would block on a person", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const dry = await runGoal({ store, goalId, engine: bookProvider({ "task:*": readyBook()["task:slugify"] }), dryRun: true });
    expect(dry.ok && dry.value.reason).toMatch(/planned by the deterministic planner\); nothing was run or written$/);
    const vague = await makeGoal(repo, "make it better");
    const blocked = await runGoal({ store: vague.store, goalId: vague.goalId, engine: bookProvider(readyBook()), dryRun: true });
    expect(blocked.ok && blocked.value.status).toBe("blocked_on_human");
    expect(blocked.ok && blocked.value.reason).toMatch(/^dry run: the goal would block on a person/);
    expect((await vague.store.readGoal(vague.goalId)).status).toBe("created");
  }, 60_000);
});
