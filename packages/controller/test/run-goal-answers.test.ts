// Answers in the words real models use, through runGoal: narration before and between tool calls, fenced JSON, prose after it.
import { readFileSync } from "node:fs";
import { FailureSchema, ProofSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import { bookProvider, collect, GOAL_TEXT, makeGoal, makeRepo, message, planSession, readyBook, SLUGIFY_SRC, turn, usage, write } from "./run-goal-fixture.js";

afterAll(() => (process.env["OMK_KEEP_TMP"] === undefined ? cleanupTempDirs() : undefined));

const read = (p: string) => ({ read: { path: p } });

/** The fixture's plan JSON, said the way a real model says it: narration, a tool call, more narration, the fenced JSON, a closing sentence. */
function narratedPlan(): unknown {
  const steps = (planSession() as { turns: { steps: { message?: string }[] }[] }).turns[0]?.steps ?? [];
  const fenced = steps.find((s) => s.message !== undefined)?.message ?? "";
  return turn(
    usage(500, 200),
    message("Let me look at the code first. "),
    read("package.json"),
    message('The package is "textkit" {an ES module}. '),
    read("src/truncate.js"),
    message(`I have what I need. Here is the plan:\n\n${fenced}\n\nLet me know if you'd like a different split.`),
  );
}

describe.concurrent("runGoal: answers in the words real models use", () => {
  it("reads a narrated plan and narrated reviews (prose, tool calls, JSON with a sentence after) and reaches ready", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const review = turn(
      usage(300, 50),
      message("Let me check the diff. "),
      read("src/slugify.js"),
      message('Looks right.\n{"verdict":"passed","findings":[]}\nNo further remarks.'),
    );
    const engine = bookProvider(readyBook({ plan: narratedPlan(), "review:reviewer": review, "review:security-reviewer": review }));
    const result = await runGoal({ store, goalId, engine, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value, JSON.stringify(result)).toMatchObject({ status: "ready" });
    const log = await store.readEvents(goalId);
    expect(log.find((e) => e.type === "plan_recorded")?.data).toMatchObject({ strategy: "engine", attempts: 1 });
    // Every session's spend is in proof.json with its quality; the total says the weakest.
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.sessions?.map((x) => `${x.session}:${x.quality}`)).toEqual([
      "plan#1:exact",
      "task:slugify#1:exact",
      "review:reviewer#r1:exact",
      "review:security-reviewer#r1:exact",
    ]);
    expect(proof.sessions?.[0]?.tokens).toEqual({ input: 500, cacheRead: 0, cacheWrite: 0, output: 200 });
    expect(proof.spend.quality).toBe("exact");
  }, 90_000);

  it("a session that reports no usage is unknown in proof.json, and so is the total; a known gap says so", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const silent = turn(message('{"verdict":"passed","findings":[]}'));
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook({ "review:security-reviewer": silent })), scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("ready");
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.sessions?.find((x) => x.session === "review:security-reviewer#r1")).toMatchObject({
      quality: "unknown",
      tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 },
    });
    expect(proof.spend.quality).toBe("unknown");
    expect(proof.knownGaps).toContainEqual(expect.stringMatching(/^the usage of 1 engine session\(s\) is not exact: review:security-reviewer#r1 \(unknown\)/));
  }, 90_000);

  it("a model that never answers valid JSON ends blocked_on_external with engine_answer_invalid and the fix to change model or engine, not failed_infra", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const chatty = turn(
      usage(100, 40),
      message("Let me look at the code first. "),
      read("package.json"),
      message("I would add a slugify helper in src/slugify.js and test it."),
    );
    const { events, onEvent } = collect();
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook({ plan: chatty })), onEvent });
    expect(result.ok && result.value, JSON.stringify(result)).toMatchObject({ status: "blocked_on_external" });
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("engine_answer_invalid");
    // failure.json's spend says how far it can be trusted: the three plan sessions reported their usage exactly.
    expect(failure.spend).toMatchObject({ quality: "exact", tokens: { input: 300, output: 120 } });
    expect(failure.sessions?.map((x) => `${x.session}:${x.quality}:${x.tokens.input}`)).toEqual(["plan#1:exact:100", "plan#2:exact:100", "plan#3:exact:100"]);
    expect(failure.cause.message).toMatch(/gave no valid plan answer in 3 attempt\(s\); the last was rejected: no JSON object found in the answer/);
    expect(failure.resume.hint).toMatch(/try another model with --model or another engine with --engine, then resume/);
    expect(failure.resume.hint).not.toMatch(/omk doctor/);
    expect(failure.resume.command).toBe(`omk goal resume ${goalId} --model <model>`);
    // The retry prompt told the model what was wrong.
    const second = readFileSync(`${store.paths(goalId).dir}/plan/sessions/2/transcript.jsonl`, "utf8");
    expect(second).toMatch(/Answer 1 was rejected:(\\+n)+- no JSON object found in the answer/);
    const planFailed = events.find((e) => e.type === "phase_finished" && e.phase === "planning");
    expect(planFailed).toMatchObject({ outcome: "failed" });
    // The fix works: resumed with an engine whose model answers validly, the same goal plans and reaches ready.
    const resumed = await runGoal({ store, goalId, engine: bookProvider(readyBook({ plan: narratedPlan() })), scheduler: { pollMs: 50 } });
    expect(resumed.ok && resumed.value.status, JSON.stringify(resumed)).toBe("ready");
  }, 90_000);

  it("a reviewer whose answers never parse ends engine_answer_invalid after three asks naming the error, and plans no follow-up", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const broken = turn(usage(50, 10), message('Here is my verdict: {"verdict": "passed", "findings": [,]}'));
    const engine = bookProvider(readyBook({ "review:reviewer": broken }));
    const result = await runGoal({ store, goalId, engine, untilReady: true, maxRounds: 3, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value, JSON.stringify(result)).toMatchObject({ status: "blocked_on_external" });
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("engine_answer_invalid");
    expect(failure.cause.message).toMatch(
      /reviewer's model gave no valid answer in 3 attempt\(s\); the last was rejected: JSON syntax error in the JSON object at position \d+/,
    );
    const record = JSON.parse(readFileSync(`${store.paths(goalId).dir}/reviews/r1-reviewer.json`, "utf8")) as {
      answerError?: string;
      problem?: { code: string };
    };
    expect(record.answerError).toMatch(/^JSON syntax error/);
    expect(record.problem?.code).toBe("engine_answer_invalid");
    const log = await store.readEvents(goalId);
    expect(log.filter((e) => e.type === "round_started")).toHaveLength(0);
  }, 120_000);

  it("an invalid follow-up answer is not silent: the reason is emitted and recorded before the deterministic follow-up runs", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const blocked = turn(
      usage(300, 50),
      message('{"verdict":"blocked","findings":[{"severity":"blocker","message":"slugify keeps leading dashes","file":"src/slugify.js"}]}'),
    );
    const first = await runGoal({ store, goalId, engine: bookProvider(readyBook({ "review:reviewer": blocked })), scheduler: { pollMs: 50 } });
    expect(first.ok && first.value.status).toBe("not_ready");
    const book = readyBook({
      followups: turn(
        usage(200, 100),
        message("Let me think about what failed. "),
        read("src/slugify.js"),
        message('I would trim the dashes: {"tasks": "trim them"} - that should do.'),
      ),
      "task:fix-r2": turn(usage(300, 100), write("src/slugify.js", `${SLUGIFY_SRC}// trims dashes\n`), message("Trimmed.")),
    });
    const { events, onEvent } = collect();
    const resumed = await runGoal({ store, goalId, engine: bookProvider(book), onEvent, scheduler: { pollMs: 50 } });
    expect(resumed.ok && resumed.value.status, JSON.stringify(resumed)).toBe("ready");
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "note",
        level: "warn",
        message: expect.stringMatching(/^the engine's follow-up answer was not valid: schema error at tasks: .*; planning the deterministic follow-up fix-r2$/),
      }),
    );
    const log = await store.readEvents(goalId);
    const rejected = log.find((e) => e.type === "task_followups_rejected");
    expect(rejected?.data).toMatchObject({
      reason: expect.stringMatching(
        /^the engine's follow-up answer was not valid: schema error at tasks: .*; the deterministic follow-up fix-r2 is planned instead$/,
      ),
    });
    expect((await store.readGoal(goalId)).taskGraph?.tasks.map((t) => t.id)).toContain("fix-r2");
  }, 120_000);
});
