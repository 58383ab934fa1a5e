import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, deadPid, makeTempDir, spawnTsScript } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { acquireControllerLock, openStore, readControllerLock } from "../src/index.js";

afterAll(cleanupTempDirs);

const lockRace = fileURLToPath(new URL("./scripts/lock-race.ts", import.meta.url));

async function goalIn(root: string) {
  const store = openStore({ root });
  const r = await store.createGoal({ text: "lock me", repoRoot: root, limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
  if (!r.ok) throw new Error(r.error.message);
  return { store, id: r.value.id };
}

async function race(root: string, id: string, contenders: number) {
  const goFile = path.join(root, "go");
  const releaseFile = path.join(root, "release");
  const children = Array.from({ length: contenders }, () =>
    spawnTsScript(lockRace, [id, goFile, releaseFile], { env: { ...process.env, OMK_STATE_DIR: root } }),
  );
  const lines = children.map(() => [] as string[]);
  children.forEach((child, i) => {
    child.stdout?.on("data", (b: Buffer) => {
      lines[i]?.push(
        ...b
          .toString()
          .split("\n")
          .filter((l) => l !== ""),
      );
    });
  });
  const until = async (pred: () => boolean) => {
    while (!pred()) await new Promise((r) => setTimeout(r, 10));
  };
  await until(() => lines.every((l) => l.includes("ready"))); // every racer is up
  writeFileSync(goFile, "");
  await until(() => lines.every((l) => l.length >= 2)); // every racer has its answer
  writeFileSync(releaseFile, "");
  const results = await Promise.all(children);
  return results.map((r, i) => {
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return JSON.parse(lines[i]?.[1] as string) as { won: boolean; pid?: number; holder?: number; message?: string };
  });
}

describe("controller lock (real processes)", () => {
  it("of processes racing for a free lock, exactly one wins; the others are told who holds it", async () => {
    const root = makeTempDir();
    const { store, id } = await goalIn(root);
    const outcomes = await race(root, id, 4);
    const winners = outcomes.filter((o) => o.won);
    expect(winners).toHaveLength(1);
    for (const loser of outcomes.filter((o) => !o.won)) {
      expect(loser.message).toMatch(new RegExp(`is being run by pid ${winners[0]?.pid} on `));
    }
    const events = await store.readEvents(id);
    expect(events.filter((e) => e.type === "lock_acquired")).toHaveLength(1);
  }, 60_000);

  it("a lock whose holder died is taken over by exactly one of the racers, recorded as an event", async () => {
    const root = makeTempDir();
    const { store, id } = await goalIn(root);
    const dead = await deadPid();
    const ts = new Date().toISOString();
    writeFileSync(
      store.paths(id).lock,
      JSON.stringify({ pid: dead, host: os.hostname(), token: "deadbeefdeadbeef", acquiredAt: ts, heartbeatAt: ts, purpose: "controller" }),
    );
    const outcomes = await race(root, id, 4);
    expect(outcomes.filter((o) => o.won)).toHaveLength(1);
    const takeovers = (await store.readEvents(id)).filter((e) => e.type === "lock_taken_over");
    expect(takeovers).toHaveLength(1);
    expect(takeovers[0]?.type === "lock_taken_over" && takeovers[0].data.reason).toBe("pid_dead");
    expect(takeovers[0]?.type === "lock_taken_over" && takeovers[0].data.previous.pid).toBe(dead);
  }, 60_000);

  it("refuses a second controller in-process, takes over a stale heartbeat, and releases cleanly", async () => {
    const root = makeTempDir();
    const { store, id } = await goalIn(root);
    let t = Date.now();
    const now = () => new Date(t);
    const first = await acquireControllerLock(store, id, { staleAfterMs: 10_000, heartbeatMs: 0, now });
    expect(first.ok).toBe(true);
    const second = await acquireControllerLock(store, id, { staleAfterMs: 10_000, heartbeatMs: 0, now });
    expect(second.ok).toBe(false);
    if (!second.ok) {
      expect(second.error.message).toMatch(`pid ${process.pid}`);
      expect(second.error.fix).toMatch(/omk goal pause/);
    }
    // The holder (same pid, so alive) stops heartbeating: after staleAfterMs it can be taken over.
    t += 11_000;
    const third = await acquireControllerLock(store, id, { staleAfterMs: 10_000, heartbeatMs: 0, now });
    expect(third.ok).toBe(true);
    if (!first.ok || !third.ok) return;
    expect(await first.value.heartbeat()).toBe(false); // the first one learns it lost the lock
    expect((await readControllerLock(store, id))?.token).toBe(third.value.owner.token);
    await third.value.release();
    expect(await readControllerLock(store, id)).toBeUndefined();
    const types = (await store.readEvents(id)).map((e) => e.type);
    expect(types).toEqual(["goal_created", "lock_acquired", "lock_taken_over", "lock_released"]);
    expect((await store.readGoal(id)).lockTakeovers).toBe(1);
  });
});
