// Task caps fitted to what a goal has left: an engine that reports usage only at the end of a turn keeps one
// reservation of the room for the overshoot of the turn that crosses a cap.
import { openStore, type TaskGraph } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { fitTaskCaps } from "../src/internal/task-caps.js";

afterAll(cleanupTempDirs);

const task = (id: string) => ({
  id,
  title: `Task ${id}`,
  description: "do it",
  role: "implementer" as const,
  dependencies: [],
  reads: [],
  writes: [`src/${id}.js`],
  acceptance: [],
  budget: { timeMs: 600_000, tokens: 200_000, usd: 1 },
  status: "pending" as const,
});

describe("fitTaskCaps", () => {
  it("shares the tokens and USD room by the tasks at once, plus one when usage arrives only at turn end", async () => {
    const store = openStore({ root: makeTempDir() });
    const created = await store.createGoal({ text: "x", repoRoot: makeTempDir(), limits: { timeMs: null, tokens: 100_000, usd: 2 }, maxAgents: 2 });
    if (!created.ok) throw new Error(created.error.message);
    const graph = { schemaVersion: 1, tasks: [task("a"), task("b")] } as unknown as TaskGraph;
    const live = fitTaskCaps(created.value, graph, new Date(), { usageAtTurnEnd: false });
    const turnEnd = fitTaskCaps(created.value, graph, new Date(), { usageAtTurnEnd: true });
    // Room: 100k - 10% reserve = 90k tokens, $1.80; two tasks at once.
    expect(live.changed.get("a")).toMatchObject({ tokens: 45_000, usd: 0.9 });
    expect(turnEnd.changed.get("a")).toMatchObject({ tokens: 30_000, usd: 0.6 });
    // The reservations of the tasks at once plus one more (an overshoot of up to one reservation) fit the room.
    const caps = turnEnd.changed.get("a")?.tokens ?? 0;
    expect(2 * caps + caps).toBeLessThanOrEqual(90_000);
  });
});
