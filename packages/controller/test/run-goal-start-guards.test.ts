// The controller's own guards at the start of a run: a broken gates config stops it at intake; uncommitted work is named.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FailureSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import { bookProvider, collect, GOAL_TEXT, makeGoal, makeRepo, readyBook } from "./run-goal-fixture.js";

afterAll(() => (process.env["OMK_KEEP_TMP"] === undefined ? cleanupTempDirs() : undefined));

describe("runGoal at the start", () => {
  it("a broken .omk/gates.yaml stops the run at intake: blocked_on_human, cause config_invalid with the file, line:col, schema path and fix", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    mkdirSync(path.join(repo, ".omk"), { recursive: true });
    writeFileSync(path.join(repo, ".omk", "gates.yaml"), "gates:\n  - name: unit\n    kind: tset\n    command: [node, --test]\n");
    const { events, onEvent } = collect();
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook()), onEvent, stopAfter: "oracle" });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("blocked_on_human");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause).toMatchObject({
      code: "config_invalid",
      message: expect.stringMatching(/^the gates config is broken: .*gates\.yaml:3:11: gates\.0\.kind: /),
      details: {
        file: path.join(repo, ".omk", "gates.yaml"),
        line: 3,
        col: 11,
        path: "gates.0.kind",
        fix: expect.stringMatching(/^correct gates\.yaml at line 3/),
      },
    });
    expect(failure.resume).toEqual({ command: `omk goal resume ${goalId}`, hint: expect.stringMatching(/^correct gates\.yaml at line 3 .*; then resume$/) });
    // It never got to planning (no unrelated planning failure).
    expect(events.some((e) => e.type === "phase_started" && e.phase === "planning")).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ type: "phase_finished", phase: "intake", outcome: "failed" }));
  }, 60_000);

  it("uncommitted files are named (tree_dirty, up to 10 then 'and K more') and recorded in the log (worktree_dirty_noted); the run goes on from the base", async () => {
    const { repo, base } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    writeFileSync(path.join(repo, "README.md"), "# edited\n");
    for (let i = 0; i < 11; i++) writeFileSync(path.join(repo, `notes-${String(i).padStart(2, "0")}.txt`), "x\n");
    const { events, onEvent } = collect();
    const runOptions = { engine: "scripted", untilReady: false, overridden: [] };
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook()), onEvent, stopAfter: "oracle", runOptions });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("running");
    const dirty = events.find((e) => e.type === "tree_dirty");
    expect(dirty).toMatchObject({ type: "tree_dirty", baseCommit: base, more: 2 });
    expect(dirty?.type === "tree_dirty" && dirty.files).toEqual([
      "README.md",
      ...Array.from({ length: 9 }, (_, i) => `notes-${String(i).padStart(2, "0")}.txt`),
    ]);
    expect(dirty?.type === "tree_dirty" && dirty.message).toMatch(
      /^the working tree has 12 uncommitted files the run leaves out \(it starts from commit [0-9a-f]{12}\): README\.md, notes-00\.txt, .* and 2 more — fix: .*commit them.*stash them/,
    );
    // Named before the run's first phase.
    expect(events.findIndex((e) => e.type === "tree_dirty")).toBeLessThan(events.findIndex((e) => e.type === "phase_started"));
    const noted = (await store.readEvents(goalId)).find((e) => e.type === "worktree_dirty_noted");
    expect(noted?.data).toEqual({ files: dirty?.type === "tree_dirty" ? dirty.files : [], more: 2, baseCommit: base });
  }, 60_000);

  it("a clean tree gets no word", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const { events, onEvent } = collect();
    await runGoal({
      store,
      goalId,
      engine: bookProvider(readyBook()),
      onEvent,
      stopAfter: "oracle",
      runOptions: { engine: "scripted", untilReady: false, overridden: [] },
    });
    expect(events.some((e) => e.type === "tree_dirty")).toBe(false);
    expect((await store.readEvents(goalId)).some((e) => e.type === "worktree_dirty_noted")).toBe(false);
  }, 60_000);
});
