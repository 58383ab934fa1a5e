// Pause, budget stop and resume of runGoal: real git, the real scripted engine, real gates.
import { existsSync, readFileSync, rmSync, truncateSync } from "node:fs";
import { FailureSchema, openStore, ProofSchema, requestPause } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { resumeGoal, runGoal } from "../src/index.js";
import { bookProvider, collect, GOAL_TEXT, makeGoal, makeRepo, message, readyBook, SLUGIFY_SRC, SLUGIFY_TEST, turn, usage, write } from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

describe.concurrent("runGoal: pause, budget, resume", () => {
  it("pauses when another writer requests it mid-execution, and resumeGoal finishes the goal", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const slow = turn(
      usage(800, 300),
      { sleep: 800 },
      write("src/slugify.js", SLUGIFY_SRC),
      write("test/slugify.test.js", SLUGIFY_TEST),
      message("Added slugify."),
    );
    const engine = bookProvider(readyBook({ "task:slugify": slow }));
    let paused = false;
    const first = await runGoal({
      store,
      goalId,
      engine,
      scheduler: { pollMs: 50 },
      onEvent: (e) => {
        if (!paused && e.type === "task_update" && e.state === "running") {
          paused = true;
          void requestPause(store, goalId);
        }
      },
    });
    expect(first.ok && first.value).toMatchObject({ status: "paused", outcomeFile: null });
    const goal = await store.readGoal(goalId);
    expect(goal.status).toBe("paused");
    expect(goal.phase).toBe("execution");
    const { events: live, onEvent } = collect();
    const second = await resumeGoal({ store, goalId, engine, onEvent, scheduler: { pollMs: 50 } });
    expect(second.ok && second.value.status).toBe("ready");
    // A paused goal resumes (a fresh one starts): the status reasons and run_started say which.
    expect(live.find((e) => e.type === "run_started")).toMatchObject({ resumed: true });
    const events = await store.readEvents(goalId);
    expect(events.flatMap((e) => (e.type === "status_changed" && e.data.to === "running" ? [`${e.data.from}:${e.data.reason}`] : []))).toEqual([
      "created:started",
      "paused:resumed",
    ]);
    expect(events.filter((e) => e.type === "plan_recorded")).toHaveLength(1);
    expect(events.filter((e) => e.type === "baseline_recorded")).toHaveLength(1);
  }, 90_000);

  it("a ready goal whose proof.json was never written (killed right after status_changed, as older versions left it) is resumed to ready with a proof", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const engine = bookProvider(readyBook());
    const first = await runGoal({ store, goalId, engine, scheduler: { pollMs: 50 } });
    expect(first.ok && first.value.status).toBe("ready");
    // Cut the log right after status_changed → ready: no outcome_recorded, no proof.json, no pending outcome.
    const paths = store.paths(goalId);
    const text = readFileSync(paths.events, "utf8");
    const lines = text.split("\n").filter((l) => l !== "");
    const at = lines.findIndex((l) => JSON.parse(l).type === "status_changed" && JSON.parse(l).data.to === "ready");
    truncateSync(paths.events, Buffer.byteLength(`${lines.slice(0, at + 1).join("\n")}\n`));
    for (const file of [paths.proof, paths.snapshot, paths.outcomePending]) rmSync(file, { force: true });
    const fresh = openStore({ root: store.root });
    expect((await fresh.readGoal(goalId)).status).toBe("ready");
    const second = await resumeGoal({ store: fresh, goalId, engine, scheduler: { pollMs: 50 } });
    expect(second.ok && second.value.status).toBe("ready");
    expect(existsSync(paths.proof)).toBe(true);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(paths.proof, "utf8")));
    const goal = await fresh.readGoal(goalId);
    expect(goal.outcome).toMatchObject({ file: "proof.json", status: "ready" });
    expect(proof.lastSeq).toBeLessThanOrEqual(goal.lastSeq);
    const events = await fresh.readEvents(goalId);
    expect(events.filter((e) => e.type === "status_changed" && e.data.from === "ready").map((e) => e.type === "status_changed" && e.data.reason)).toEqual([
      expect.stringMatching(/without its proof\.json/),
    ]);
    expect((await fresh.replay(goalId)).differences).toEqual([]);
  }, 120_000);

  it("stops at needs_more_budget on a tiny token budget; failure.json's budget-add amount, added, lets resume finish it", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT, { timeMs: null, tokens: 2000, usd: null });
    const engine = bookProvider(readyBook());
    const first = await runGoal({ store, goalId, engine, scheduler: { pollMs: 50 } });
    expect(first.ok && first.value.status).toBe("needs_more_budget");
    expect(first.ok && first.value.outcomeFile).toBe(store.paths(goalId).failure);
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    // The scheduler refused the task's cap: the cause names the dimension and the shortfall, and the command adds it.
    expect(failure.cause.details).toMatchObject({ dimension: "tokens", shortfall: expect.any(Number) });
    const match = /^omk goal budget-add (\S+) --tokens (\d+) && omk goal resume (\S+)$/u.exec(failure.resume.command ?? "");
    expect(match, failure.resume.command ?? "no command").not.toBeNull();
    expect(match?.[1]).toBe(goalId);
    expect(match?.[3]).toBe(goalId);
    const add = Number(match?.[2]);
    expect(add).toBeGreaterThanOrEqual(Number(failure.cause.details?.["shortfall"]));
    const refused = await resumeGoal({ store, goalId, engine });
    expect(refused.ok).toBe(false);
    // The amount is enough, and not far more than enough: 100 tokens less does not let the task start.
    const short = await store.extendBudget(goalId, { tokens: add - 100 });
    expect(short.ok).toBe(true);
    const still = await resumeGoal({ store, goalId, engine, scheduler: { pollMs: 50 } });
    expect(still.ok && still.value.status, JSON.stringify(still)).toBe("needs_more_budget");
    expect((await store.extendBudget(goalId, { tokens: 100 })).ok).toBe(true);
    const second = await resumeGoal({ store, goalId, engine, scheduler: { pollMs: 50 } });
    expect(second.ok && second.value.status, JSON.stringify(second)).toBe("ready");
  }, 90_000);

  it("a cancel while a task runs is final: the stopped task's message suggests no resume", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const slow = turn(usage(800, 300), { sleep: 3000 }, write("src/slugify.js", SLUGIFY_SRC), message("Added slugify."));
    const controller = new AbortController();
    const { events, onEvent } = collect();
    const result = await runGoal({
      store,
      goalId,
      engine: bookProvider(readyBook({ "task:slugify": slow })),
      signal: controller.signal,
      scheduler: { pollMs: 50 },
      onEvent: (e) => {
        onEvent(e);
        if (e.type === "task_update" && e.state === "running") controller.abort("cancel");
      },
    });
    expect(result.ok && result.value).toMatchObject({ status: "cancelled", outcomeFile: store.paths(goalId).failure });
    // Stopped by the cancel: the task says cancelled (not failed).
    const stopped = events.flatMap((e) => (e.type === "task_update" && e.state === "cancelled" ? [e.message ?? ""] : []));
    expect(stopped.length).toBeGreaterThan(0);
    for (const m of stopped) expect(m).not.toMatch(/resume/u);
    expect(stopped.join("\n")).toContain("the goal is cancelled, which is final");
  }, 60_000);

  it("pauses cleanly when its signal is aborted (the CLI's first Ctrl-C), and cancels on a second abort reason", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const slow = turn(usage(800, 300), { sleep: 3000 }, write("src/slugify.js", SLUGIFY_SRC), message("Added slugify."));
    const engine = bookProvider(readyBook({ "task:slugify": slow }));
    const controller = new AbortController();
    const stoppedMessages: string[] = [];
    const result = await runGoal({
      store,
      goalId,
      engine,
      signal: controller.signal,
      scheduler: { pollMs: 50 },
      onEvent: (e) => {
        if (e.type === "task_update" && e.state === "running") controller.abort("pause");
        // Stopped by the pause: the task says interrupted (not failed).
        if (e.type === "task_update" && e.state === "interrupted") stoppedMessages.push(e.message ?? "");
        if (e.type === "task_update" && e.state === "failed") stoppedMessages.push(`FAILED: ${e.message ?? ""}`);
      },
    });
    expect(result.ok && result.value).toMatchObject({ status: "paused", outcomeFile: null });
    const goal = await store.readGoal(goalId);
    expect(goal.taskGraph?.tasks.find((t) => t.id === "slugify")?.status).toBe("pending");
    // Paused is not final: the stopped task says how to go on.
    expect(stoppedMessages.join("\n")).toContain("omk goal resume");
    expect(stoppedMessages.join("\n")).not.toContain("FAILED");
    const cancel = new AbortController();
    cancel.abort("cancel");
    const cancelled = await runGoal({ store, goalId, engine, signal: cancel.signal, scheduler: { pollMs: 50 } });
    expect(cancelled.ok && cancelled.value).toMatchObject({ status: "cancelled", outcomeFile: store.paths(goalId).failure });
  }, 60_000);
});
