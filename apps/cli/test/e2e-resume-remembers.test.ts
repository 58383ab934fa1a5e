// End to end through the built `omk` binary: Ctrl-C pauses in every phase (exit 8), and
// `omk goal resume <id>` remembers what the goal ran with (engine, script, --until-ready, --max-rounds).
import type { ScenarioInput } from "@omk/wire";
import { afterAll, describe, expect, it } from "vitest";
import { ACCEPTANCE_TAG, FEATURE_GOAL, featureBook, followUpBook, type ScriptBook, sleepStep, writeTestsSession } from "./e2e/books.js";
import { cleanupE2e, describeRun, EXIT_BY_STATUS, eventsOf, newWorld, readEvents, scripted, showGoal, statusOf, waitForEvent } from "./e2e/helpers.js";

afterAll(cleanupE2e);

/** The steps of a one-turn session with `before` played first. */
function withFirst(scenario: ScenarioInput | undefined, ...before: NonNullable<NonNullable<ScenarioInput["turns"]>[number]["steps"]>): ScenarioInput {
  return { turns: [{ steps: [...before, ...(scenario?.turns?.[0]?.steps ?? [])] }] };
}

/** --until-ready needs round 2 (fix-r2 fixes what round 1 left failing); write-tests and fix-r2 wait a little, so a Ctrl-C lands in them. */
function slowFollowUpBook(): ScriptBook {
  const base = followUpBook("fix");
  return {
    version: 1,
    sessions: {
      ...base.sessions,
      "task:write-tests": writeTestsSession({ before: [sleepStep(4_000)], expect: ACCEPTANCE_TAG }),
      "task:fix-r2": withFirst(base.sessions["task:fix-r2"], sleepStep(4_000)),
    },
  };
}

describe.concurrent("Ctrl-C and resume through the built binary (scripted engine)", () => {
  it("resume with no flags remembers engine, script, --until-ready and --max-rounds; a flag given to resume overrides and is recorded", {
    timeout: 240_000,
  }, async () => {
    const w = await newWorld();
    const bookFile = w.book("follow-up-slow", slowFollowUpBook());
    // Round 1, write-tests running, implement queued: Ctrl-C.
    const first = w.start("goal", "run", FEATURE_GOAL, ...scripted(bookFile), "--until-ready", "--max-rounds", "3");
    const { goalId } = await waitForEvent(w.stateDir, (e) => e.type === "task_dispatched" && e.data.taskId === "write-tests", {
      started: first,
      what: "write-tests dispatched",
    });
    await new Promise((r) => setTimeout(r, 1_000));
    if (first.pid !== undefined) process.kill(first.pid, "SIGINT");
    const paused = await first.done;
    expect(paused.exitCode, describeRun(paused)).toBe(EXIT_BY_STATUS.paused);
    expect(statusOf(paused.stdout)).toBe("paused");
    // The plain view after the pause is true: the stopped task says paused, the queued one not started; nothing claims success.
    expect(paused.stdout).toMatch(/task write-tests paused \(attempt 1/);
    expect(paused.stdout).toMatch(/task implement not started/);
    expect(paused.stdout).not.toMatch(/✔/);

    // Resume with --max-rounds 5 (an override), Ctrl-C again while fix-r2 of round 2 runs: the remembered --until-ready made round 2 happen.
    const second = w.start("goal", "resume", goalId, "--max-rounds", "5");
    await waitForEvent(w.stateDir, (e) => e.type === "task_dispatched" && e.data.taskId === "fix-r2", { started: second, what: "fix-r2 dispatched" });
    await new Promise((r) => setTimeout(r, 1_000));
    if (second.pid !== undefined) process.kill(second.pid, "SIGINT");
    const pausedAgain = await second.done;
    expect(pausedAgain.exitCode, describeRun(pausedAgain)).toBe(EXIT_BY_STATUS.paused);

    // Resume exactly as printed: no flags at all.
    const third = await w.omk("goal", "resume", goalId);
    expect(third.exitCode, describeRun(third)).toBe(EXIT_BY_STATUS.ready);
    expect((await showGoal(w, goalId)).status).toBe("ready");
    const events = readEvents(w.stateDir, goalId);
    const recorded = eventsOf(events, "run_options_recorded").map((e) => e.data);
    expect(recorded).toEqual([
      { engine: "scripted", script: bookFile, untilReady: true, maxRounds: 3, overridden: [], confinement: "bwrap" },
      { engine: "scripted", script: bookFile, untilReady: true, maxRounds: 5, overridden: ["maxRounds"], confinement: "bwrap" },
      { engine: "scripted", script: bookFile, untilReady: true, maxRounds: 5, overridden: [], confinement: "bwrap" },
    ]);
    // The same script played every session: fix-r2 ran from the book (round 2), no engine was looked for.
    expect(third.stdout + third.stderr).not.toContain("no engine found");
    const replay = await w.omk("goal", "replay", goalId, "--verify");
    expect(replay.exitCode, describeRun(replay)).toBe(0);
  });

  it("Ctrl-C during the plan session pauses (exit 8, not failed_infra), and the goal resumes to ready", { timeout: 180_000 }, async () => {
    const w = await newWorld();
    const hanging: ScriptBook = {
      version: 1,
      sessions: { ...featureBook().sessions, plan: { turns: [{ steps: [{ message: "Let me look at the code first." }, { hang: "honour_cancel" }] }] } },
    };
    const bookFile = w.book("plan-hangs", hanging);
    const run = w.start("goal", "run", FEATURE_GOAL, ...scripted(bookFile));
    const { goalId } = await waitForEvent(w.stateDir, (e) => e.type === "phase_changed" && e.data.to === "planning", { started: run, what: "planning" });
    await new Promise((r) => setTimeout(r, 2_000));
    if (run.pid !== undefined) process.kill(run.pid, "SIGINT");
    const paused = await run.done;
    expect(paused.exitCode, describeRun(paused)).toBe(EXIT_BY_STATUS.paused);
    expect(statusOf(paused.stdout)).toBe("paused");
    expect(paused.stdout).toContain("phase planning stopped");
    expect(paused.stdout).not.toContain("failed_infra");
    expect(await showGoal(w, goalId)).toMatchObject({ status: "paused", phase: "planning" });
    // Resume with another book (no plan session: the deterministic planner) — a flag that overrides the recorded script.
    const bookWithoutPlan = w.book("feature", featureBook());
    const resumed = await w.omk("goal", "resume", goalId, "--script", bookWithoutPlan);
    expect(resumed.exitCode, describeRun(resumed)).toBe(EXIT_BY_STATUS.ready);
    const recorded = eventsOf(readEvents(w.stateDir, goalId), "run_options_recorded").map((e) => e.data);
    expect(recorded.at(-1)).toEqual({ engine: "scripted", script: bookWithoutPlan, untilReady: false, overridden: ["script"], confinement: "bwrap" });
  });

  it("--no-until-ready turns off a remembered --until-ready: round 1 ends not_ready, and the record names the override", { timeout: 180_000 }, async () => {
    const w = await newWorld();
    // Round 1 leaves the test gate failing; only --until-ready would run round 2 (fix-r2).
    const bookFile = w.book("follow-up", followUpBook("fix"));
    const planned = await w.omk("goal", "plan", FEATURE_GOAL, ...scripted(bookFile), "--until-ready");
    expect(planned.exitCode, describeRun(planned)).toBe(0);
    const goalId = (planned.stdout.match(/^goal (\S+)$/m) ?? [])[1] ?? "";
    const resumed = await w.omk("goal", "resume", goalId, "--no-until-ready");
    expect(resumed.exitCode, describeRun(resumed)).toBe(EXIT_BY_STATUS.not_ready);
    const events = readEvents(w.stateDir, goalId);
    expect(eventsOf(events, "round_started")).toHaveLength(0);
    expect(eventsOf(events, "run_options_recorded").map((e) => e.data)).toEqual([
      { engine: "scripted", script: bookFile, untilReady: true, overridden: [], confinement: "bwrap" },
      { engine: "scripted", script: bookFile, untilReady: false, overridden: ["untilReady"], confinement: "bwrap" },
    ]);
  });
});
