// session_spend_recorded (usage quality folded into goal.usage) and run_options_recorded (resume remembers), through the real store.
import { readFileSync } from "node:fs";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { resumeAdvice } from "./outcome.js";
import { EventSchema } from "./schemas/event.js";
import { openStore } from "./store.js";

afterAll(cleanupTempDirs);

const ZERO = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };

async function newGoal() {
  const store = openStore({ root: makeTempDir() });
  const r = await store.createGoal({ text: "Add a --json flag", repoRoot: "/tmp/repo", limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
  if (!r.ok) throw new Error(r.error.message);
  return { store, id: r.value.id };
}

describe("session_spend_recorded", () => {
  it("goal.usage.quality is the weakest of the sessions recorded (absent before any), and replay agrees", async () => {
    const { store, id } = await newGoal();
    expect((await store.readGoal(id)).usage.quality).toBeUndefined();
    const spend = (session: string, quality: "exact" | "partial" | "unknown") => ({
      type: "session_spend_recorded" as const,
      actor: "controller",
      data: { session, tokens: ZERO, quality },
    });
    await store.append(id, () => [spend("plan#1", "exact")]);
    expect((await store.readGoal(id)).usage.quality).toBe("exact");
    await store.append(id, () => [spend("task:fix#1", "partial"), spend("review:reviewer#r1", "exact")]);
    expect((await store.readGoal(id)).usage.quality).toBe("partial");
    await store.append(id, () => [spend("followups#r2", "unknown"), spend("task:fix#2", "exact")]);
    expect((await store.readGoal(id)).usage.quality).toBe("unknown");
    expect((await store.replay(id)).differences).toEqual([]);
  });
});

describe("run_options_recorded", () => {
  it("records names and paths only, with the overridden options; a bad option name is refused", async () => {
    const { store, id } = await newGoal();
    const data = { engine: "scripted", script: "/books/book.yaml", untilReady: true, maxRounds: 3, overridden: [] };
    const r = await store.append(id, () => [{ type: "run_options_recorded", actor: "user", data }]);
    expect(r.ok).toBe(true);
    const events = await store.readEvents(id);
    expect(events.at(-1)).toMatchObject({ type: "run_options_recorded", data });
    expect(EventSchema.safeParse({ ...events.at(-1), data: { ...data, overridden: ["apiKey"] } }).success).toBe(false);
    expect((await store.replay(id)).differences).toEqual([]);
  });
});

describe("confinement (run_options_recorded)", () => {
  it("goal.json keeps the least confined run: bwrap, then unconfined stays unconfined after a confined run; failure.json records it; replay agrees", async () => {
    const { store, id } = await newGoal();
    const run = (confinement: "bwrap" | "unconfined") => ({
      type: "run_options_recorded" as const,
      actor: "user",
      data: { engine: "scripted", untilReady: false, overridden: [], confinement },
    });
    expect((await store.readGoal(id)).confinement).toBeUndefined();
    await store.append(id, () => [run("bwrap")]);
    expect((await store.readGoal(id)).confinement).toBe("bwrap");
    await store.append(id, () => [run("unconfined")]);
    await store.append(id, () => [run("bwrap")]);
    expect((await store.readGoal(id)).confinement).toBe("unconfined");
    expect((await store.replay(id)).differences).toEqual([]);
    await store.transition(id, "running");
    const failed = await store.transition(id, "failed_infra", { cause: { code: "infra_error", message: "boom" } });
    expect(failed.ok).toBe(true);
    const failure = JSON.parse(readFileSync(store.paths(id).failure, "utf8"));
    expect(failure.confinement).toBe("unconfined");
  });
});

describe("engine_answer_invalid", () => {
  it("blocked_on_external with engine_answer_invalid advises another model or engine, not omk doctor", async () => {
    const { store, id } = await newGoal();
    const goal = await store.readGoal(id);
    const advice = resumeAdvice(goal, "blocked_on_external", new Date(), { code: "engine_answer_invalid", message: "no valid plan" });
    expect(advice).toEqual({ command: `omk goal resume ${id} --model <model>`, hint: expect.stringMatching(/--model .*--engine/) });
    expect(advice.hint).not.toContain("doctor");
  });
});
