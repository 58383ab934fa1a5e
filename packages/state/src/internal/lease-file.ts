import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import os from "node:os";
import { type LockOwner, LockOwnerSchema } from "../schemas/lock.js";
import { createFileExclusive, pidAlive, readFileOrUndefined, writeFileAtomic } from "./fs.js";

/**
 * A lease file names its holder (pid, host, token, heartbeat). Acquire is an
 * atomic create (link of a fully written temp file). A holder whose pid is
 * dead on this host, or whose heartbeat is older than `staleAfterMs`, can be
 * taken over; the takeover goes through a marker file keyed by the dead
 * holder's token, so of many contenders exactly one replaces it.
 */
export type StaleReason = "pid_dead" | "heartbeat_stale";

export type AcquireResult =
  | { ok: true; owner: LockOwner; tookOver?: { previous: LockOwner; reason: StaleReason } }
  | { ok: false; holder: LockOwner | undefined };

export function newOwner(purpose: string, now: Date): LockOwner {
  const ts = now.toISOString();
  return { pid: process.pid, host: os.hostname(), token: randomBytes(12).toString("hex"), acquiredAt: ts, heartbeatAt: ts, purpose };
}

export function staleReason(owner: LockOwner, now: Date, staleAfterMs: number): StaleReason | undefined {
  if (owner.host === os.hostname() && !pidAlive(owner.pid)) return "pid_dead";
  if (now.getTime() - Date.parse(owner.heartbeatAt) > staleAfterMs) return "heartbeat_stale";
  return undefined;
}

/** Read the holder; undefined when there is none. A garbled file is treated as a dead holder. */
export async function readOwner(file: string): Promise<LockOwner | undefined | "garbled"> {
  const text = await readFileOrUndefined(file);
  if (text === undefined) return undefined;
  try {
    return LockOwnerSchema.parse(JSON.parse(text));
  } catch {
    return "garbled";
  }
}

export async function tryAcquire(file: string, owner: LockOwner, staleAfterMs: number, now: Date): Promise<AcquireResult> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createFileExclusive(file, JSON.stringify(owner))) return { ok: true, owner };
    const holder = await readOwner(file);
    if (holder === undefined) continue; // released in between: try again
    if (holder === "garbled") {
      // A writer died between create and write cannot happen (link is atomic); a garbled lock is
      // damage. Move it aside (kept for inspection) and retry.
      await fsp.rename(file, `${file}.garbled.${Date.now()}`).catch(() => undefined);
      continue;
    }
    const reason = staleReason(holder, now, staleAfterMs);
    if (reason === undefined) return { ok: false, holder };
    const marker = `${file}.takeover-${holder.token}`;
    if (!(await createFileExclusive(marker, JSON.stringify(owner)))) {
      // Someone else is taking over this holder. If that someone died mid-way, clear its marker.
      const markerOwner = await readOwner(marker);
      if (markerOwner !== undefined && markerOwner !== "garbled" && staleReason(markerOwner, now, staleAfterMs) !== undefined) {
        await fsp.rm(marker, { force: true });
      }
      return { ok: false, holder };
    }
    try {
      // Replace the stale lock in one rename: there is never a moment without a lock file, so
      // no plain acquirer can slip in and the takeover is always recorded as one. Only the holder
      // of this marker touches a lock that still names the dead holder's token.
      const still = await readOwner(file);
      if (still !== undefined && still !== "garbled" && still.token === holder.token) {
        await writeFileAtomic(file, JSON.stringify(owner));
        return { ok: true, owner, tookOver: { previous: holder, reason } };
      }
      if (still === undefined && (await createFileExclusive(file, JSON.stringify(owner)))) return { ok: true, owner };
      const now2 = await readOwner(file);
      return { ok: false, holder: now2 === "garbled" ? undefined : now2 };
    } finally {
      await fsp.rm(marker, { force: true });
    }
  }
  const holder = await readOwner(file);
  return { ok: false, holder: holder === "garbled" ? undefined : holder };
}

/** Renew the heartbeat; false when the lease is no longer ours (taken over). */
export async function heartbeat(file: string, owner: LockOwner, now: Date): Promise<boolean> {
  const holder = await readOwner(file);
  if (holder === undefined || holder === "garbled" || holder.token !== owner.token) return false;
  owner.heartbeatAt = now.toISOString();
  await writeFileAtomic(file, JSON.stringify(owner));
  return true;
}

/** Remove the lease if it is still ours. */
export async function release(file: string, owner: LockOwner): Promise<boolean> {
  const holder = await readOwner(file);
  if (holder === undefined || holder === "garbled" || holder.token !== owner.token) return false;
  await fsp.rm(file, { force: true });
  return true;
}

export function describeOwner(owner: LockOwner | undefined): string {
  if (owner === undefined) return "an unknown process";
  return `pid ${owner.pid} on ${owner.host} (since ${owner.acquiredAt}, heartbeat ${owner.heartbeatAt})`;
}
