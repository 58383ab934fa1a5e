// Reducer cases of the controller's events (issue 8), through the real store.
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import type { Proof } from "./schemas/outcome.js";
import { type GoalStore, openStore } from "./store.js";

afterAll(cleanupTempDirs);

const H = "a".repeat(64);
const C1 = "1".repeat(40);
const C2 = "2".repeat(40);

async function newGoal(store: GoalStore) {
  const r = await store.createGoal({ text: "Add a --json flag", repoRoot: "/tmp/repo", limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.id;
}

function proof(goalId: string): Proof {
  return {
    schemaVersion: 1,
    kind: "omk.proof",
    goalId,
    status: "ready",
    oracleHash: H,
    baseCommit: C1,
    headCommit: C2,
    tasks: [],
    gates: [],
    criteria: [],
    reviews: [],
    knownGaps: [],
    spend: { timeMs: 0, tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 }, usd: 0, usdUnknownRecords: 0, records: 0 },
    recheck: [],
    lastSeq: 1,
    createdAt: new Date().toISOString(),
  };
}

describe("round_started", () => {
  it("moves the goal's round forward only", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    expect((await store.readGoal(id)).round).toBeUndefined();
    const r2 = await store.append(id, () => [
      { type: "round_started", actor: "controller", data: { round: 2, reason: "gates failed", followUps: ["fix-r2"] } },
    ]);
    expect(r2.ok && r2.value.round).toBe(2);
    const back = await store.append(id, () => [{ type: "round_started", actor: "controller", data: { round: 2, reason: "again", followUps: [] } }]);
    expect(!back.ok && back.error.message).toBe("round 2 does not follow round 2");
    expect((await store.replay(id)).differences).toEqual([]);
  });
});

describe("integration_recorded", () => {
  it("keeps the integrated head; a conflict leaves it as it was", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    const branch = `omk/${id}/integration`;
    const r = await store.append(id, () => [
      {
        type: "integration_recorded",
        actor: "controller",
        data: { outcome: "integrated", round: 1, branch, head: C1, merged: [{ taskId: "implement", commit: C2 }] },
      },
    ]);
    expect(r.ok && r.value.headCommit).toBe(C1);
    const c = await store.append(id, () => [
      {
        type: "integration_recorded",
        actor: "controller",
        data: { outcome: "conflict", round: 2, branch, taskId: "fix-r2", files: ["a.js"], conflictsWith: ["implement"], message: "conflict" },
      },
    ]);
    expect(c.ok && c.value.headCommit).toBe(C1);
    expect((await store.replay(id)).differences).toEqual([]);
  });
});

describe("evidence events", () => {
  it("records baseline, evaluation and review without changing the status", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    const r = await store.append(id, () => [
      {
        type: "baseline_recorded",
        actor: "controller",
        data: { oracleHash: H, commit: C1, gates: [], evidence: { path: "baseline/evidence.json", sha256: H } },
      },
      {
        type: "oracle_evaluated",
        actor: "controller",
        data: {
          round: 1,
          oracleHash: H,
          headCommit: C2,
          ready: false,
          counts: { passed: 1, failed: 1 },
          criteria: [{ id: "gate-test", verdict: "failed", evidence: ["evidence/r1-head.json"], reason: "exit 1" }],
          evidence: [{ path: "evidence/r1-head.json", sha256: H }],
        },
      },
      {
        type: "review_recorded",
        actor: "controller",
        data: { round: 1, pass: "deterministic", verdict: "passed", findings: 0, blocking: 0, record: { path: "reviews/r1-deterministic.json", sha256: H } },
      },
    ]);
    expect(r.ok && r.value.status).toBe("created");
    const bad = await store.append(id, () => [
      {
        type: "review_recorded",
        actor: "controller",
        data: { round: 1, pass: "nobody" as "reviewer", verdict: "passed", findings: 0, blocking: 0, record: { path: "x", sha256: H } },
      },
    ]);
    expect(bad.ok).toBe(false);
  });
});

describe("decision_recorded", () => {
  it("accepts only a ready goal and records the decision on it", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    const early = await store.append(id, () => [{ type: "decision_recorded", actor: "user", data: { decision: "accepted", headCommit: C2 } }]);
    expect(!early.ok && early.error.message).toBe("a created goal cannot be accepted");
    expect((await store.transition(id, "running", { actor: "controller" })).ok).toBe(true);
    expect((await store.transition(id, "ready", { actor: "controller", proof: proof(id) })).ok).toBe(true);
    const accepted = await store.append(id, () => [{ type: "decision_recorded", actor: "user", data: { decision: "accepted", headCommit: C2 } }]);
    expect(accepted.ok && accepted.value.decision).toMatchObject({ decision: "accepted", headCommit: C2 });
    const rejected = await store.append(id, () => [
      { type: "decision_recorded", actor: "user", data: { decision: "rejected", reason: "not wanted", headCommit: C2 } },
    ]);
    expect(rejected.ok && rejected.value.decision).toMatchObject({ decision: "rejected", reason: "not wanted" });
    expect((await store.replay(id)).differences).toEqual([]);
  });
});
