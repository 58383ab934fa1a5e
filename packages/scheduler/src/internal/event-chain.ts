import type { SchedulerEvent } from "../ports.js";

type Pending = { event: SchedulerEvent; done: (written: boolean) => void };

/**
 * Hands events to the sink in the order they were emitted, one write at a
 * time. With a batch sink, every event emitted while a write is in flight
 * goes into the next write together (group commit: one append, one fsync).
 * The first failure stops the chain: that event and every later one are
 * reported unwritten, and `onFailure` is called once.
 */
export class EventChain {
  private readonly queue: Pending[] = [];
  private writing = false;
  private failure: { error: unknown } | undefined;
  private idle: Array<() => void> = [];

  constructor(
    private readonly sink: { one: (event: SchedulerEvent) => void | Promise<void> } | { batch: (events: SchedulerEvent[]) => void | Promise<void> },
    private readonly onFailure: (error: unknown) => void,
  ) {}

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Resolves true once the sink took the event, false when the chain has failed. */
  emit(event: SchedulerEvent): Promise<boolean> {
    if (this.failure !== undefined) return Promise.resolve(false);
    return new Promise<boolean>((done) => {
      this.queue.push({ event, done });
      // Start on the next microtask, so events decided in the same turn share a write.
      if (!this.writing) {
        this.writing = true;
        queueMicrotask(() => void this.flush());
      }
    });
  }

  /** Resolves when every event emitted so far has been written or dropped. */
  drain(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0 && this.failure === undefined) {
      const batch = this.queue.splice(0);
      try {
        if ("batch" in this.sink) {
          await this.sink.batch(batch.map((p) => p.event));
          for (const p of batch) p.done(true);
        } else {
          for (let i = 0; i < batch.length; i++) {
            const p = batch[i] as Pending;
            try {
              await this.sink.one(p.event);
            } catch (error) {
              this.queue.unshift(...batch.slice(i));
              throw error;
            }
            p.done(true);
          }
        }
      } catch (error) {
        this.failure = { error };
        if ("batch" in this.sink) this.queue.unshift(...batch);
        for (const p of this.queue.splice(0)) p.done(false);
        this.onFailure(error);
      }
    }
    for (const p of this.queue.splice(0)) p.done(false);
    this.writing = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
