// An exhausted budget ends needs_more_budget with the budget-add fix, whatever the phase, and the fix works:
// budget-add as advised, then resume, reaches ready. Real git, the real scripted engine (usage reported at the
// end of the turn, as most engines do), real gates.
import { readFileSync } from "node:fs";
import { type BudgetLimits, FailureSchema, type GoalStore } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { resumeGoal, runGoal } from "../src/index.js";
import {
  bookProvider,
  GOAL_TEXT,
  makeGoal,
  makeRepo,
  message,
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

/** failure.json of a needs_more_budget goal, and the budget-add its resume command advises. */
function advised(store: GoalStore, goalId: string): { add: { tokens?: number; usd?: number; timeMs?: number }; command: string; phase?: string } {
  const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
  expect(failure.status).toBe("needs_more_budget");
  expect(failure.cause.code).toBe("budget_exhausted");
  const command = failure.resume?.command ?? "";
  expect(command).toMatch(new RegExp(`^omk goal budget-add ${goalId} --(tokens|usd|time) \\S+ && omk goal resume ${goalId}$`));
  const [, flag, value] = /--(tokens|usd|time) (\S+)/.exec(command) ?? [];
  const add = flag === "tokens" ? { tokens: Number(value) } : flag === "usd" ? { usd: Number(value) } : { timeMs: parseDuration(value ?? "") };
  return { add, command };
}

function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (m === null) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

async function exhaustInExecution(limits: BudgetLimits, spend: number) {
  const { repo } = await makeRepo();
  const { store, goalId } = await makeGoal(repo, GOAL_TEXT, limits);
  const costly = turn(write("src/slugify.js", SLUGIFY_SRC), write("test/slugify.test.js", SLUGIFY_TEST), usage(spend, 0), message("Done."));
  const first = await runGoal({ store, goalId, engine: bookProvider(readyBook({ "task:slugify": costly })), scheduler: { pollMs: 50 } });
  return { store, goalId, first };
}

describe.concurrent("runGoal: an exhausted budget ends needs_more_budget with the budget-add fix", () => {
  it.each([
    ["tokens", { timeMs: null, tokens: 30_000, usd: null }, 60_000],
    ["usd", { timeMs: null, tokens: null, usd: 0.05 }, 60_000],
  ] as const)(
    "%s run out by a task that reports its usage at the end of its turn: needs_more_budget in execution, not not_ready; the advised budget-add and a resume reach ready",
    async (_dim, limits, spend) => {
      const { store, goalId, first } = await exhaustInExecution(limits, spend);
      expect(first.ok && first.value.status, JSON.stringify(first)).toBe("needs_more_budget");
      let goal = await store.readGoal(goalId);
      expect(goal.phase).toBe("execution");
      // The task that ran out is not failed: a resume runs it again.
      expect(goal.taskGraph?.tasks.find((t) => t.id === "slugify")?.status).not.toBe("failed");
      const { add } = advised(store, goalId);
      expect((await store.extendBudget(goalId, add)).ok).toBe(true);
      const second = await resumeGoal({ store, goalId, engine: bookProvider(readyBook()), scheduler: { pollMs: 50 } });
      const why =
        second.ok && second.value.outcomeFile !== null && second.value.status !== "ready"
          ? readFileSync(second.value.outcomeFile, "utf8")
          : JSON.stringify(second);
      expect(second.ok && second.value.status, why).toBe("ready");
      goal = await store.readGoal(goalId);
      expect(goal.status).toBe("ready");
    },
    120_000,
  );

  it("time run out while planning: needs_more_budget in planning (not a later not_ready); one budget-add as advised and a resume reach ready", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT, { timeMs: 3_000, tokens: null, usd: null });
    const plan = planSession() as { turns: { steps: unknown[] }[] };
    plan.turns[0]?.steps.unshift({ sleep: 4_000 });
    const first = await runGoal({ store, goalId, engine: bookProvider(readyBook({ plan })), scheduler: { pollMs: 50 } });
    expect(first.ok && first.value.status, JSON.stringify(first)).toBe("needs_more_budget");
    expect((await store.readGoal(goalId)).phase).toBe("planning");
    const { add } = advised(store, goalId);
    // One budget-add as advised is enough: the resume runs to ready, not to a second shortfall.
    expect((await store.extendBudget(goalId, add)).ok).toBe(true);
    const second = await resumeGoal({ store, goalId, engine: bookProvider(readyBook()), scheduler: { pollMs: 50 } });
    const why =
      second.ok && second.value.outcomeFile !== null && second.value.status !== "ready"
        ? readFileSync(second.value.outcomeFile, "utf8")
        : JSON.stringify(second);
    expect(second.ok && second.value.status, why).toBe("ready");
  }, 120_000);

  it("time run out during verification of a round that is not ready: needs_more_budget, not not_ready (whose resume would loop)", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT, { timeMs: 15_000, tokens: null, usd: null });
    const plan = planSession() as { turns: { steps: unknown[] }[] };
    const steps = plan.turns[0]?.steps ?? [];
    const text = JSON.stringify(steps[1]).replaceAll('\\"timeMs\\":600000', '\\"timeMs\\":20000').replaceAll('\\"timeMs\\":300000', '\\"timeMs\\":20000');
    steps[1] = JSON.parse(text);
    const slowFailing = SLUGIFY_TEST.replace("async () => {", "async () => {\n  await new Promise((r) => setTimeout(r, 14_000));");
    const task = turn(usage(100, 10), write("src/slugify.js", SLUGIFY_BUGGY), write("test/slugify.test.js", slowFailing), message("Done."));
    const first = await runGoal({ store, goalId, engine: bookProvider(readyBook({ plan, "task:slugify": task })), scheduler: { pollMs: 50 } });
    const why = first.ok && first.value.outcomeFile !== null ? readFileSync(first.value.outcomeFile, "utf8") : JSON.stringify(first);
    expect(first.ok && first.value.status, why).toBe("needs_more_budget");
    // On a loaded machine the goal's time may already run out while the task runs (its time cap then cuts it): still
    // needs_more_budget, never not_ready.
    expect(["verification", "execution"]).toContain((await store.readGoal(goalId)).phase);
    advised(store, goalId);
  }, 120_000);

  it("a plan turn that never reports usage is cut when the goal's time runs out (the hard time cap of a turn): needs_more_budget in planning", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT, { timeMs: 3_000, tokens: null, usd: null });
    const plan = planSession() as { turns: { steps: unknown[] }[] };
    // The turn would sleep 10 minutes: waited out, the test would run past its timeout.
    plan.turns[0]?.steps.unshift({ sleep: 600_000 });
    const first = await runGoal({ store, goalId, engine: bookProvider(readyBook({ plan })), scheduler: { pollMs: 50 } });
    expect(first.ok && first.value.status, JSON.stringify(first)).toBe("needs_more_budget");
    expect((await store.readGoal(goalId)).phase).toBe("planning");
    advised(store, goalId);
  }, 120_000);
});
