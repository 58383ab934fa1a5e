import { promises as fsp } from "node:fs";
import path from "node:path";
import { describeOwner, heartbeat, newOwner, readOwner, release, staleReason, tryAcquire } from "./internal/lease-file.js";
import { err, ok, type Result } from "./result.js";
import type { LockOwner } from "./schemas/lock.js";
import type { GoalStore } from "./store.js";

export type LockHeld = { code: "lock_held"; holder: LockOwner | undefined; message: string; fix: string };

export type ControllerLock = {
  readonly owner: LockOwner;
  /** Renew the heartbeat now; false when the lock was taken over (stop working then). */
  heartbeat(): Promise<boolean>;
  /** Release the lock (records lock_released) and stop the heartbeat timer. */
  release(): Promise<void>;
};

export type LockOptions = {
  /** A holder whose heartbeat is older than this may be taken over. */
  staleAfterMs?: number;
  /** Heartbeat period; 0 disables the timer (call heartbeat() yourself). */
  heartbeatMs?: number;
  /** Called when a heartbeat finds the lock taken over. */
  onLost?: () => void;
  now?: () => Date;
};

/**
 * One controller per goal. The lock file names pid, host and heartbeat; a
 * second controller is refused with who holds it; a holder whose pid is dead
 * (same host) or whose heartbeat is stale is taken over, recorded as a
 * lock_taken_over event.
 */
export async function acquireControllerLock(store: GoalStore, goalId: string, options: LockOptions = {}): Promise<Result<ControllerLock, LockHeld>> {
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(1000, Math.floor(staleAfterMs / 4));
  const now = options.now ?? (() => new Date());
  await store.readGoal(goalId); // the goal must exist
  const file = store.paths(goalId).lock;
  const owner = newOwner("controller", now());
  const got = await tryAcquire(file, owner, staleAfterMs, now());
  if (!got.ok) {
    return err({
      code: "lock_held",
      holder: got.holder,
      message: `goal ${goalId} is being run by ${describeOwner(got.holder)}`,
      fix: `wait for it, or stop it (omk goal pause ${goalId}); a dead holder is taken over once its heartbeat is ${Math.round(staleAfterMs / 1000)}s old`,
    });
  }
  const recorded = await store.append(goalId, () =>
    got.tookOver === undefined
      ? [{ type: "lock_acquired", actor: "controller", data: { owner } }]
      : [{ type: "lock_taken_over", actor: "controller", data: { owner, previous: got.tookOver.previous, reason: got.tookOver.reason } }],
  );
  if (!recorded.ok) {
    await release(file, owner);
    throw new Error(`recording the lock: ${recorded.error.message}`);
  }
  let timer: NodeJS.Timeout | undefined;
  let lost = false;
  const beat = async (): Promise<boolean> => {
    if (lost) return false;
    const still = await heartbeat(file, owner, now());
    if (!still) {
      lost = true;
      if (timer !== undefined) clearInterval(timer);
      options.onLost?.();
    }
    return still;
  };
  if (heartbeatMs > 0) {
    timer = setInterval(() => void beat().catch(() => undefined), heartbeatMs);
    timer.unref();
  }
  return ok({
    owner,
    heartbeat: beat,
    async release() {
      if (timer !== undefined) clearInterval(timer);
      if (lost) return;
      if (await release(file, owner)) {
        await store.append(goalId, () => [{ type: "lock_released", actor: "controller", data: { owner } }]);
      }
    },
  });
}

/** Who holds the controller lock now, if anyone (readers never take it). A holder whose pid is dead on this host holds nothing. */
export async function readControllerLock(store: GoalStore, goalId: string): Promise<LockOwner | undefined> {
  const holder = await readOwner(store.paths(goalId).lock);
  if (holder === "garbled" || holder === undefined) return undefined;
  return deadHere(holder) ? undefined : holder;
}

/** A lease holder on this host whose pid is gone (a heartbeat's age alone never counts: it may be a slow live process). */
const deadHere = (holder: LockOwner) => staleReason(holder, new Date(Date.parse(holder.heartbeatAt)), Number.MAX_SAFE_INTEGER) === "pid_dead";

/** Lease files of this goal (the controller lock, the append mutex, takeover markers) whose holder died on this host. */
export async function deadLeaseFiles(store: GoalStore, goalId: string): Promise<string[]> {
  const paths = store.paths(goalId);
  const names = await fsp.readdir(paths.dir).catch(() => [] as string[]);
  const lock = path.basename(paths.lock);
  const mutex = path.basename(paths.appendMutex);
  const dead: string[] = [];
  for (const name of names) {
    if (name !== lock && name !== mutex && !name.startsWith(`${lock}.takeover-`) && !name.startsWith(`${mutex}.takeover-`)) continue;
    const holder = await readOwner(path.join(paths.dir, name));
    if (holder !== undefined && holder !== "garbled" && deadHere(holder)) dead.push(path.join(paths.dir, name));
  }
  return dead;
}

/**
 * Clear the leases a dead controller left (the next open of the goal): a
 * controller lock whose pid is dead on this host is taken over and released
 * at once (recorded: lock_taken_over, lock_released, actor system), the
 * append mutex is taken over by the store's next write, and takeover markers
 * of dead processes are removed. Returns the dead controller, if there was one.
 */
export async function clearDeadLeases(store: GoalStore, goalId: string): Promise<LockOwner | undefined> {
  const paths = store.paths(goalId);
  let cleared: LockOwner | undefined;
  for (const file of await deadLeaseFiles(store, goalId)) {
    if (file === paths.appendMutex) continue; // withLeaseMutex takes a dead holder's mutex over (openGoal did)
    if (file !== paths.lock) {
      await fsp.rm(file, { force: true });
      continue;
    }
    const now = new Date();
    const owner = newOwner("repair", now);
    const got = await tryAcquire(file, owner, Number.MAX_SAFE_INTEGER, now);
    if (!got.ok) continue; // someone else took it first
    try {
      const previous = got.tookOver?.previous;
      const recorded = await store.append(goalId, () => [
        previous === undefined
          ? { type: "lock_acquired", actor: "system", data: { owner } }
          : { type: "lock_taken_over", actor: "system", data: { owner, previous, reason: "pid_dead" } },
        { type: "lock_released", actor: "system", data: { owner } },
      ]);
      if (!recorded.ok) throw new Error(`recording the cleared lock: ${recorded.error.message}`);
      cleared = previous;
    } finally {
      await release(file, owner);
    }
  }
  return cleared;
}
