/**
 * The lock around making one shared install: an exclusive lock file, so two
 * checkouts with the same key install once and the second waits for the
 * first; a lock left by a dead process (or older than its stale age) is
 * taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** An exclusive lock file (O_EXCL); a lock whose process on this host is gone, or older than `staleMs`, is taken over. */
export async function lock(file: string, staleMs: number, signal: AbortSignal | undefined): Promise<{ release: () => void; waitedMs: number }> {
  const started = performance.now();
  for (;;) {
    if (signal?.aborted === true) throw new Error("aborted while waiting for the shared install lock");
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() }));
      closeSync(fd);
      return { release: () => rmSync(file, { force: true }), waitedMs: Math.round(performance.now() - started) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    try {
      const held = JSON.parse(readFileSync(file, "utf8")) as { pid: number; host: string; at: string };
      const stale = (held.host === os.hostname() && !alive(held.pid)) || Date.now() - Date.parse(held.at) > staleMs;
      if (stale) rmSync(file, { force: true });
    } catch {
      // Being written or just released: look again.
    }
    await sleep(100);
  }
}
