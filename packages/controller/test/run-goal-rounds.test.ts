// runGoal's not_ready paths and the --until-ready rounds: real git, the real scripted engine, real gates.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FailureSchema, ProofSchema } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import {
  bookProvider,
  collect,
  GOAL_TEXT,
  makeGoal,
  makeRepo,
  message,
  PROJECT,
  readyBook,
  SLUGIFY_BUGGY,
  SLUGIFY_SRC,
  SLUGIFY_TEST,
  turn,
  usage,
  write,
} from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

const buggyTask = turn(usage(800, 300), write("src/slugify.js", SLUGIFY_BUGGY), write("test/slugify.test.js", SLUGIFY_TEST), message("Done, all good."));

describe.concurrent("runGoal: not ready", () => {
  it("ends not_ready naming the failing gate and its logs when the agent claims done; a resume plans fix-r2 from that evidence and ends ready in round 2", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const book = readyBook({ "task:slugify": buggyTask, "task:fix-r2": turn(usage(600, 200), write("src/slugify.js", SLUGIFY_SRC), message("Fixed.")) });
    const started = Date.now();
    const result = await runGoal({ store, goalId, engine: bookProvider(book), scheduler: { pollMs: 50 } });
    const elapsed = Date.now() - started;
    expect(result.ok && result.value.status).toBe("not_ready");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("gates_failed");
    const failing = (failure.cause.details?.["failing"] ?? []) as { key: string; detail: string }[];
    expect(failing.map((f) => f.key)).toContain("gate:test");
    expect(failing.find((f) => f.key === "gate:test")?.detail).toContain("slugify joins words with dashes");
    expect(failure.evidence.some((e) => e.startsWith("gates/"))).toBe(true);
    // The failing gate's own logs are evidence too, as files of the goal dir.
    const logs = failure.evidence.filter((e) => /^gates\/[^/]+\/logs\/test\.[a-z]+\.log$/u.test(e));
    expect(logs.length, failure.evidence.join(", ")).toBeGreaterThan(0);
    expect(logs.some((l) => readFileSync(path.join(store.paths(goalId).dir, l), "utf8").includes("slugify joins words with dashes"))).toBe(true);
    expect(failure.resume.command).toBe(`omk goal resume ${goalId}`);
    // The time the run took is spent: failure.json closes the running interval.
    expect(failure.spend.timeMs).toBeGreaterThan(0);
    expect(failure.spend.timeMs).toBeLessThanOrEqual(elapsed);

    // Resumed with --until-ready, the not_ready goal plans fix-r2 from the failing evidence and ends ready in round 2.
    const { events, onEvent } = collect();
    const resumed = await runGoal({ store, goalId, engine: bookProvider(book), untilReady: true, onEvent, scheduler: { pollMs: 50 } });
    const why = resumed.ok && resumed.value.outcomeFile !== null && resumed.value.status !== "ready" ? readFileSync(resumed.value.outcomeFile, "utf8") : "";
    expect(resumed.ok && resumed.value.status, why).toBe("ready");
    const goal = await store.readGoal(goalId);
    expect(goal.round).toBe(2);
    const fix = goal.taskGraph?.tasks.find((t) => t.id === "fix-r2");
    expect(fix?.status).toBe("done");
    expect(fix?.description).toContain("gate test failed");
    expect(events.find((e) => e.type === "round_started")).toMatchObject({ round: 2, followUps: ["fix-r2"] });
    expect(events.find((e) => e.type === "run_started")).toMatchObject({ resumed: true });
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.tasks.map((t) => t.id).sort()).toEqual(["fix-r2", "slugify"]);
    expect(proof.headCommit).toBe(goal.headCommit);
  }, 90_000);

  it("a required gate that did not run (skipped: the gate it needs failed) keeps the head from ready", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    // The gates come from a config outside the repository, and gain a required gate after the oracle is frozen.
    const config = path.join(makeTempDir(), "gates.yaml");
    writeFileSync(config, PROJECT[".omk/gates.yaml"] ?? "");
    const engine = bookProvider(readyBook());
    const executed = await runGoal({ store, goalId, engine, gatesConfig: config, stopAfter: "execution", scheduler: { pollMs: 50 } });
    expect(executed.ok && executed.value.reason).toBe("stopped after execution");
    const lint = '  - name: lint\n    kind: lint\n    required: false\n    command: ["node", "-e", "process.exit(1)"]\n';
    const check = '  - name: check\n    kind: custom\n    needs: [lint]\n    command: ["node", "-e", "0"]\n';
    writeFileSync(config, `${PROJECT[".omk/gates.yaml"] ?? ""}${lint}${check}`);
    const result = await runGoal({ store, goalId, engine, gatesConfig: config, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("not_ready");
    const events = await store.readEvents(goalId);
    const verified = events.findLast((e) => e.type === "verification_recorded");
    const gates = verified?.type === "verification_recorded" ? verified.data.gates : [];
    expect(gates.find((g) => g.name === "check")).toMatchObject({ required: true, outcome: "skipped" });
    expect(gates.find((g) => g.name === "test")?.outcome).toBe("passed");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("gates_failed");
    const failing = (failure.cause.details?.["failing"] ?? []) as { key: string; detail: string }[];
    // The optional gate's failure does not count; the required gate it kept from running does.
    expect(failing.map((f) => f.key)).toEqual(["gate:check"]);
    expect(failing[0]?.detail).toContain("gate check skipped");
    expect(
      failure.evidence.some((e) => /\/logs\/check\./u.test(e)),
      failure.evidence.join(", "),
    ).toBe(true);
    expect(existsSync(store.paths(goalId).proof)).toBe(false);
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
    const blocked = turn(
      usage(300, 50),
      message('{"verdict":"blocked","findings":[{"severity":"blocker","message":"slugify keeps leading dashes","file":"src/slugify.js"}]}'),
    );
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook({ "review:reviewer": blocked })), scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status).toBe("not_ready");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("review_blocked");
    expect(JSON.stringify(failure.cause.details)).toContain("slugify keeps leading dashes");
    const events = await store.readEvents(goalId);
    expect(
      events
        .filter((e) => e.type === "review_recorded")
        .map((e) => e.type === "review_recorded" && `${e.data.pass}:${e.data.verdict}`)
        .sort(),
    ).toEqual(["deterministic:passed", "reviewer:blocked", "security-reviewer:passed"]);
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
  });
});
