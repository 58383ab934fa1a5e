// runGoal end to end, in process: real git, the real scripted engine, real gates (node --test).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { goalCheckoutsDir, taskWorktreeDir } from "@omk/worktree";
import { execa } from "execa";
import { ProofSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { acquireControllerLock } from "@omk/state";
import { verifyProof } from "@omk/proof";
import { acceptGoal, runGoal } from "../src/index.js";
import { bookProvider, collect, GOAL_TEXT, makeGoal, makeRepo, readyBook } from "./run-goal-fixture.js";

afterAll(() => (process.env["OMK_KEEP_TMP"] === undefined ? cleanupTempDirs() : undefined));

describe.concurrent("runGoal", () => {
  it("drives a feature goal to ready with a valid proof.json, and accept names the merge without touching main", async () => {
    const { repo, base } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const { events, onEvent } = collect();
    const started = Date.now();
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook()), onEvent, scheduler: { pollMs: 50 } });
    const elapsed = Date.now() - started;
    if (result.ok && result.value.status !== "ready" && result.value.outcomeFile) console.log(readFileSync(result.value.outcomeFile, "utf8"));
    expect(result.ok && result.value, JSON.stringify(result)).toMatchObject({ status: "ready" });
    const outcome = result.ok ? result.value : undefined;
    expect(outcome?.outcomeFile).toBe(store.paths(goalId).proof);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.baseCommit).toBe(base);
    expect(proof.tasks.map((t) => t.id)).toEqual(["slugify"]);
    expect(proof.tasks[0]?.changedFiles.sort()).toEqual(["src/slugify.js", "test/slugify.test.js"]);
    expect(proof.criteria.every((c) => c.verdict === "passed")).toBe(true);
    expect(proof.criteria.map((c) => c.id)).toContain("acceptance-tests");
    expect(proof.gates.length).toBeGreaterThan(0);
    expect(proof.reviews.map((r) => r.kind).sort()).toEqual(["deterministic", "reviewer", "security-reviewer"]);
    expect(proof.reviews.every((r) => r.sha256?.length === 64)).toBe(true);
    expect(proof.recheck).toContain(`omk goal verify ${goalId}`);
    // The spend includes the time the goal has been running, up to the proof (the interval is still open when it is written).
    expect(proof.spend.timeMs).toBeGreaterThan(0);
    expect(proof.spend.timeMs).toBeLessThanOrEqual(elapsed);
    expect(proof.spend.timeMs).toBeLessThanOrEqual(Date.parse(proof.createdAt) - started);
    // A fresh goal is started, not resumed: the first event says so, and so does the goal's status reason.
    expect(events[0]).toMatchObject({ type: "goal_event", event: { type: "status_changed", data: { from: "created", to: "running", reason: "started" } } });
    expect(events.find((e) => e.type === "run_started")).toMatchObject({ resumed: false });
    const log = await store.readEvents(goalId);
    expect(log.filter((e) => e.type === "status_changed" && e.data.reason === "resumed")).toHaveLength(0);
    const goal = await store.readGoal(goalId);
    expect(goal.headCommit).toBe(proof.headCommit);
    // The reviewer task of the plan was performed by the review phase, with its records as evidence.
    expect(goal.taskGraph?.tasks.find((t) => t.id === "review")).toMatchObject({
      status: "done",
      evidence: expect.arrayContaining(["reviews/r1-reviewer.json"]),
    });
    // The phases ran in order and every appended event was passed on.
    const phases = events.flatMap((e) => (e.type === "phase_started" ? [e.phase] : []));
    expect(phases).toEqual(["intake", "planning", "oracle", "baseline", "execution", "verification", "review", "integration", "proof"]);
    expect(events.filter((e) => e.type === "goal_event").length).toBeGreaterThan(10);
    expect(events.at(-1)).toMatchObject({ type: "run_finished", status: "ready" });
    // The integration branch holds the head; main is untouched, before and after accept.
    const { stdout: integration } = await execa("git", ["rev-parse", `omk/${goalId}/integration`], { cwd: repo });
    expect(integration.trim()).toBe(proof.headCommit);
    // The task's checkout (its own git dir, outside the goal's folder) was removed by integration; the evidence checkouts went after use; nothing was ever registered in the repository.
    expect(existsSync(taskWorktreeDir(store.root, goalId, "slugify"))).toBe(false);
    const evidence = path.join(goalCheckoutsDir(store.root, goalId), "_evidence");
    expect(existsSync(evidence) ? readdirSync(evidence) : []).toEqual([]);
    expect(existsSync(path.join(store.paths(goalId).dir, "worktrees"))).toBe(false);
    const { stdout: worktrees } = await execa("git", ["worktree", "list", "--porcelain"], { cwd: repo });
    expect(worktrees.match(/^worktree /gm)).toHaveLength(1);
    // The proof re-checks: its gates and oracle checks run again on a clean checkout of its head.
    const check = await verifyProof({ proofFile: store.paths(goalId).proof, store });
    expect(check.ok && check.value, JSON.stringify(check)).toMatchObject({ holds: true, headCommit: proof.headCommit });
    const accepted = await acceptGoal({ store, goalId });
    expect(accepted.ok && accepted.value.mergeCommand).toBe(`git merge --ff-only omk/${goalId}/integration`);
    const { stdout: main } = await execa("git", ["rev-parse", "main"], { cwd: repo });
    expect(main.trim()).toBe(base);
    expect(existsSync(store.paths(goalId).failure)).toBe(false);
  }, 60_000);

  it("stops after the oracle, then continues from the log and stops after execution", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const engine = bookProvider(readyBook());
    const planned = await runGoal({ store, goalId, engine, stopAfter: "oracle" });
    expect(planned.ok && planned.value).toMatchObject({ status: "running", outcomeFile: null, reason: "stopped after oracle" });
    let goal = await store.readGoal(goalId);
    expect(goal.phase).toBe("oracle");
    expect(goal.oracle).toBeDefined();
    expect(existsSync(`${store.paths(goalId).dir}/plan/brief.md`)).toBe(true);
    const executed = await runGoal({ store, goalId, engine, stopAfter: "execution", scheduler: { pollMs: 50 } });
    expect(executed.ok && executed.value.reason).toBe("stopped after execution");
    goal = await store.readGoal(goalId);
    expect(goal.taskGraph?.tasks.find((t) => t.id === "slugify")?.status).toBe("done");
    const log = await store.readEvents(goalId);
    expect(log.filter((e) => e.type === "plan_recorded")).toHaveLength(1);
    expect(log.filter((e) => e.type === "phase_changed").map((e) => e.type === "phase_changed" && e.data.to)).toEqual([
      "intake",
      "planning",
      "oracle",
      "baseline",
      "execution",
    ]);
  }, 60_000);

  it("dry-runs without writing, and refuses a second controller naming the holder", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const { events, onEvent } = collect();
    const dry = await runGoal({ store, goalId, engine: bookProvider(readyBook()), dryRun: true, onEvent });
    expect(dry.ok && dry.value.status).toBe("created");
    expect(dry.ok && dry.value.reason).toMatch(/^dry run: \d+ tasks, \d+ criteria/);
    expect(events.some((e) => e.type === "note" && e.message.startsWith("criterion acceptance-tests"))).toBe(true);
    expect((await store.readGoal(goalId)).lastSeq).toBe(1);
    const held = await acquireControllerLock(store, goalId, { heartbeatMs: 0 });
    if (!held.ok) throw new Error(held.error.message);
    const second = await runGoal({ store, goalId, engine: bookProvider(readyBook()) });
    expect(!second.ok && second.error.code).toBe("lock_held");
    expect(!second.ok && second.error.message).toContain(String(process.pid));
    await held.value.release();
  });
});
