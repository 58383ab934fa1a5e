import { createHash } from "node:crypto";
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { UnsupportedSchemaVersionError } from "./errors.js";
import { requestResume } from "./lifecycle.js";
import { SCHEMA_VERSION } from "./schemas/common.js";
import { FailureSchema } from "./schemas/outcome.js";
import { type GoalStore, openStore } from "./store.js";

afterAll(cleanupTempDirs);

/** Frozen state roots written by released schema versions (see fixtures/README.md). */
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const CANCELLED = "01jabcdefghjkmnpqrstvwxyz0";
const PAUSED = "01jabcdefghjkmnpqrstvwxyz1";
const NOW = new Date("2025-06-10T12:00:00.000Z");

/** A scratch copy of a fixture state root, so tests never touch the frozen files. */
function openFixture(version: string): { store: GoalStore; root: string; file: (id: string, name: string) => string } {
  const root = makeTempDir("omk-schema-");
  cpSync(path.join(FIXTURES, version), root, { recursive: true });
  const store = openStore({ root, now: () => NOW });
  return { store, root, file: (id, name) => path.join(store.paths(id).dir, name) };
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

describe("schema version 1 fixtures", () => {
  it("lists both goals, oldest first", async () => {
    const { store } = openFixture("v1");
    expect(await store.listGoalIds()).toEqual([CANCELLED, PAUSED]);
    expect(await store.latestGoalId()).toBe(PAUSED);
  });

  it("loads the cancelled goal with its status, budget and usage", async () => {
    const { store, file } = openFixture("v1");
    const goal = await store.readGoal(CANCELLED);
    expect(goal).toMatchObject({
      id: CANCELLED,
      schemaVersion: SCHEMA_VERSION,
      status: "cancelled",
      statusCause: { code: "cancelled_by_user", message: "cancelled by the user: superseded by a smaller goal" },
      phase: "planning",
      repoRoot: "/repo",
      budget: { limits: { timeMs: 9_000_000, tokens: 2_000_000, usd: 15 }, maxAgents: 3, extensions: 1 },
      usage: {
        timeMs: 680_000,
        tokens: { input: 17_960, cacheRead: 96_512, cacheWrite: 8_204, output: 5_001 },
        usd: 0.4213,
        usdUnknownRecords: 1,
        records: 2,
      },
      runningSince: null,
      outcome: { file: "failure.json", seq: 13, status: "cancelled" },
      lastSeq: 13,
    });
    const events = await store.readEvents(CANCELLED);
    expect(events.map((e) => e.type)).toEqual([
      "goal_created",
      "status_changed",
      "lock_acquired",
      "phase_changed",
      "phase_changed",
      "usage_recorded",
      "status_changed",
      "usage_recorded",
      "lock_released",
      "budget_extended",
      "status_changed",
      "status_changed",
      "outcome_recorded",
    ]);
    // failure.json still parses, and is the file the log recorded.
    const failureText = readFileSync(file(CANCELLED, "failure.json"), "utf8");
    const failure = FailureSchema.parse(JSON.parse(failureText));
    expect(failure).toMatchObject({ goalId: CANCELLED, status: "cancelled", resume: { command: null }, lastSeq: 12 });
    expect(events.at(-1)).toMatchObject({ type: "outcome_recorded", data: { file: "failure.json", sha256: sha256(failureText) } });
  });

  it("loads the paused goal with its task graph, answer and repaired log", async () => {
    const { store, file } = openFixture("v1");
    const goal = await store.readGoal(PAUSED);
    expect(goal).toMatchObject({
      status: "paused",
      phase: "oracle",
      baseCommit: null,
      budget: { limits: { timeMs: 3_600_000, tokens: null, usd: 4 }, extensions: 0 },
      usage: { timeMs: 855_000, usd: 0.7731, usdUnknownRecords: 0, records: 1 },
      amendments: [{ seq: 8, answer: "git 2.38 is the minimum; older is an error, not a warning" }],
      outcome: null,
      lastSeq: 11,
    });
    expect(goal.taskGraph?.tasks.map((t) => [t.id, t.role, t.dependencies])).toEqual([
      ["t1-doctor-git", "implementer", []],
      ["t2-doctor-test", "tester", ["t1-doctor-git"]],
    ]);
    const repaired = (await store.readEvents(PAUSED)).find((e) => e.type === "log_repaired");
    const torn = readFileSync(file(PAUSED, "events.jsonl.torn-2503"));
    expect(repaired?.data).toEqual({ droppedBytes: torn.length, sha256: sha256(torn), savedTo: "events.jsonl.torn-2503" });
  });

  it.each([CANCELLED, PAUSED])("replays %s to exactly its goal.json", async (id) => {
    const { store, file } = openFixture("v1");
    const report = await store.replay(id);
    expect(report.tornTailBytes).toBe(0);
    if (SCHEMA_VERSION === 1) {
      expect(report.differences).toEqual([]);
      // A log written before the chain: its goal.json plus the hash of its last line (the head the next, chained line follows).
      const lines = readFileSync(file(id, "events.jsonl"), "utf8").trimEnd().split("\n");
      const chainHead = sha256(Buffer.from(lines[lines.length - 1] as string));
      expect(report.goal).toEqual({ ...JSON.parse(readFileSync(file(id, "goal.json"), "utf8")), chainHead });
      expect(report.chain).toMatchObject({ unchainedLines: lines.length, chainedLines: 0, head: chainHead });
    } else {
      // A snapshot of an older version is ignored and rebuilt, never migrated.
      expect(report.differences).toEqual(["goal.json is missing or unreadable"]);
    }
  });

  it("keeps working for writers: extend, resume, and the snapshot stays current", async () => {
    const { store, file } = openFixture("v1");
    const extended = await store.extendBudget(PAUSED, { usd: 1 });
    expect(extended.ok && extended.value).toMatchObject({ schemaVersion: SCHEMA_VERSION, budget: { limits: { usd: 5 }, extensions: 1 }, lastSeq: 12 });
    const resumed = await requestResume(store, PAUSED, { now: () => NOW });
    expect(resumed.ok && resumed.value).toMatchObject({ status: "running", runningSince: NOW.toISOString(), lastSeq: 13 });

    const lines = readFileSync(file(PAUSED, "events.jsonl"), "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(13);
    for (const line of lines.slice(11)) expect(JSON.parse(line)).toMatchObject({ v: SCHEMA_VERSION });
    const snapshot = JSON.parse(readFileSync(file(PAUSED, "goal.json"), "utf8"));
    expect(snapshot).toMatchObject({ schemaVersion: SCHEMA_VERSION, status: "running", lastSeq: 13 });
    expect((await store.replay(PAUSED)).differences).toEqual([]);
  });

  it("rebuilds the cancelled goal's snapshot from its log; cancelled stays final", async () => {
    const { store, file } = openFixture("v1");
    const log = readFileSync(file(CANCELLED, "events.jsonl"));
    const rebuilt = await store.rebuildSnapshot(CANCELLED);
    expect(rebuilt).toMatchObject({ schemaVersion: SCHEMA_VERSION, status: "cancelled", lastSeq: 13, logBytes: log.length });
    expect(JSON.parse(readFileSync(file(CANCELLED, "goal.json"), "utf8"))).toEqual(rebuilt);

    const refused = await store.extendBudget(CANCELLED, { usd: 1 });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toMatch(/cancelled/);
    expect(readFileSync(file(CANCELLED, "events.jsonl")).equals(log)).toBe(true);
    expect((await store.replay(CANCELLED)).differences).toEqual([]);
  });

  describe("goal.json is derived: one of another version, or none, is rebuilt from the log", () => {
    const variants: Array<[string, (snapshot: Record<string, unknown>) => Record<string, unknown> | undefined]> = [
      ["schemaVersion 0", (s) => ({ ...s, schemaVersion: 0 })],
      ["no schemaVersion", ({ schemaVersion: _, ...rest }) => rest],
      // An old snapshot may carry fields and values the current schema rejects; it must not matter.
      ["schemaVersion 0 with an old shape", (s) => ({ schemaVersion: 0, id: s["id"], state: "PAUSED", spent: 12 })],
      ["missing goal.json", () => undefined],
    ];

    it.each(variants)("%s", async (_name, change) => {
      const { store, file } = openFixture("v1");
      const expected = (await store.replay(PAUSED)).goal;
      const snapshotFile = file(PAUSED, "goal.json");
      const changed = change(JSON.parse(readFileSync(snapshotFile, "utf8")));
      if (changed === undefined) rmSync(snapshotFile);
      else writeFileSync(snapshotFile, `${JSON.stringify(changed, null, 2)}\n`);

      // Readers fold the log instead and never write.
      expect(await store.readGoal(PAUSED)).toEqual(expected);
      expect((await store.replay(PAUSED)).differences).toEqual(["goal.json is missing or unreadable"]);

      // The next writer rewrites the snapshot at the current version.
      const extended = await store.extendBudget(PAUSED, { timeMs: 60_000 });
      expect(extended.ok).toBe(true);
      expect(JSON.parse(readFileSync(snapshotFile, "utf8"))).toMatchObject({ schemaVersion: SCHEMA_VERSION, status: "paused", lastSeq: 12 });
      expect((await store.replay(PAUSED)).differences).toEqual([]);
    });
  });

  describe("an event line from a newer omk", () => {
    const newer = SCHEMA_VERSION + 1;
    const line = (seq: number) =>
      `${JSON.stringify({ v: newer, seq, ts: "2025-06-04T09:00:00.000Z", type: "usage_recorded", actor: "controller", data: { source: "engine:x", tokens: { input: 1, cacheRead: 0, cacheWrite: 0, output: 1 }, usd: 0.01, newField: true } })}\n`;

    it("is refused with UnsupportedSchemaVersionError telling the user to upgrade omk", async () => {
      const { store, file } = openFixture("v1");
      appendFileSync(file(PAUSED, "events.jsonl"), line(12));
      const error = await store.readGoal(PAUSED).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedSchemaVersionError);
      expect(error).toMatchObject({ code: "OMK_STATE_SCHEMA_TOO_NEW", fix: expect.stringMatching(/upgrade omk/) });
      expect((error as Error).message).toMatch(new RegExp(`line 12 has schema version ${newer}; this omk reads versions up to ${SCHEMA_VERSION}`));
      await expect(store.readEvents(PAUSED)).rejects.toBeInstanceOf(UnsupportedSchemaVersionError);
      await expect(store.replay(PAUSED)).rejects.toBeInstanceOf(UnsupportedSchemaVersionError);
    });

    it("is never repaired away or appended after by an older writer", async () => {
      const { store, file } = openFixture("v1");
      appendFileSync(file(PAUSED, "events.jsonl"), line(12));
      const log = readFileSync(file(PAUSED, "events.jsonl"));
      const snapshot = readFileSync(file(PAUSED, "goal.json"));
      await expect(store.extendBudget(PAUSED, { usd: 1 })).rejects.toBeInstanceOf(UnsupportedSchemaVersionError);
      await expect(store.rebuildSnapshot(PAUSED)).rejects.toBeInstanceOf(UnsupportedSchemaVersionError);
      expect(readFileSync(file(PAUSED, "events.jsonl")).equals(log)).toBe(true);
      expect(readFileSync(file(PAUSED, "goal.json")).equals(snapshot)).toBe(true);
    });

    it("is refused even when it is the first line of the log", async () => {
      const { store, file } = openFixture("v1");
      const events = file(CANCELLED, "events.jsonl");
      const [first, ...rest] = readFileSync(events, "utf8").split("\n");
      writeFileSync(events, [JSON.stringify({ ...JSON.parse(first ?? ""), v: newer }), ...rest].join("\n"));
      rmSync(file(CANCELLED, "goal.json"));
      await expect(store.readGoal(CANCELLED)).rejects.toBeInstanceOf(UnsupportedSchemaVersionError);
    });
  });
});
