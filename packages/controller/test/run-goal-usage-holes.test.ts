// Holes in usage and secrets (security review): sessions that report no usage are charged their caps,
// the engine's own secrets are redacted everywhere, and usage the log cannot hold stops the goal.
// Real git, the real scripted engine, real gates.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { budgetReport } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import type { EngineProvider } from "@omk/sessions";
import {
  bookProvider,
  collect,
  GOAL_TEXT,
  liveUsage,
  makeGoal,
  makeRepo,
  message,
  PASSED_REVIEW,
  planSession,
  readyBook,
  SLUGIFY_SRC,
  SLUGIFY_TEST,
  turn,
  write,
} from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

/** The ready book with every usage step taken out: an engine that never reports usage. */
function silentBook(): Record<string, unknown> {
  const plan = planSession() as { turns: { steps: unknown[] }[] };
  const steps = (plan.turns[0]?.steps ?? []).filter((s) => !(typeof s === "object" && s !== null && "usage" in s));
  return {
    plan: { turns: [{ steps }] },
    "task:slugify": turn(write("src/slugify.js", SLUGIFY_SRC), write("test/slugify.test.js", SLUGIFY_TEST), message("Added slugify.")),
    "review:reviewer": turn(message('{"verdict":"passed","findings":[]}')),
    "review:security-reviewer": turn(message('{"verdict":"passed","findings":[]}')),
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

describe.concurrent("runGoal: usage holes", () => {
  it("charges sessions that report no usage their caps: a 300k-token / $5 goal ends needs_more_budget, not ready at $0", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT, { timeMs: null, tokens: 300_000, usd: 5 });
    const sink = collect();
    const result = await runGoal({ store, goalId, engine: bookProvider(silentBook()), onEvent: sink.onEvent, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("needs_more_budget");
    const goal = await store.readGoal(goalId);
    expect(budgetReport(goal, new Date()).used.tokens).toBeGreaterThanOrEqual(300_000);
    const events = await store.readEvents(goalId);
    const plan = events.find((e) => e.type === "session_spend_recorded" && e.data.session === "plan#1");
    expect(plan?.type === "session_spend_recorded" && plan.data).toMatchObject({
      quality: "unknown",
      tokens: { input: 0, output: 0 },
      estimate: { tokens: 300_000, usd: 1 },
    });
    expect(events.some((e) => e.type === "usage_recorded" && e.data.source === "estimate:plan#1" && e.data.tokens.input === 300_000)).toBe(true);
    const warnings = sink.events.filter((e) => e.type === "note" && e.level === "warn" && e.message.includes("reports no usage"));
    expect(warnings).toHaveLength(1);
    expect((await store.replay(goalId)).differences).toEqual([]);
  }, 90_000);

  it("with room for the caps, the silent goal reaches ready and proof.json shows each estimate as such", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT, { timeMs: null, tokens: 5_000_000, usd: 50 });
    const sink = collect();
    const result = await runGoal({ store, goalId, engine: bookProvider(silentBook()), onEvent: sink.onEvent, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("ready");
    const events = await store.readEvents(goalId);
    const dispatched = events.find((e) => e.type === "task_dispatched" && e.data.taskId === "slugify");
    const reservation = dispatched?.type === "task_dispatched" ? dispatched.data.reservation : undefined;
    expect(reservation).toBeDefined();
    const proof = JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")) as {
      spend: { quality: string };
      sessions: { session: string; estimate?: { tokens: number; usd: number } }[];
    };
    expect(proof.spend.quality).toBe("unknown");
    const estimates = Object.fromEntries(proof.sessions.map((s) => [s.session, s.estimate]));
    expect(estimates).toMatchObject({
      "plan#1": { tokens: 300_000, usd: 1 },
      "task:slugify#1": { tokens: reservation?.tokens, usd: reservation?.usd },
      "review:reviewer#r1": { tokens: 300_000, usd: 1 },
      "review:security-reviewer#r1": { tokens: 400_000, usd: 1.5 },
    });
    // Everything charged is the estimates: the goal's used tokens are their sum.
    const sum = Object.values(estimates).reduce((n, e) => n + (e?.tokens ?? 0), 0);
    const goal = await store.readGoal(goalId);
    expect(budgetReport(goal, new Date()).used.tokens).toBe(sum);
    expect(sink.events.filter((e) => e.type === "note" && e.level === "warn" && e.message.includes("reports no usage"))).toHaveLength(1);
    expect((await store.replay(goalId)).differences).toEqual([]);
  }, 90_000);

  it("redacts the engine's own secrets: a reviewer that quotes one leaves it in no file of the goal", async () => {
    // No token shape (sk-..., ghp_...): only the provider's list can catch it.
    const secret = "plum-harbor-771-quietly";
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const quoting = turn(
      message(
        `I found the key ${secret} in the env.\n{"verdict":"blocked","findings":[{"severity":"blocker","message":"the key ${secret} leaks","file":"src/slugify.js"}]}`,
      ),
    );
    const base = bookProvider(readyBook({ "review:security-reviewer": quoting, "review:reviewer": PASSED_REVIEW }));
    const engine: EngineProvider = { ...base, secrets: [secret] };
    const result = await runGoal({ store, goalId, engine, env: {}, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status, JSON.stringify(result)).not.toBe("ready");
    const files = filesUnder(store.paths(goalId).dir);
    expect(
      files.some((f) => f.includes("review")),
      "the review records were written",
    ).toBe(true);
    // scenario.json is the scripted engine's own script (the test's input, not a record of the run): it holds the words the agent is to say.
    const leaking = files.filter((f) => path.basename(f) !== "scenario.json" && readFileSync(f).includes(secret));
    expect(leaking).toEqual([]);
  }, 90_000);

  it("stops the goal failed_infra when the store refuses a usage record, instead of running uncharged", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const plan = planSession() as { turns: { steps: unknown[] }[] };
    const steps = plan.turns[0]?.steps ?? [];
    // Two safe-integer reports: their sum is no count the log can hold.
    steps.splice(0, 1, liveUsage(Number.MAX_SAFE_INTEGER, 0), liveUsage(Number.MAX_SAFE_INTEGER, 0));
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook({ plan })), scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("failed_infra");
    const failure = JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")) as { cause: { code: string; message: string } };
    expect(failure.cause.code).toBe("infra_error");
    expect(failure.cause.message).toContain("recording the usage of plan failed");
  }, 90_000);
});
