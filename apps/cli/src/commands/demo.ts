import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { budgetReport, openStore, requestCancel, requestPause, requestResume } from "@omk/state";
import type { Context } from "../context.js";
import { CommandFailed } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { budgetLines } from "../render/goal.js";

/**
 * Until the controller lands (issue: `omk goal run`), `omk demo` walks the
 * goal lifecycle on a scratch goal in a temporary state dir: create, pause,
 * resume, budget, extend, cancel, replay. It never touches your state.
 */
export async function demo(ctx: Context): Promise<number> {
  const root = mkdtempSync(path.join(os.tmpdir(), "omk-demo-"));
  const store = openStore({ root });
  const step = (text: string) => ctx.stdout(`• ${text}\n`);
  ctx.stdout("omk demo: the full goal run arrives with the controller; for now this walks the goal lifecycle on a scratch goal\n");
  step(`state dir ${root}`);
  const created = await store.createGoal({
    text: "Scratch goal: show the lifecycle",
    repoRoot: ctx.cwd,
    limits: { timeMs: 3_600_000, tokens: 1_000, usd: 1 },
    maxAgents: 2,
  });
  if (!created.ok) throw new CommandFailed(EXIT.internal, created.error.message);
  const id = created.value.id;
  step(`created goal ${id}`);
  const expect = async <T extends { ok: boolean }>(what: string, r: Promise<T>) => {
    const v = await r;
    if (!v.ok) throw new CommandFailed(EXIT.internal, `demo step failed: ${what}`);
    return v;
  };
  await expect("pause", requestPause(store, id));
  step("paused");
  await expect("resume", requestResume(store, id));
  step("resumed: running");
  await store.recordUsage(id, { source: "demo", tokens: { input: 700, cacheRead: 100, cacheWrite: 0, output: 300 }, usd: 0.2 });
  const exhausted = await store.readGoal(id);
  step(`recorded 1,100 tokens against a 1,000-token budget: ${exhausted.status}`);
  for (const line of budgetLines(budgetReport(exhausted, new Date()))) ctx.stdout(`    ${line}\n`);
  await expect("budget-add", store.extendBudget(id, { tokens: 5_000 }));
  step("budget-add --tokens 5000");
  await expect("resume", requestResume(store, id));
  step("resumed: running");
  await expect("cancel", requestCancel(store, id, "user", "demo over"));
  step(`cancelled; failure record at ${store.paths(id).failure}`);
  const replay = await store.replay(id);
  step(`replayed ${replay.events.length} events: ${replay.differences.length === 0 ? "goal.json matches the log" : "MISMATCH"}`);
  ctx.stdout(`try: OMK_STATE_DIR=${root} omk goal show ${id}\n`);
  return replay.differences.length === 0 ? EXIT.ok : EXIT.notReady;
}
