// accept / reject: decision_recorded on the goal's log; accept only when ready; the base branch is never written.
import { openStore, type Proof } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { acceptGoal, rejectGoal } from "../src/index.js";

afterAll(cleanupTempDirs);

const HEAD = "c".repeat(40);

async function goalWithHead(ready: boolean) {
  const store = openStore({ root: makeTempDir() });
  const created = await store.createGoal({ text: "Add slugify", repoRoot: makeTempDir(), limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
  if (!created.ok) throw new Error(created.error.message);
  const id = created.value.id;
  await store.transition(id, "running", { actor: "controller" });
  await store.append(id, () => [{ type: "integration_recorded", actor: "controller", data: { outcome: "integrated", round: 1, branch: `omk/${id}/integration`, head: HEAD, merged: [] } }]);
  if (ready) {
    const zero = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
    const proof: Proof = {
      schemaVersion: 1, kind: "omk.proof", goalId: id, status: "ready", oracleHash: "a".repeat(64), baseCommit: "b".repeat(40), headCommit: HEAD,
      tasks: [], gates: [], criteria: [], reviews: [], knownGaps: [], spend: { timeMs: 0, tokens: zero, usd: 0, usdUnknownRecords: 0, records: 0 }, recheck: [], lastSeq: 1, createdAt: new Date().toISOString(),
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
    expect(accepted.ok && accepted.value).toEqual({ goalId: id, decision: "accepted", headCommit: HEAD, branch: `omk/${id}/integration`, mergeCommand: `git merge --ff-only omk/${id}/integration` });
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
});
