// runGoal's not_ready paths and the --until-ready rounds: real git, the real scripted engine, real gates.
import { readFileSync } from "node:fs";
import { FailureSchema, ProofSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import { bookProvider, collect, GOAL_TEXT, makeGoal, makeRepo, message, readyBook, SLUGIFY_BUGGY, SLUGIFY_SRC, SLUGIFY_TEST, turn, usage, write } from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

const buggyTask = turn(usage(800, 300), write("src/slugify.js", SLUGIFY_BUGGY), write("test/slugify.test.js", SLUGIFY_TEST), message("Done, all good."));

describe("runGoal: not ready", () => {
  it("ends not_ready with failure.json naming the failing gate when the agent claims done while the gate fails", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook({ "task:slugify": buggyTask })), scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status).toBe("not_ready");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("gates_failed");
    const failing = (failure.cause.details?.["failing"] ?? []) as { key: string; detail: string }[];
    expect(failing.map((f) => f.key)).toContain("gate:test");
    expect(failing.find((f) => f.key === "gate:test")?.detail).toContain("slugify joins words with dashes");
    expect(failure.evidence.some((e) => e.startsWith("gates/"))).toBe(true);
    expect(failure.resume.command).toBe(`omk goal resume ${goalId}`);
  }, 60_000);

  it("with untilReady, plans fix-r2 from the failing evidence and ends ready in round 2 on the same goal", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const { events, onEvent } = collect();
    const book = readyBook({ "task:slugify": buggyTask, "task:fix-r2": turn(usage(600, 200), write("src/slugify.js", SLUGIFY_SRC), message("Fixed.")) });
    const result = await runGoal({ store, goalId, engine: bookProvider(book), untilReady: true, onEvent, scheduler: { pollMs: 50 } });
    const why = result.ok && result.value.outcomeFile !== null && result.value.status !== "ready" ? readFileSync(result.value.outcomeFile, "utf8") : "";
    expect(result.ok && result.value.status, why).toBe("ready");
    const goal = await store.readGoal(goalId);
    expect(goal.round).toBe(2);
    const fix = goal.taskGraph?.tasks.find((t) => t.id === "fix-r2");
    expect(fix?.status).toBe("done");
    expect(fix?.description).toContain("gate test failed");
    expect(events.find((e) => e.type === "round_started")).toMatchObject({ round: 2, followUps: ["fix-r2"] });
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.tasks.map((t) => t.id).sort()).toEqual(["fix-r2", "slugify"]);
    expect(proof.headCommit).toBe(goal.headCommit);
  }, 90_000);

  it("with untilReady, reports stagnation when the follow-up round changes nothing, instead of looping", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const book = readyBook({ "task:slugify": buggyTask, "task:*": turn(usage(100, 50), message("Looked at it; it is fine.")) });
    const result = await runGoal({ store, goalId, engine: bookProvider(book), untilReady: true, maxRounds: 5, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status).toBe("not_ready");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("stagnation");
    expect(failure.cause.message).toContain("round 2 changed nothing");
    expect((await store.readGoal(goalId)).round).toBe(2);
  }, 60_000);

  it("ends not_ready with cause review_blocked when the reviewer blocks, and plans engine follow-ups when the book offers them", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const blocked = turn(usage(300, 50), message('{"verdict":"blocked","findings":[{"severity":"blocker","message":"slugify keeps leading dashes","file":"src/slugify.js"}]}'));
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook({ "review:reviewer": blocked })), scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status).toBe("not_ready");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("review_blocked");
    expect(JSON.stringify(failure.cause.details)).toContain("slugify keeps leading dashes");
    const events = await store.readEvents(goalId);
    expect(events.filter((e) => e.type === "review_recorded").map((e) => e.type === "review_recorded" && `${e.data.pass}:${e.data.verdict}`).sort()).toEqual([
      "deterministic:passed",
      "reviewer:blocked",
      "security-reviewer:passed",
    ]);
    // Resumed on purpose, the not_ready goal plans its follow-ups (here by the engine) and runs round 2.
    const followups = {
      tasks: [
        {
          id: "trim-dashes",
          title: "Trim leading dashes",
          description: "slugify must not keep leading dashes.",
          role: "implementer",
          dependencies: [],
          reads: [],
          writes: ["src/slugify.js"],
          acceptance: ["acceptance-tests"],
          budget: { timeMs: 600000, tokens: 100000, usd: 1 },
        },
      ],
    };
    const book2 = readyBook({
      followups: turn(usage(200, 100), message(JSON.stringify(followups))),
      "task:trim-dashes": turn(usage(300, 100), write("src/slugify.js", `${SLUGIFY_SRC}// trims dashes\n`), message("Trimmed.")),
    });
    const resumed = await runGoal({ store, goalId, engine: bookProvider(book2), scheduler: { pollMs: 50 } });
    expect(resumed.ok && resumed.value.status).toBe("ready");
    const goal = await store.readGoal(goalId);
    expect(goal.round).toBe(2);
    expect(goal.taskGraph?.tasks.map((t) => t.id)).toContain("trim-dashes");
  }, 90_000);

  it("ends an ambiguous goal blocked_on_human with the questions, before any plan", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, "make it better");
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook()) });
    expect(result.ok && result.value.status).toBe("blocked_on_human");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("needs_answer");
    expect(failure.cause.details?.["questions"]).toEqual(expect.arrayContaining([expect.any(String)]));
    expect((await store.readGoal(goalId)).taskGraph).toBeNull();
  }, 30_000);
});
