// store.tailEvents: the last events of a log from its tail only, each line parsed by the event schema.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runningGoal } from "../test/store-setup.js";

afterAll(cleanupTempDirs);

async function goalWithPhases() {
  const { store, id } = await runningGoal("omk-tail-");
  await store.setPhase(id, "intake");
  await store.setPhase(id, "planning");
  return { store, id, events: store.paths(id).events };
}

describe("store.tailEvents", () => {
  it("returns the whole log when it is shorter than the tail, parsed (typed data)", async () => {
    const { store, id } = await goalWithPhases();
    const tail = await store.tailEvents(id);
    expect(tail.map((e) => e.type)).toEqual((await store.readEvents(id)).map((e) => e.type));
    const last = tail.at(-1);
    expect(last?.type === "phase_changed" && last.data.to).toBe("planning");
  });

  it("reads only the last bytes: the partial first line is dropped, the later lines are kept", async () => {
    const { store, id, events } = await goalWithPhases();
    const lines = readFileSync(events, "utf8").trimEnd().split("\n");
    const lastTwo = Buffer.byteLength(`${lines.at(-2)}\n${lines.at(-1)}\n`);
    // A few bytes more than the last two lines: the third-last line is cut, so skipped.
    const tail = await store.tailEvents(id, lastTwo + 5);
    expect(tail.map((e) => e.seq)).toEqual([lines.length - 1, lines.length]);
  });

  it("skips a torn last line and a line that is JSON but not an event", async () => {
    const { store, id, events } = await goalWithPhases();
    const before = await store.tailEvents(id);
    appendFileSync(events, `${JSON.stringify({ type: "phase_changed", ts: "2026-01-01T00:00:00.000Z", data: { to: 7 } })}\n{"v":1,"seq":99,"ty`);
    expect((await store.tailEvents(id)).map((e) => e.seq)).toEqual(before.map((e) => e.seq));
  });

  it("a goal whose log is empty has no events", async () => {
    const { store, id, events } = await goalWithPhases();
    writeFileSync(events, "");
    expect(await store.tailEvents(id)).toEqual([]);
  });
});
