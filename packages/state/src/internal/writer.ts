/**
 * The writing half of GoalStore, under the goal's append mutex: the log key
 * (read, or made on the first write), the writer's view of a goal (a fast
 * path while nothing changed since this process wrote it; otherwise the
 * whole log read, its chain checked, a torn tail repaired and goal.json
 * brought in line), stamping, checking and durably appending events, the
 * snapshot and its MAC, and the outcome helpers' handle (./outcomes.ts).
 * GoalStore (../store.ts) holds one per store; callers never see it.
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { err, ok, type Result, sha256 } from "@omk/core";
import { LogKeyMissingError } from "../errors.js";
import type { GoalPaths } from "../paths.js";
import { reduce } from "../reduce.js";
import { SCHEMA_VERSION } from "../schemas/common.js";
import { EventSchema, type NewEvent } from "../schemas/event.js";
import type { Goal } from "../schemas/goal.js";
import type { StoreError, TransitionOptions } from "../store-types.js";
import { crashPoint } from "./crash-point.js";
import { foldGoal, snapshotMac } from "./fold.js";
import { appendDurable, removeStaleTemps, truncateDurable, writeFileAtomic } from "./fs.js";
import { ensureLogKey, logKeyFile, readLogKey } from "./log-key.js";
import { GENESIS_PREV, type LogAuth, signedLine } from "./log.js";
import { enforceBudgetInLock, type Locked, recordOutcomeInLock, repairOutcomeInLock } from "./outcomes.js";

export type Loaded = { goal: Goal; paths: GoalPaths };

export class GoalWriter {
  /** The goal this process last wrote, per goal dir; valid while neither file changed since. */
  private readonly written = new Map<string, { goal: Goal; logSize: number; snapSize: number; snapMtimeMs: number }>();
  /** The log key once read or created (docs/decisions/state-store.md, "chained log"). */
  private key: Buffer | undefined;

  constructor(
    private readonly root: string,
    private readonly now: () => Date,
  ) {}

  /** The log key, made now when this state root has none (the first goal's first write). */
  async ensureKey(): Promise<void> {
    this.key ??= await ensureLogKey(this.root);
  }

  /** Drop the fast path for a goal dir: its next write reads the log again. */
  forget(dir: string): void {
    this.written.delete(dir);
  }

  /** goal.json, then goal.json.mac (a reader that finds them out of step folds the whole log instead). */
  async writeSnapshot(paths: GoalPaths, goal: Goal): Promise<void> {
    const text = `${JSON.stringify(goal, null, 2)}\n`;
    await writeFileAtomic(paths.snapshot, text);
    if (this.key === undefined) return;
    // Replaced by rename but not fsynced: a MAC lost in a crash only sends readers to a full fold.
    const mac = `${paths.snapshot}.mac`;
    const tmp = `${path.dirname(mac)}/.goal.json.mac.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await fsp.writeFile(tmp, `${snapshotMac(this.key, path.basename(paths.dir), text)}\n`);
    await fsp.rename(tmp, mac);
  }

  /** What readers check MACs with: the key when this state root has one (readers never create it). */
  async readAuth(paths: GoalPaths): Promise<LogAuth> {
    this.key ??= await readLogKey(this.root);
    return { goalId: path.basename(paths.dir), key: this.key };
  }

  enforceBudgetLocked(paths: GoalPaths, goal: Goal, actor: string): Promise<Goal> {
    return enforceBudgetInLock(this.locked(paths), goal, actor);
  }

  recordOutcome(paths: GoalPaths, goal: Goal, options: TransitionOptions): Promise<Goal> {
    return recordOutcomeInLock(this.locked(paths), goal, options);
  }

  /** What the outcome helpers may do while this process holds the goal's append mutex. */
  locked(paths: GoalPaths): Locked {
    return { paths, now: this.now, commit: (goal, build) => this.commit(paths, goal, build) };
  }

  /** Stamp, check and durably append events; then write the snapshot. Caller holds the mutex. */
  async commit(
    paths: GoalPaths,
    goal: Goal | undefined,
    build: (goal: Goal | undefined) => NewEvent[] | Result<NewEvent[], StoreError>,
  ): Promise<Result<Goal, StoreError>> {
    const built = build(goal);
    const drafts = Array.isArray(built) ? built : built.ok ? built.value : undefined;
    if (drafts === undefined) return built as { ok: false; error: StoreError };
    const key = this.key;
    if (key === undefined) throw new Error("bug: commit before the log key was loaded");
    const auth = { goalId: path.basename(paths.dir), key };
    let state = goal;
    let seq = goal?.lastSeq ?? 0;
    let prev = goal === undefined ? GENESIS_PREV : (goal.chainHead ?? GENESIS_PREV);
    const ts = this.now().toISOString();
    const lines: string[] = [];
    for (const draft of drafts) {
      seq += 1;
      // Parse at the edge: what is written must read back as the same event.
      const parsed = EventSchema.safeParse({ v: SCHEMA_VERSION, seq, ts, ...draft, prev });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return err({
          code: "invalid_input",
          message: `${draft.type} event is invalid: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
          fix: "correct the value; nothing was written",
        });
      }
      const event = parsed.data;
      const next = reduce(state, event);
      if (!next.ok) return next;
      state = next.value;
      const line = signedLine(event, auth);
      lines.push(line);
      prev = sha256(line.slice(0, -1));
    }
    if (state === undefined || lines.length === 0) return err({ code: "invalid_input", message: "no events to append", fix: "" });
    const data = lines.join("");
    await appendDurable(paths.events, data);
    crashPoint(seq, drafts);
    state.logBytes = (goal?.logBytes ?? 0) + Buffer.byteLength(data);
    state.chainHead = prev;
    await this.writeSnapshot(paths, state);
    const snap = await fsp.stat(paths.snapshot);
    this.written.set(paths.dir, { goal: structuredClone(state), logSize: state.logBytes, snapSize: snap.size, snapMtimeMs: snap.mtimeMs });
    return ok(state);
  }

  /**
   * The writer's view: repair a torn tail (keeping the dropped bytes in a
   * side file and recording a log_repaired event), fold, and make sure
   * goal.json matches before anything new is appended.
   */
  async loadForWrite(paths: GoalPaths): Promise<Loaded> {
    // Fast path: nothing changed since this process wrote the goal (no re-parse of goal.json).
    const last = this.written.get(paths.dir);
    if (last !== undefined) {
      const [log, snap] = await Promise.all([fsp.stat(paths.events), fsp.stat(paths.snapshot).catch(() => undefined)]);
      if (log.size === last.logSize && snap?.size === last.snapSize && snap.mtimeMs === last.snapMtimeMs) {
        return { goal: structuredClone(last.goal), paths };
      }
      this.written.delete(paths.dir);
    }
    // The whole log is read and its chain checked: goal.json is not signed, so a writer never trusts it.
    this.key ??= await readLogKey(this.root);
    const folded = await foldGoal(paths, { full: true, auth: { goalId: path.basename(paths.dir), key: this.key } });
    if (this.key === undefined) {
      if ((folded.chain?.chainedLines ?? 0) > 0) throw new LogKeyMissingError(logKeyFile(this.root), path.basename(paths.dir));
      this.key = await ensureLogKey(this.root);
    }
    let goal = folded.goal;
    if (folded.tornTail !== undefined) {
      const savedTo = `events.jsonl.torn-${folded.validBytes}`;
      // The dropped bytes exactly as they were (they may be cut inside a UTF-8 character): their sha256 is recorded.
      await writeFileAtomic(path.join(paths.dir, savedTo), folded.tornTail);
      await truncateDurable(paths.events, folded.validBytes);
      const repaired = await this.commit(paths, goal, () => [
        { type: "log_repaired", actor: "system", data: { droppedBytes: folded.tornTail?.length ?? 0, sha256: sha256(folded.tornTail as Buffer), savedTo } },
      ]);
      if (!repaired.ok) throw new Error(`repairing log: ${repaired.error.message}`);
      goal = repaired.value;
    } else if (!folded.snapshotFresh) {
      await this.writeSnapshot(paths, goal);
    }
    await removeStaleTemps(paths.dir);
    // A crash after a terminal status but before its outcome file: finish it now (internal/outcomes.ts).
    goal = await repairOutcomeInLock(this.locked(paths), goal);
    return { goal, paths };
  }
}
