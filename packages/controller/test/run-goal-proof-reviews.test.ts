// A proof is never formed from an evaluation without the round's reviews: with the head evidence lost the
// goal ends not_ready; with it back, the proof is formed from it and the review records. Real git, the real
// scripted engine, real gates.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FailureSchema, ProofSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { resumeGoal, runGoal } from "../src/index.js";
import { bookProvider, GOAL_TEXT, makeGoal, makeRepo, message, PASSED_REVIEW, readyBook, turn, usage } from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

describe("runGoal: a proof needs the round's reviews", () => {
  it("never proves ready from the evaluation without reviews: re-evaluates from the review records, or ends not_ready", async () => {
    // Paused during the security pass; the head evidence is then missing when the review resumes.
    const setup = async () => {
      const { repo } = await makeRepo();
      const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
      const slowSecurity = turn(usage(300, 50), { sleep: 20_000 }, message('{"verdict":"passed","findings":[]}'));
      const pause = new AbortController();
      const paused = await runGoal({
        store,
        goalId,
        engine: bookProvider(readyBook({ "review:security-reviewer": slowSecurity })),
        signal: pause.signal,
        scheduler: { pollMs: 50 },
        onEvent: (e) => {
          if (e.type === "review_finished" && e.pass === "reviewer") setTimeout(() => pause.abort("pause"), 300);
        },
      });
      expect(paused.ok && paused.value.status, JSON.stringify(paused)).toBe("paused");
      expect((await store.readGoal(goalId)).phase).toBe("review");
      const headFile = path.join(store.paths(goalId).dir, "evidence", "r1-head.json");
      const saved = readFileSync(headFile, "utf8");
      rmSync(headFile);
      return { store, goalId, headFile, saved };
    };

    const lost = await setup();
    const ended = await resumeGoal({
      store: lost.store,
      goalId: lost.goalId,
      engine: bookProvider(readyBook({ "review:security-reviewer": PASSED_REVIEW })),
      scheduler: { pollMs: 50 },
    });
    expect(ended.ok && ended.value.status, JSON.stringify(ended)).toBe("not_ready");
    expect(existsSync(lost.store.paths(lost.goalId).proof)).toBe(false);
    const failure = FailureSchema.parse(JSON.parse(readFileSync(lost.store.paths(lost.goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("oracle_failed");
    expect(failure.cause.message).toContain("evidence/r1-head.json");
    expect(failure.cause.message).toContain("review (not_run)");

    // The head evidence is back by the proof phase: the proof is formed from it and the round's review records.
    const back = await setup();
    const ready = await resumeGoal({
      store: back.store,
      goalId: back.goalId,
      engine: bookProvider(readyBook({ "review:security-reviewer": PASSED_REVIEW })),
      scheduler: { pollMs: 50 },
      onEvent: (e) => {
        if (e.type === "phase_started" && e.phase === "integration") writeFileSync(back.headFile, back.saved);
      },
    });
    expect(ready.ok && ready.value.status, JSON.stringify(ready)).toBe("ready");
    const proof = ProofSchema.parse(JSON.parse(readFileSync(back.store.paths(back.goalId).proof, "utf8")));
    expect(proof.criteria.find((c) => c.id === "review")?.verdict).toBe("passed");
    const evaluations = (await back.store.readEvents(back.goalId)).filter((e) => e.type === "oracle_evaluated");
    expect(evaluations.at(-1)?.type === "oracle_evaluated" && evaluations.at(-1)?.data.evidence.map((f) => f.path)).toEqual(["evidence/r1-head-reviewed.json"]);
  }, 150_000);
});
