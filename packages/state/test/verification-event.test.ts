import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { type EventData, EventSchema, openStore, replayEvents } from "../src/index.js";

afterAll(cleanupTempDirs);

const SHA = "a".repeat(40);
const evidence = {
  name: "unit",
  kind: "test" as const,
  required: true,
  command: ["pnpm", "test"],
  cwd: "/repo",
  outcome: "failed" as const,
  exitCode: 1,
  signal: null,
  durationMs: 1200,
  logs: [{ path: "gates/r1/logs/unit.stdout.log", sha256: "b".repeat(64), bytes: 10 }],
  commit: SHA,
  dirty: false,
  baseline: "pre_existing_failure" as const,
  toolVersions: { node: "20.20.2" },
};
const recorded: EventData<"verification_recorded"> = {
  runId: "20260101T000000Z-abc123",
  verdict: "passed",
  commit: SHA,
  dirty: false,
  base: { ref: "main", commit: "c".repeat(40) },
  gates: [evidence],
  report: { path: "gates/20260101T000000Z-abc123/report.json", sha256: "d".repeat(64) },
};

describe("verification_recorded", () => {
  it("is stored with its gate evidence, leaves the goal's status alone, and replays to the same goal", async () => {
    const store = openStore({ root: makeTempDir() });
    const created = await store.createGoal({ text: "verify me", repoRoot: "/repo", limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    const after = await store.append(id, () => [{ type: "verification_recorded", actor: "user", data: recorded }]);
    expect(after.ok).toBe(true);
    if (!after.ok) return;
    expect(after.value).toMatchObject({ status: "created", lastSeq: 2 });
    const events = await store.readEvents(id);
    expect(events[1]).toMatchObject({ type: "verification_recorded", data: recorded });
    const replayed = replayEvents(events);
    expect(replayed.ok && { ...replayed.value, logBytes: after.value.logBytes, chainHead: after.value.chainHead }).toEqual(after.value);
  });

  it("refuses evidence that is not evidence (nothing is written)", async () => {
    const store = openStore({ root: makeTempDir() });
    const created = await store.createGoal({ text: "verify me", repoRoot: "/repo", limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
    if (!created.ok) throw new Error(created.error.message);
    const bad = await store.append(created.value.id, () => [{ type: "verification_recorded", actor: "user", data: { ...recorded, commit: "not-a-sha" } }]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/verification_recorded event is invalid: data\.commit/);
    expect(await store.readEvents(created.value.id)).toHaveLength(1);
    expect(
      EventSchema.safeParse({
        v: 1,
        seq: 2,
        ts: new Date().toISOString(),
        actor: "x",
        type: "verification_recorded",
        data: { ...recorded, gates: [{ ...evidence, outcome: "great" }] },
      }).success,
    ).toBe(false);
  });
});
