/** The workers a run dispatches to. A quarantined worker gets nothing more in this run. */
export type WorkerSlot = { readonly id: string; alive: boolean; busy: boolean };

export class WorkerPool {
  private readonly slots: WorkerSlot[];

  constructor(ids: readonly string[]) {
    this.slots = [...new Set(ids)].map((id) => ({ id, alive: true, busy: false }));
  }

  get ids(): string[] {
    return this.slots.map((s) => s.id);
  }

  aliveCount(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  freeCount(): number {
    return this.slots.filter((s) => s.alive && !s.busy).length;
  }

  /** The first free live worker, in the order given, marked busy. */
  take(): WorkerSlot | undefined {
    const slot = this.slots.find((s) => s.alive && !s.busy);
    if (slot !== undefined) slot.busy = true;
    return slot;
  }

  release(slot: WorkerSlot): void {
    slot.busy = false;
  }

  quarantine(slot: WorkerSlot): void {
    slot.alive = false;
    slot.busy = false;
  }

  dead(): string[] {
    return this.slots.filter((s) => !s.alive).map((s) => s.id);
  }
}
