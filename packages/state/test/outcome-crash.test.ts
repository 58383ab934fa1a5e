// No crash window without a verdict (issue 14): a writer SIGKILLed right after each event of a terminal
// transition leaves a goal that the next open completes: the outcome file written and recorded,
// goal.json caught up, a dead controller's lock cleared. A ready goal is never left without its proof.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, deadPid, makeTempDir, spawnTsScript } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { FailureSchema, type GoalStore, openStore, ProofSchema, readControllerLock } from "../src/index.js";

afterAll(cleanupTempDirs);

const endGoal = fileURLToPath(new URL("./scripts/end-goal.ts", import.meta.url));

async function runningGoal(): Promise<{ store: GoalStore; root: string; id: string; lastSeq: number }> {
  const root = makeTempDir("omk-outcome-crash-");
  const store = openStore({ root });
  const created = await store.createGoal({ text: "crash at the end", repoRoot: root, limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
  if (!created.ok) throw new Error(created.error.message);
  const running = await store.transition(created.value.id, "running", { reason: "started" });
  if (!running.ok) throw new Error(running.error.message);
  return { store, root, id: created.value.id, lastSeq: running.value.lastSeq };
}

/** Ends the goal in a child that SIGKILLs itself right after event `crashAt` is appended. */
async function endKilled(root: string, id: string, to: "ready" | "failed_infra", crashAt: number): Promise<void> {
  const child = await spawnTsScript(endGoal, [id, to], { env: { ...process.env, OMK_STATE_DIR: root, OMK_CRASH_AT: String(crashAt) } });
  expect(child.signal, `the child should kill itself at event ${crashAt}: ${String(child.stderr)}`).toBe("SIGKILL");
}

const leftovers = (store: GoalStore, id: string) =>
  readdirSync(store.paths(id).dir).filter((n) => n.includes("lock") || n.includes("pending") || n.endsWith(".tmp"));

describe("a SIGKILL inside a terminal transition, then the next open", () => {
  for (const [offset, after] of [
    [1, "status_changed (ready)"],
    [2, "outcome_recorded"],
  ] as const) {
    it(`killed right after ${after}: the goal is ready with its proof once opened`, { timeout: 60_000 }, async () => {
      const { store, root, id, lastSeq } = await runningGoal();
      await endKilled(root, id, "ready", lastSeq + offset);
      const seen = await store.readGoal(id);
      expect(seen.status).toBe("ready");
      if (offset === 1) {
        // The window of the issue: the log says ready, proof.json is not written yet; what it will hold is.
        expect(seen.outcome).toBeNull();
        expect(existsSync(store.paths(id).proof)).toBe(false);
        expect(existsSync(store.paths(id).outcomePending)).toBe(true);
      }
      expect((await store.replay(id)).differences, "goal.json is a step behind the log").not.toEqual([]);

      const opened = await store.openGoal(id);
      expect(opened.status).toBe("ready");
      expect(opened.outcome?.file).toBe("proof.json");
      const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(id).proof, "utf8")));
      expect(proof.knownGaps).toEqual(["a proof from the crash test"]);
      expect((await store.replay(id)).differences).toEqual([]);
      expect(leftovers(store, id)).toEqual([]);
      const events = await store.readEvents(id);
      expect(events.filter((e) => e.type === "outcome_recorded")).toHaveLength(1);
      // Opening again changes nothing.
      expect((await store.openGoal(id)).lastSeq).toBe(opened.lastSeq);
    });
  }

  it("killed right after status_changed (failed_infra): failure.json keeps the evidence the transition named", { timeout: 60_000 }, async () => {
    const { store, root, id, lastSeq } = await runningGoal();
    await endKilled(root, id, "failed_infra", lastSeq + 1);
    expect((await store.readGoal(id)).outcome).toBeNull();
    const opened = await store.openGoal(id);
    expect(opened.outcome?.file).toBe("failure.json");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(id).failure, "utf8")));
    expect(failure.cause).toEqual({ code: "infra_error", message: "disk on fire" });
    expect(failure.evidence).toEqual(["events.jsonl", "runs/t1/1/log.txt"]);
    expect(leftovers(store, id)).toEqual([]);
  });

  it("a pending outcome whose status_changed never reached the log is dropped: the goal stays running", async () => {
    const { store, id, lastSeq } = await runningGoal();
    writeFileSync(store.paths(id).outcomePending, JSON.stringify({ kind: "omk.outcome-pending", status: "ready", seq: lastSeq + 1 }));
    const opened = await store.openGoal(id);
    expect(opened.status).toBe("running");
    expect(opened.lastSeq).toBe(lastSeq);
    expect(existsSync(store.paths(id).outcomePending)).toBe(false);
  });

  it("a ready goal with no proof to write (an older version's crash) is never left ready: it runs again", async () => {
    const { store, root, id, lastSeq } = await runningGoal();
    await endKilled(root, id, "ready", lastSeq + 1);
    // The proof record is lost too (as before outcome.pending.json existed).
    writeFileSync(store.paths(id).outcomePending, "{ damaged");
    const opened = await store.openGoal(id);
    expect(opened.status).toBe("running");
    expect(opened.statusReason).toMatch(/without its proof\.json/);
    expect(opened.outcome).toBeNull();
    expect(existsSync(store.paths(id).proof)).toBe(false);
    expect(leftovers(store, id)).toEqual([]);
    expect((await store.replay(id)).differences).toEqual([]);
  });
});

describe("the leases of a dead controller", () => {
  it("are not shown as the runner and are cleared on the next open, recorded in the log", async () => {
    const { store, id } = await runningGoal();
    const pid = await deadPid();
    const holder = {
      pid,
      host: (await import("node:os")).hostname(),
      token: "d".repeat(24),
      acquiredAt: new Date().toISOString(),
      heartbeatAt: new Date().toISOString(),
      purpose: "controller",
    };
    writeFileSync(store.paths(id).lock, JSON.stringify(holder));
    writeFileSync(store.paths(id).appendMutex, JSON.stringify({ ...holder, token: "e".repeat(24), purpose: "append" }));
    writeFileSync(`${store.paths(id).lock}.takeover-${"f".repeat(24)}`, JSON.stringify({ ...holder, token: "f".repeat(24) }));
    expect(await readControllerLock(store, id)).toBeUndefined();

    await store.openGoal(id);
    expect(leftovers(store, id)).toEqual([]);
    const events = await store.readEvents(id);
    const takeover = events.find((e) => e.type === "lock_taken_over");
    expect(takeover?.type === "lock_taken_over" && takeover.data.previous.pid).toBe(pid);
    expect(events.at(-1)?.type).toBe("lock_released");
    expect((await store.replay(id)).differences).toEqual([]);
  });

  it("a live controller's lock is left alone and shown", async () => {
    const { store, id } = await runningGoal();
    const holder = {
      pid: process.pid,
      host: (await import("node:os")).hostname(),
      token: "a".repeat(24),
      acquiredAt: new Date().toISOString(),
      heartbeatAt: new Date().toISOString(),
      purpose: "controller",
    };
    writeFileSync(store.paths(id).lock, JSON.stringify(holder));
    expect((await readControllerLock(store, id))?.pid).toBe(process.pid);
    const before = (await store.readGoal(id)).lastSeq;
    await store.openGoal(id);
    expect(existsSync(store.paths(id).lock)).toBe(true);
    expect((await store.readGoal(id)).lastSeq).toBe(before);
  });
});
