import { deadHere } from "./internal/dead-leases.js";
import { describeOwner, heartbeat, newOwner, readOwner, release, tryAcquire } from "./internal/lease-file.js";
import { err, ok, type Result } from "@omk/core";
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
