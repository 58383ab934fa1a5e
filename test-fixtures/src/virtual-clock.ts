/**
 * A virtual clock for tests of code that takes a clock port
 * (`now()`, `setTimer(ms, fn)`): time stands still until `run` moves it to
 * the next timer, after letting every pending promise callback run. Runs
 * that would take minutes of real time take milliseconds, and are
 * deterministic.
 */
export type VirtualClock = {
  now(): number;
  setTimer(ms: number, fn: () => void): () => void;
  /** Resolves after `ms` of virtual time; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Move time from timer to timer until `promise` settles; throws when no timer is left and it has not (a deadlock). */
  run<T>(promise: Promise<T>, options?: { maxTimers?: number }): Promise<T>;
  /** Timers not yet fired. */
  pending(): number;
};

type Timer = { at: number; seq: number; fn: () => void; cancelled: boolean };

/** Let every queued promise callback (and those they queue) run. */
const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createVirtualClock(start = Date.parse("2026-03-01T10:00:00.000Z")): VirtualClock {
  let time = start;
  let seq = 0;
  const timers: Timer[] = [];

  const setTimer = (ms: number, fn: () => void): (() => void) => {
    const timer: Timer = { at: time + Math.max(0, ms), seq: seq++, fn, cancelled: false };
    // Keep timers sorted by (at, seq): binary search for the insertion point.
    let lo = 0;
    let hi = timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const t = timers[mid] as Timer;
      if (t.at < timer.at || (t.at === timer.at && t.seq < timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    timers.splice(lo, 0, timer);
    return () => {
      timer.cancelled = true;
    };
  };

  const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        cancel();
        reject(signal?.reason);
      };
      const cancel = setTimer(ms, () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });

  const run = async <T>(promise: Promise<T>, options: { maxTimers?: number } = {}): Promise<T> => {
    let settled = false;
    promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    const max = options.maxTimers ?? 1_000_000;
    for (let fired = 0; ; ) {
      await macrotask();
      if (settled) return promise;
      let next = timers.shift();
      while (next?.cancelled) next = timers.shift();
      if (next === undefined) throw new Error("virtual clock: no timer left and the promise has not settled (deadlock)");
      if (++fired > max) throw new Error(`virtual clock: more than ${max} timers fired`);
      time = Math.max(time, next.at);
      next.fn();
    }
  };

  return { now: () => time, setTimer, sleep, run, pending: () => timers.filter((t) => !t.cancelled).length };
}
