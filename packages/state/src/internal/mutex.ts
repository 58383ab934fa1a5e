import { StateBusyError } from "../errors.js";
import { describeOwner, newOwner, release, tryAcquire } from "./lease-file.js";

/** A holder of the append mutex is stale after this long (critical sections take milliseconds). */
const MUTEX_STALE_MS = 30_000;

/**
 * Run `fn` holding the lease file `file` (the per-goal append mutex); waits
 * with jittered backoff up to `waitMs`, then throws StateBusyError naming
 * the holder. A holder whose pid is dead is taken over at once.
 */
export async function withLeaseMutex<T>(file: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + waitMs;
  let delay = 2;
  for (;;) {
    const owner = newOwner("append", new Date());
    const got = await tryAcquire(file, owner, MUTEX_STALE_MS, new Date());
    if (got.ok) {
      try {
        return await fn();
      } finally {
        await release(file, owner);
      }
    }
    if (Date.now() > deadline) throw new StateBusyError(file, describeOwner(got.holder));
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(50, delay * 2);
  }
}
