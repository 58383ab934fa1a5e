import { promises as fsp } from "node:fs";
import path from "node:path";
import type { GoalPaths } from "../paths.js";
import type { Result } from "@omk/core";
import type { NewEvent } from "../schemas/event.js";
import type { LockOwner } from "../schemas/lock.js";
import { newOwner, readOwner, release, staleReason, tryAcquire } from "./lease-file.js";

/** What clearing a dead controller's lock needs of the goal store (kept structural: the store imports this module). */
export type LeaseStore = {
  paths(goalId: string): GoalPaths;
  append(goalId: string, build: () => NewEvent[]): Promise<Result<unknown, { message: string }>>;
};

/** A lease holder on this host whose pid is gone (a heartbeat's age alone never counts: it may be a slow live process). */
export const deadHere = (holder: LockOwner): boolean => staleReason(holder, new Date(Date.parse(holder.heartbeatAt)), Number.MAX_SAFE_INTEGER) === "pid_dead";

/** Lease files of this goal (the controller lock, the append mutex, takeover markers) whose holder died on this host. */
export async function deadLeaseFiles(paths: GoalPaths): Promise<string[]> {
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
export async function clearDeadLeases(store: LeaseStore, goalId: string): Promise<LockOwner | undefined> {
  const paths = store.paths(goalId);
  let cleared: LockOwner | undefined;
  for (const file of await deadLeaseFiles(paths)) {
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
