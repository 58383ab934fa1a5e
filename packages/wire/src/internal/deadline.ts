/**
 * A timer that fires `ms` after the last `touch()` (an inactivity deadline).
 * Cheap to touch often: it re-arms only when it would have fired.
 */
export class InactivityTimer {
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ms: number,
    private readonly onExpire: () => void,
  ) {
    this.arm(ms);
  }

  touch(): void {
    this.last = Date.now();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      const idle = Date.now() - this.last;
      if (idle >= this.ms) {
        this.stopped = true;
        this.onExpire();
      } else {
        this.arm(this.ms - idle);
      }
    }, delay);
    this.timer.unref?.();
  }
}

/** Resolves after `ms` (unref'd, so it never keeps the process alive); `clear` cancels it. */
export function delay(ms: number): { promise: Promise<void>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let resolveFn: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    resolveFn = resolve;
    timer = setTimeout(resolve, ms);
  });
  return {
    promise,
    clear: () => {
      if (timer !== undefined) clearTimeout(timer);
      resolveFn();
    },
  };
}

/** Waits for a promise at most `ms`; resolves `{ done: false }` on time-out. Never rejects. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  const timer = delay(ms);
  try {
    return await Promise.race([promise.then((value) => ({ done: true as const, value })), timer.promise.then(() => ({ done: false as const }))]);
  } finally {
    timer.clear();
  }
}
