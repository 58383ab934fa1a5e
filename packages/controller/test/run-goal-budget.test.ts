// Budgets of runGoal (regressions): task caps fitted to what is left, sessions outside the scheduler
// cut by the goal budget, and a resumed review that keeps its recorded passes. Real git, the real
// scripted engine, real gates.
import { readFileSync } from "node:fs";
import { budgetReport, ProofSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { resumeGoal, runGoal } from "../src/index.js";
import {
  bookProvider,
  GOAL_TEXT,
  liveUsage,
  makeGoal,
  makeRepo,
  message,
  PASSED_REVIEW,
  planSession,
  readyBook,
  SLUGIFY_BUGGY,
  SLUGIFY_SRC,
  SLUGIFY_TEST,
  turn,
  usage,
  write,
} from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

const used = (goal: Parameters<typeof budgetReport>[0]) => budgetReport(goal, new Date()).used.tokens;

describe.concurrent("runGoal: budgets", () => {
  it("fits task caps to what is left after the plan and round 1, so round 2 runs and ends ready", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT, { timeMs: null, tokens: 100_000, usd: null });
    const plan = planSession() as { turns: { steps: unknown[] }[] };
    const steps = plan.turns[0]?.steps ?? [];
    steps[0] = usage(5_000, 1_000);
    const book = readyBook({
      plan,
      "task:slugify": turn(usage(5_000, 1_000), write("src/slugify.js", SLUGIFY_BUGGY), write("test/slugify.test.js", SLUGIFY_TEST), message("Done.")),
      "task:fix-r2": turn(usage(600, 200), write("src/slugify.js", SLUGIFY_SRC), message("Fixed.")),
    });
    const result = await runGoal({ store, goalId, engine: bookProvider(book), untilReady: true, scheduler: { pollMs: 50 } });
    const why =
      result.ok && result.value.outcomeFile !== null && result.value.status !== "ready"
        ? readFileSync(result.value.outcomeFile, "utf8")
        : JSON.stringify(result);
    expect(result.ok && result.value.status, why).toBe("ready");
    const goal = await store.readGoal(goalId);
    expect(goal.round).toBe(2);
    const events = await store.readEvents(goalId);
    const reserved = new Map(
      events.flatMap((e) => (e.type === "task_dispatched" && e.data.worker !== "review-phase" ? [[e.data.taskId, e.data.reservation.tokens] as const] : [])),
    );
    // Each reservation is what was left then (limit - 10% reserve - used), not 85% of the whole limit; this engine reports
    // usage at the end of its turns, so one task's share is half of it (one reservation kept for an overshoot).
    expect(reserved.get("slugify")).toBe((100_000 - 10_000 - 6_000) / 2);
    const fix = reserved.get("fix-r2") ?? 0;
    expect(fix).toBeGreaterThan(0);
    expect(fix).toBeLessThanOrEqual(90_000 - 12_000);
  }, 90_000);

  it("cuts a plan session that crosses the goal budget: needs_more_budget in planning; budget-add + resume finishes", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT, { timeMs: null, tokens: 3_000, usd: null });
    const plan = planSession() as { turns: { steps: unknown[] }[] };
    const steps = plan.turns[0]?.steps ?? [];
    // A turn that would sleep past the test's own timeout: only an abort at the budget ends it in time.
    steps.splice(0, 1, liveUsage(4_000, 0), { sleep: 600_000 });
    const first = await runGoal({ store, goalId, engine: bookProvider(readyBook({ plan })), scheduler: { pollMs: 50 } });
    expect(first.ok && first.value.status).toBe("needs_more_budget");
    let goal = await store.readGoal(goalId);
    expect(goal.phase).toBe("planning");
    expect(used(goal)).toBe(4_000);
    expect((await store.extendBudget(goalId, { tokens: 20_000 })).ok).toBe(true);
    const second = await resumeGoal({ store, goalId, engine: bookProvider(readyBook()), scheduler: { pollMs: 50 } });
    expect(second.ok && second.value.status, JSON.stringify(second)).toBe("ready");
    goal = await store.readGoal(goalId);
    expect(used(goal)).toBeLessThan(23_000);
  }, 90_000);

  it("cuts a review pass that crosses the budget; the resume keeps the passes recorded and charges only the one it runs", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT, { timeMs: null, tokens: 20_000, usd: null });
    const costly = turn(liveUsage(20_000, 0), { sleep: 600_000 }, message('{"verdict":"passed","findings":[]}'));
    const first = await runGoal({ store, goalId, engine: bookProvider(readyBook({ "review:security-reviewer": costly })), scheduler: { pollMs: 50 } });
    expect(first.ok && first.value.status, JSON.stringify(first)).toBe("needs_more_budget");
    let goal = await store.readGoal(goalId);
    expect(goal.phase).toBe("review");
    // plan 700 + task 1400 + reviewer 350, then the security pass's 20000 as it arrived.
    expect(used(goal)).toBe(22_450);
    let events = await store.readEvents(goalId);
    expect(events.filter((e) => e.type === "review_recorded").map((e) => e.type === "review_recorded" && e.data.pass)).toEqual(["deterministic", "reviewer"]);

    expect((await store.extendBudget(goalId, { tokens: 30_000 })).ok).toBe(true);
    const second = await resumeGoal({ store, goalId, engine: bookProvider(readyBook()), scheduler: { pollMs: 50 } });
    expect(second.ok && second.value.status, JSON.stringify(second)).toBe("ready");
    goal = await store.readGoal(goalId);
    expect(used(goal), "only the security pass ran again").toBe(22_450 + 350);
    events = await store.readEvents(goalId);
    expect(events.filter((e) => e.type === "review_recorded").map((e) => e.type === "review_recorded" && e.data.pass)).toEqual([
      "deterministic",
      "reviewer",
      "security-reviewer",
    ]);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.reviews.map((r) => r.kind).sort()).toEqual(["deterministic", "reviewer", "security-reviewer"]);
  }, 120_000);

  it("a resume at review keeps the round's records for the head; proof.json lists each pass once", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const engine = bookProvider(readyBook({ "review:reviewer": PASSED_REVIEW }));
    const stopped = await runGoal({ store, goalId, engine, stopAfter: "review", scheduler: { pollMs: 50 } });
    expect(stopped.ok && stopped.value.reason).toBe("stopped after review");
    const before = await store.readEvents(goalId);
    const recorded = before.filter((e) => e.type === "review_recorded");
    expect(recorded).toHaveLength(3);
    // A log from a controller that recorded the passes twice (a crash during review, before this fix).
    const again = await store.append(goalId, () => recorded.map((e) => ({ type: e.type, actor: "controller", data: e.data }) as never));
    expect(again.ok).toBe(true);
    const tokens = used(await store.readGoal(goalId));
    const result = await resumeGoal({ store, goalId, engine, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("ready");
    expect(used(await store.readGoal(goalId)), "no review session ran again").toBe(tokens);
    expect((await store.readEvents(goalId)).filter((e) => e.type === "review_recorded")).toHaveLength(6);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.reviews.map((r) => r.kind)).toEqual(["deterministic", "reviewer", "security-reviewer"]);
  }, 90_000);
});
