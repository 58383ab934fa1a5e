// `omk goal run --json` prints one controller event per line, and every line is what the published
// JSON Schema (docs/schemas/controller-event.schema.json) says: checked through the built binary on a
// scripted two-round goal, against the schema file itself and against the zod schema it is made from.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ControllerEventSchema, controllerJsonSchemas, readRoundVerdictFile } from "@omk/controller";
import { parseReviewRecord } from "@omk/review";
import { SCHEMA_DIR, staleSchemaFiles } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { FEATURE_GOAL, followUpBook } from "./e2e/books.js";
import { cleanupE2e, describeRun, EXIT_BY_STATUS, goalDirOf, newWorld, scripted } from "./e2e/helpers.js";

afterAll(cleanupE2e);

const readSchema = (file: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), "utf8"));

/**
 * A validator of the published file: controller-event.schema.json with its `$ref` to event.schema.json
 * (goal_event's event) resolved from the file beside it, turned into a validator by zod's JSON Schema reader.
 */
function publishedValidator(): z.ZodType {
  const { $schema: _s, $id: _i, title: _t, ...goalEvent } = readSchema("event.schema.json");
  const resolved = JSON.parse(JSON.stringify(readSchema("controller-event.schema.json")), (_key, value: unknown) =>
    value !== null && typeof value === "object" && (value as { $ref?: unknown }).$ref === "event.schema.json" ? goalEvent : value,
  );
  expect(JSON.stringify(resolved)).not.toContain('"$ref"');
  return z.fromJSONSchema(resolved);
}

describe("omk goal run --json (e2e, scripted engine)", () => {
  it("the published schema of the event stream is fresh", () => {
    expect(staleSchemaFiles(controllerJsonSchemas(), "pnpm --filter @omk/controller gen:schemas")).toEqual([]);
  });

  it("prints only events, one per line, each valid against docs/schemas/controller-event.schema.json", { timeout: 180_000 }, async () => {
    const w = await newWorld();
    // An uncommitted file: the run says so (tree_dirty) and leaves it out.
    writeFileSync(path.join(w.repo, "notes.txt"), "scratch\n");
    const run = await w.omk("goal", "run", FEATURE_GOAL, "--until-ready", "--json", ...scripted(w.book("follow-up", followUpBook("fix"))));
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.ready);
    // (the run helper drops the final newline)
    const lines = run.stdout.split("\n");
    const events = lines.map((line) => JSON.parse(line) as unknown);

    const published = publishedValidator();
    for (const [i, event] of events.entries()) {
      const checked = published.safeParse(event);
      expect(checked.success, `line ${i + 1} against the JSON Schema: ${lines[i]?.slice(0, 300)}\n${JSON.stringify(checked.error?.issues.slice(0, 3))}`).toBe(
        true,
      );
      // The zod schema too, and nothing it does not declare (a key it does not know would be stripped).
      const parsed = ControllerEventSchema.safeParse(event);
      expect(parsed.success, `line ${i + 1} against ControllerEventSchema: ${parsed.error?.message}`).toBe(true);
      expect(parsed.data, `line ${i + 1} carries only declared keys`).toEqual(event);
    }

    // The run's whole story is there: both rounds, every kind of progress the live view draws.
    const types = new Set(events.map((e) => (e as { type: string }).type));
    for (const type of [
      "run_started",
      "tree_dirty",
      "phase_started",
      "phase_finished",
      "task_update",
      "gate_finished",
      "review_finished",
      "round_started",
      "goal_event",
      "run_finished",
    ]) {
      expect(types, type).toContain(type);
    }
    const last = ControllerEventSchema.parse(events.at(-1));
    expect(last).toMatchObject({ type: "run_finished", status: "ready" });

    // The validator of the published file does reject what is not an event.
    const first = events[0] as Record<string, unknown>;
    expect(published.safeParse({ ...first, type: "run_exploded" }).success).toBe(false);
    expect(published.safeParse({ type: "note", level: "loud", message: "x" }).success).toBe(false);
    expect(published.safeParse({ type: "goal_event", event: { type: "goal_created" } }).success).toBe(false);

    // The round verdicts and review records the run wrote read back through their schemas.
    const goalDir = goalDirOf(w.stateDir, last.type === "run_finished" ? last.goalId : "");
    const verdicts = readdirSync(path.join(goalDir, "rounds")).filter((f) => /^r\d+\.json$/u.test(f));
    expect(verdicts.length).toBeGreaterThan(0);
    for (const f of verdicts)
      expect(readRoundVerdictFile(path.join(goalDir, "rounds", f)), f).toMatchObject({ ok: true, value: { round: expect.any(Number) } });
    const records = readdirSync(path.join(goalDir, "reviews")).filter((f) => f.endsWith(".json"));
    expect(records.length).toBeGreaterThan(0);
    for (const f of records) expect(parseReviewRecord(readFileSync(path.join(goalDir, "reviews", f), "utf8"), f), f).toMatchObject({ ok: true });
  });
});
