/**
 * Setting aside a forged log tail: the lines from the first one that fails
 * the chain or its MAC to the end are saved in
 * `events.jsonl.forged-<offset>`, the log cut there, log_quarantined
 * recorded, and a running goal ended not_ready with cause tampering.
 * GoalStore.quarantineForgedTail (../store.ts) is the way in.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { sha256 } from "@omk/core";
import { LogTamperedError } from "../errors.js";
import type { GoalPaths } from "../paths.js";
import type { Goal } from "../schemas/goal.js";
import type { QuarantineReport } from "../store-types.js";
import { truncateDurable, writeFileAtomic } from "./fs.js";
import { readLog } from "./log.js";
import { withLeaseMutex } from "./mutex.js";
import type { GoalWriter } from "./writer.js";

/** The forged tail of the goal at `paths` set aside (undefined: the log is intact). Takes the append mutex. */
export function quarantineForgedTail(writer: GoalWriter, paths: GoalPaths, mutexWaitMs: number, actor: string): Promise<QuarantineReport | undefined> {
  return withLeaseMutex(paths.appendMutex, mutexWaitMs, async () => {
    let forged: LogTamperedError;
    try {
      await readLog(paths.events, { auth: await writer.readAuth(paths) });
      return undefined;
    } catch (error) {
      if (!(error instanceof LogTamperedError)) throw error;
      forged = error;
    }
    const bytes = await fsp.readFile(paths.events);
    const dropped = bytes.subarray(forged.offset);
    const savedTo = `events.jsonl.forged-${forged.offset}`;
    await writeFileAtomic(path.join(paths.dir, savedTo), dropped);
    await truncateDurable(paths.events, forged.offset);
    writer.forget(paths.dir);
    const reason = forged.reason;
    const current = await writer.loadForWrite(paths);
    const recorded = await writer.commit(paths, current.goal, () => [
      { type: "log_quarantined", actor, data: { fromLine: forged.line, droppedBytes: dropped.length, sha256: sha256(dropped), savedTo, reason } },
    ]);
    if (!recorded.ok) throw new Error(`recording the quarantine: ${recorded.error.message}`);
    let goal = recorded.value;
    if (goal.status === "running") {
      const cause = {
        code: "tampering" as const,
        message: `the event log was changed outside omk from line ${forged.line} on (set aside in ${savedTo})`,
        details: { savedTo, fromLine: forged.line },
      };
      const ended = await writer.commit(paths, goal, (g) => [{ type: "status_changed", actor, data: { from: (g as Goal).status, to: "not_ready", cause } }]);
      if (!ended.ok) throw new Error(`ending the goal: ${ended.error.message}`);
      goal = await writer.recordOutcome(paths, ended.value, { cause, evidence: [savedTo] });
    }
    return { fromLine: forged.line, droppedBytes: dropped.length, savedTo, reason, goal };
  });
}
