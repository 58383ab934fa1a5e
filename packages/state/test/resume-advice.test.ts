import { readFileSync } from "node:fs";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { type BudgetLimits, type FailureCause, FailureSchema, type GoalStore, openStore, requestResume, resumeAdvice } from "../src/index.js";

afterAll(cleanupTempDirs);

const START = Date.parse("2026-03-01T10:00:00.000Z");

function clock() {
  let t = START;
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** A running goal with these limits that has used `tokens` output tokens and `usd`. */
async function runningGoal(limits: BudgetLimits, used: { tokens?: number; usd?: number } = {}) {
  const c = clock();
  const store = openStore({ root: makeTempDir(), now: c.now });
  const created = await store.createGoal({ text: "add a flag", repoRoot: "/tmp/repo", limits, maxAgents: 1 });
  if (!created.ok) throw new Error(created.error.message);
  const id = created.value.id;
  const resumed = await requestResume(store, id, { now: c.now });
  if (!resumed.ok) throw new Error(resumed.error.message);
  if (used.tokens !== undefined || used.usd !== undefined) {
    const r = await store.recordUsage(id, {
      source: "test",
      tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: used.tokens ?? 0 },
      ...(used.usd === undefined ? {} : { usd: used.usd }),
    });
    if (!r.ok) throw new Error(r.error.message);
  }
  return { store, id, clock: c };
}

async function endShort(store: GoalStore, id: string, cause: FailureCause) {
  const moved = await store.transition(id, "needs_more_budget", { actor: "controller", cause });
  if (!moved.ok) throw new Error(moved.error.message);
  return FailureSchema.parse(JSON.parse(readFileSync(store.paths(id).failure, "utf8")));
}

const refused = (details?: Record<string, unknown>): FailureCause => ({
  code: "budget_exhausted",
  message: "the caps of fix-r2 do not fit in the remaining budget",
  ...(details === undefined ? {} : { details }),
});

/** Apply the `budget-add` part of a resume command the way the CLI would. */
function extensionOf(command: string): { timeMs?: number; tokens?: number; usd?: number } {
  const add: { timeMs?: number; tokens?: number; usd?: number } = {};
  const tokens = / --tokens (\d+)/.exec(command)?.[1];
  const usd = / --usd ([\d.]+)/.exec(command)?.[1];
  const minutes = / --time (\d+)m\b/.exec(command)?.[1];
  if (tokens !== undefined) add.tokens = Number(tokens);
  if (usd !== undefined) add.usd = Number(usd);
  if (minutes !== undefined) add.timeMs = Number(minutes) * 60_000;
  return add;
}

describe("needs_more_budget resume advice", () => {
  it("names the dimension and the shortfall a refused task left (needed − available), rounded up to hundreds of tokens", async () => {
    const { store, id } = await runningGoal({ timeMs: 7_200_000, tokens: 5000, usd: 10 }, { tokens: 4400 });
    const failure = await endShort(store, id, refused({ dimension: "tokens", needed: 11_700, available: 600 }));
    expect(failure.resume.command).toBe(`omk goal budget-add ${id} --tokens 11100 && omk goal resume ${id}`);
    expect(failure.resume.hint).toContain("tokens budget is short by 11100 tokens");
  });

  it("takes an explicit shortfall in the dimension's unit: time in whole minutes, USD in cents", async () => {
    const a = await runningGoal({ timeMs: 3_600_000, tokens: null, usd: 10 });
    const time = await endShort(a.store, a.id, refused({ dimension: "time", shortfall: 20 * 60_000 + 1 }));
    expect(time.resume.command).toBe(`omk goal budget-add ${a.id} --time 21m && omk goal resume ${a.id}`);

    const b = await runningGoal({ timeMs: null, tokens: null, usd: 1 });
    const usd = await endShort(b.store, b.id, refused({ dimension: "usd", shortfall: 0.031 }));
    expect(usd.resume.command).toBe(`omk goal budget-add ${b.id} --usd 0.04 && omk goal resume ${b.id}`);
  });

  it("without details, names the capped dimension with the least left, not a fixed --time 30m", async () => {
    // The reviewer's case: tokens nearly used up, time barely touched, nothing exhausted yet.
    const { store, id } = await runningGoal({ timeMs: 7_200_000, tokens: 5000, usd: 10 }, { tokens: 4400, usd: 0.07 });
    const failure = await endShort(store, id, refused());
    expect(failure.resume.command).toBe(`omk goal budget-add ${id} --tokens 2500 && omk goal resume ${id}`);
    expect(failure.resume.command).not.toContain("--time");
    expect(failure.resume.hint).toContain("tokens budget has the least left (600 tokens of 5000 tokens)");
  });

  it("for an exhausted dimension, covers the overrun (twice it) so the resumed goal has budget left", async () => {
    const { store, id, clock: c } = await runningGoal({ timeMs: 3_600_000, tokens: 1000, usd: 5 }, { tokens: 3000 });
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(id).failure, "utf8")));
    expect(failure.status).toBe("needs_more_budget");
    expect(failure.resume.command).toBe(`omk goal budget-add ${id} --tokens 4000 && omk goal resume ${id}`);
    // Following the advice lets the goal resume.
    const extended = await store.extendBudget(id, extensionOf(failure.resume.command ?? ""));
    expect(extended.ok).toBe(true);
    const resumed = await requestResume(store, id, { now: c.now });
    expect(resumed.ok && resumed.value.status).toBe("running");
  });

  it("adds the named shortfall to the overrun of an exhausted dimension", async () => {
    const { store, id } = await runningGoal({ timeMs: 3_600_000, tokens: 10_000, usd: 5 }, { tokens: 9000 });
    const moved = await store.recordUsage(id, { source: "test", tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: 1500 } });
    expect(moved.ok && moved.value.status).toBe("needs_more_budget");
    const goal = await store.readGoal(id);
    expect(goal.status).toBe("needs_more_budget");
    const advice = resumeAdvice(goal, "needs_more_budget", new Date(START), refused({ dimension: "tokens", shortfall: 8000 }));
    // overrun 500 + 8000 needed = 8500, more than half the limit (5000) and twice the overrun.
    expect(advice.command).toBe(`omk goal budget-add ${id} --tokens 8500 && omk goal resume ${id}`);
  });
});

describe("resumeAdvice: an engine only the user can fix (engine_setup)", () => {
  const setup = (problem: string, fix?: string): FailureCause => ({
    code: "engine_setup",
    message: "planning: the engine qwen needs a login",
    details: { engine: "qwen", problem, ...(fix === undefined ? {} : { fix }) },
  });

  it("the hint is the engine's own fix, then resume; never omk doctor", async () => {
    const { store, id } = await runningGoal({ timeMs: 3_600_000, tokens: 10_000, usd: 5 });
    const goal = await store.readGoal(id);
    const advice = resumeAdvice(goal, "blocked_on_external", new Date(START), setup("engine_auth_required", "set OPENAI_API_KEY"));
    expect(advice).toEqual({ command: `omk goal resume ${id}`, hint: "set OPENAI_API_KEY; then resume" });
  });

  it("a model not offered resumes with --model; without a recorded fix the hint still says what to do", async () => {
    const { store, id } = await runningGoal({ timeMs: 3_600_000, tokens: 10_000, usd: 5 });
    const goal = await store.readGoal(id);
    expect(resumeAdvice(goal, "blocked_on_external", new Date(START), setup("engine_model_not_offered", 'choose a model (e.g. --model "small")')).command).toBe(
      `omk goal resume ${id} --model <model>`,
    );
    expect(resumeAdvice(goal, "blocked_on_external", new Date(START), setup("engine_protocol_mismatch")).hint).toBe(
      "fix the engine's setup named in the cause; then resume",
    );
  });
});

describe("resumeAdvice: the project's dependencies would not install (setup_failed)", () => {
  it("the hint names the environment problem and the setup's own fix; never omk doctor", async () => {
    const { store, id } = await runningGoal({ timeMs: 3_600_000, tokens: 10_000, usd: 5 });
    const goal = await store.readGoal(id);
    const cause: FailureCause = {
      code: "setup_failed",
      message: "baseline: base: the dependency setup failed: `npm ci` exited 1",
      details: {
        command: "npm ci",
        exitCode: 1,
        tail: ["npm error `npm ci` can only install packages when your package.json and package-lock.json are in sync"],
        fix: "bring package-lock.json in line with the manifest",
      },
    };
    const advice = resumeAdvice(goal, "blocked_on_external", new Date(START), cause);
    expect(advice.command).toBe(`omk goal resume ${id}`);
    expect(advice.hint).toMatch(
      /^the project's dependencies could not be installed \(an environment problem no agent round can fix\): bring package-lock.json in line with the manifest; then resume$/,
    );
    expect(advice.hint).not.toMatch(/omk doctor/);
  });
});
