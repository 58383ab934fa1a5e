// The task runner on real temporary repositories, with the real scripted engine and a real goal store.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runGraph, SchedulerAbortError, type TaskContext, type UsageReport } from "@omk/scheduler";
import { type Criterion, CriterionSchema, type GoalEvent, goalPaths, openStore, type Task, TaskSchema } from "@omk/state";
import { cleanupTempDirs, gitIn, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { taskWorktreeDir } from "@omk/worktree";
import { afterAll, describe, expect, it } from "vitest";
import { scriptBookProvider } from "../src/script-book.js";
import { createTaskRunner } from "../src/tasks/task-runner.js";
import { taskPrompt } from "../src/tasks/task-prompt.js";
import type { TaskEvent } from "../src/types.js";
import { processesMentioning, until, writeBook } from "./session-helpers.js";

afterAll(cleanupTempDirs);

const GOAL_TEXT = "Add a greeting module";

const TASK: Task = TaskSchema.parse({
  id: "implement",
  title: "Write the greeting",
  description: "Add src/greet.ts exporting greet(name).",
  role: "implementer",
  dependencies: [],
  reads: ["index.ts"],
  writes: ["src/"],
  acceptance: ["greets", "builds"],
  budget: { timeMs: 600_000, tokens: 1_000_000, usd: 5 },
});

const CRITERIA: Criterion[] = [
  CriterionSchema.parse({
    id: "greets",
    description: "greet() says hello to the name",
    kind: "test_case",
    mustFailOnBase: true,
    run: { command: ["npm", "test"], case: { name: "[oracle:greets]", match: "contains" } },
  }),
  CriterionSchema.parse({ id: "builds", description: "the build passes", kind: "gate", mustFailOnBase: false, run: { gate: "build" } }),
];

type Setup = Awaited<ReturnType<typeof setup>>;

async function setup(sessions: Record<string, object>) {
  const base = makeTempDir("omk-task-runner-");
  const repo = path.join(base, "repo");
  mkdirSync(repo);
  const baseCommit = await initGitRepo(repo, { "README.md": "# fixture\n", "index.ts": "export const x = 1;\n" });
  const stateRoot = path.join(base, "state");
  const store = openStore({ root: stateRoot });
  const created = await store.createGoal({ text: GOAL_TEXT, repoRoot: repo, limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
  if (!created.ok) throw new Error(created.error.message);
  const goalId = created.value.id;
  const goalDir = goalPaths(stateRoot, goalId).dir;
  const provider = scriptBookProvider(writeBook({ version: 1, sessions: sessions }));
  if (!provider.ok) throw new Error(provider.error.message);
  const emitted: TaskEvent[] = [];
  const runner = createTaskRunner({
    goalId,
    goalText: GOAL_TEXT,
    goalDir,
    stateRoot,
    repo,
    baseFor: () => baseCommit,
    round: () => 1,
    provider: provider.value,
    criteria: CRITERIA,
    env: process.env,
    append: async (events) => {
      const r = await store.append(goalId, () => events);
      if (!r.ok) throw new Error(r.error.message);
    },
    emit: (e) => emitted.push(e),
  });
  const events = async (type: string): Promise<GoalEvent[]> => (await store.readEvents(goalId)).filter((e) => e.type === type);
  return { repo, baseCommit, stateRoot, store, goalId, goalDir, runner, emitted, events, worktree: taskWorktreeDir(stateRoot, goalId, TASK.id) };
}

function context(attempt: number, signal: AbortSignal = new AbortController().signal): TaskContext & { usage: UsageReport[]; beats: number } {
  const now = Date.now();
  const ctx = {
    signal,
    attempt,
    worker: "worker-1",
    lease: { worker: "worker-1", acquiredAt: new Date(now).toISOString(), expiresAt: new Date(now + 400).toISOString() },
    reservation: TASK.budget,
    usage: [] as UsageReport[],
    beats: 0,
    heartbeat: () => {
      ctx.beats++;
      return true;
    },
    reportUsage: (u: UsageReport) => {
      ctx.usage.push(u);
    },
  };
  return ctx;
}

const branchOf = (s: Setup) => `omk/${s.goalId}/${TASK.id}`;

describe.concurrent("taskPrompt", () => {
  it("names the task, its criteria with their test tags, the write and read sets and the rules", () => {
    const prompt = taskPrompt(TASK, CRITERIA, GOAL_TEXT);
    expect(prompt).toContain("# Task implement: Write the greeting");
    expect(prompt).toContain(GOAL_TEXT);
    expect(prompt).toContain("Add src/greet.ts exporting greet(name).");
    expect(prompt).toContain("`greets` (test_case): greet() says hello to the name");
    expect(prompt).toContain("`[oracle:greets]`");
    expect(prompt).toContain("`builds` (gate): the build passes");
    expect(prompt).not.toContain("[oracle:builds]");
    expect(prompt).toContain("- `src/`");
    expect(prompt).toContain("- `index.ts`");
    expect(prompt).toMatch(/Do not delete, skip, disable or weaken existing tests/);
    expect(prompt).toMatch(/Do not claim the task is done/);
    expect(taskPrompt(TASK, CRITERIA, GOAL_TEXT)).toBe(prompt);
  });
});

describe.concurrent("createTaskRunner", () => {
  it("commits a write inside the write set on omk/<goal>/<task>, keeps the evidence and reports usage", async () => {
    const s = await setup({
      "task:implement": {
        turns: [
          {
            expect: "Write the greeting",
            steps: [
              { write: { path: "src/greet.ts", content: 'export const greet = (n: string) => "hello " + n;\n' } },
              { usage: { inputUncached: 300, output: 40 } },
              { message: "I wrote src/greet.ts" },
            ],
          },
        ],
      },
    });
    const ctx = context(1);
    const result = await s.runner(TASK, ctx);
    expect(result).toEqual({
      ok: true,
      evidence: ["prompt.md", "scenario.json", "transcript.jsonl", "diff.patch", "changed-files.json", "usage.json"].map((f) => `runs/implement/1/${f}`),
    });
    const head = await gitIn(s.repo, "rev-parse", branchOf(s));
    expect(head).not.toBe(s.baseCommit);
    expect(await gitIn(s.repo, "show", `${branchOf(s)}:src/greet.ts`)).toContain("hello");
    const runDir = path.join(s.goalDir, "runs", "implement", "1");
    expect(readFileSync(path.join(runDir, "prompt.md"), "utf8")).toBe(taskPrompt(TASK, CRITERIA, GOAL_TEXT));
    expect(readFileSync(path.join(runDir, "diff.patch"), "utf8")).toContain("+++ b/src/greet.ts");
    expect(JSON.parse(readFileSync(path.join(runDir, "changed-files.json"), "utf8"))).toMatchObject([{ path: "src/greet.ts", status: "A" }]);
    expect(JSON.parse(readFileSync(path.join(runDir, "usage.json"), "utf8"))).toMatchObject({ engine: "scripted", totalTokens: 340 });
    const captured = await s.events("attempt_captured");
    expect(captured.map((e) => e.data)).toEqual([
      { taskId: "implement", attempt: 1, round: 1, branch: branchOf(s), commit: head, changedFiles: ["src/greet.ts"] },
    ]);
    expect(await s.events("scope_violation_recorded")).toEqual([]);
    const reported = ctx.usage.reduce((n, u) => n + u.tokens.input + u.tokens.output + u.tokens.cacheRead + u.tokens.cacheWrite, 0);
    expect(reported).toBe(340);
    const updates = s.emitted.filter((e): e is Extract<TaskEvent, { type: "task_update" }> => e.type === "task_update");
    expect(updates[0]).toMatchObject({ taskId: "implement", state: "running", engine: "scripted", attempt: 1, round: 1 });
    expect(updates[updates.length - 1]).toMatchObject({ state: "succeeded", tokens: 340 });
    expect(updates[updates.length - 1]?.usd).toBeGreaterThan(0);
  });

  it("refuses an fs write outside the write set at write time, reports it, and the task still succeeds", async () => {
    const s = await setup({
      "task:*": {
        turns: [{ steps: [{ write: { path: "README.md", content: "taken over\n" } }, { write: { path: "src/greet.ts", content: "export {};\n" } }] }],
      },
    });
    const result = await s.runner(TASK, context(1));
    expect(result.ok).toBe(true);
    expect(readFileSync(path.join(s.worktree, "README.md"), "utf8")).toBe("# fixture\n");
    expect(await gitIn(s.repo, "show", `${branchOf(s)}:README.md`)).toBe("# fixture");
    const violations = await s.events("scope_violation_recorded");
    expect(violations.map((e) => e.data)).toEqual([
      { taskId: "implement", attempt: 1, path: "README.md", kind: "outside_write_set", atWrite: true, message: expect.stringContaining("README.md") },
    ]);
    expect(s.emitted).toContainEqual({
      type: "scope_refused",
      taskId: "implement",
      attempt: 1,
      path: "README.md",
      reason: expect.stringContaining("README.md"),
    });
    expect((await s.events("attempt_captured")).map((e) => e.type === "attempt_captured" && e.data.changedFiles)).toEqual([["src/greet.ts"]]);
  });

  it("a direct write outside the write set is caught after the run: scope_violation, not retryable, attempt kept", async () => {
    const s = await setup({
      "task:implement": {
        turns: [
          { steps: [{ write: { path: "src/greet.ts", content: "export {};\n" } }, { write: { path: "README.md", content: "sneaky\n", via: "direct" } }] },
        ],
      },
    });
    const result = await s.runner(TASK, context(1));
    expect(result).toMatchObject({ ok: false, signature: "scope_violation", retryable: false });
    if (result.ok) return;
    expect(result.message).toContain("README.md (outside_write_set)");
    const head = await gitIn(s.repo, "rev-parse", branchOf(s));
    const keptRef = `refs/omk/attempts/${s.goalId}/implement/1`;
    expect(await gitIn(s.repo, "rev-parse", keptRef)).toBe(head);
    const captured = await s.events("attempt_captured");
    expect(captured[0]?.data).toMatchObject({ commit: head, keptRef, changedFiles: ["README.md", "src/greet.ts"] });
    const violations = await s.events("scope_violation_recorded");
    expect(violations.map((e) => e.data)).toEqual([
      { taskId: "implement", attempt: 1, path: "README.md", kind: "outside_write_set", atWrite: false, message: expect.stringContaining("README.md") },
    ]);
    expect(s.emitted.filter((e) => e.type === "task_update").at(-1)).toMatchObject({ state: "failed" });
  });

  it("a task command planting a hook and core.fsmonitor in its checkout's .git and appending to ../../events.jsonl reaches neither the user's repository nor the goal's log", async () => {
    const markers = makeTempDir("omk-planted-");
    const planted = path.join(markers, "planted.sh");
    writeFileSync(planted, `#!/bin/sh\necho "$0" >> ${markers}/ran\n`);
    chmodSync(planted, 0o755);
    const forged = '{"v":1,"seq":99,"type":"budget_extended","data":{"add":{"tokens":999999999}}}';
    const script = [
      "mkdir -p .git/hooks",
      `cp ${planted} .git/hooks/post-checkout`,
      `cp ${planted} .git/hooks/pre-commit`,
      `git config core.fsmonitor ${planted}`,
      `printf '%s\\n' '${forged}' >> ../../events.jsonl`,
      `printf '%s\\n' '${forged}' >> ../events.jsonl`,
    ].join(" && ");
    const s = await setup({
      "task:implement": {
        turns: [
          { steps: [{ command: { command: "/bin/sh", args: ["-c", script] } }, { write: { path: "src/greet.ts", content: "export const greet = 1;\n" } }] },
        ],
      },
    });
    const userGit = (dir: string) => [
      readFileSync(path.join(s.repo, ".git", "config"), "utf8"),
      existsSync(path.join(dir, "hooks")) ? readdirSync(path.join(dir, "hooks")).sort() : [],
    ];
    const before = userGit(path.join(s.repo, ".git"));
    expect((await s.runner(TASK, context(1))).ok).toBe(true);
    // The task's own git dir got the planted code; the relative writes landed outside the goal's folder.
    expect(readFileSync(path.join(s.worktree, ".git", "config"), "utf8")).toContain(planted);
    for (const rel of ["../../events.jsonl", "../events.jsonl"]) {
      const landed = path.resolve(s.worktree, rel);
      expect(readFileSync(landed, "utf8")).toContain("999999999");
      expect(path.relative(s.goalDir, landed).startsWith("..")).toBe(true);
    }
    expect(readFileSync(path.join(s.goalDir, "events.jsonl"), "utf8")).not.toContain("999999999");
    expect(await s.events("budget_extended")).toEqual([]);
    // The user's repository: same config and hooks, nothing registered; OMK's capture ran nothing planted.
    expect(userGit(path.join(s.repo, ".git"))).toEqual(before);
    expect((await gitIn(s.repo, "worktree", "list", "--porcelain")).match(/^worktree /gm)).toHaveLength(1);
    expect(await gitIn(s.repo, "ls-tree", "-r", "--name-only", branchOf(s))).toContain("src/greet.ts");
    expect(existsSync(path.join(markers, "ran"))).toBe(false);
  });

  it("a task command planting a nested repository with a filter of its own, committed as a gitlink: nothing captured, nothing run, scope_violation naming it, not retried", async () => {
    const markers = makeTempDir("omk-nested-");
    const program = path.join(markers, "filter.sh");
    writeFileSync(program, `#!/bin/sh\necho "$0" >> ${markers}/ran\ncat\n`);
    chmodSync(program, 0o755);
    const script = [
      "set -e",
      "mkdir -p src/vendor && cd src/vendor && git init -q",
      "echo data > data.txt && git add data.txt && git -c user.name=a -c user.email=a@b.invalid commit -q -m nested",
      `git config filter.n.clean ${program} && git config core.fsmonitor ${program}`,
      "mkdir -p .git/info && echo '* filter=n' > .git/info/attributes && touch -d '+1 hour' data.txt",
      "cd ../.. && git add src/vendor && git -c user.name=a -c user.email=a@b.invalid -c core.hooksPath=/dev/null commit -q -m 'vendor it'",
    ].join("\n");
    const s = await setup({
      "task:implement": {
        turns: [
          { steps: [{ write: { path: "src/greet.ts", content: "export const greet = 1;\n" } }, { command: { command: "/bin/sh", args: ["-c", script] } }] },
        ],
      },
    });
    const result = await s.runner(TASK, context(1));
    expect(result).toMatchObject({ ok: false, signature: "scope_violation", retryable: false });
    if (result.ok) return;
    expect(result.message).toContain("src/vendor");
    expect(result.message).toContain("nested git repository");
    const violations = await s.events("scope_violation_recorded");
    expect(violations.map((e) => e.data)).toEqual([
      { taskId: "implement", attempt: 1, path: "src/vendor", kind: "nested_repository", atWrite: false, message: expect.stringContaining("src/vendor") },
    ]);
    expect(await s.events("attempt_captured")).toEqual([]);
    // No gitlink reached the user's repository: the task branch is still the base.
    expect(await gitIn(s.repo, "rev-parse", branchOf(s))).toBe(s.baseCommit);
    expect(existsSync(path.join(markers, "ran"))).toBe(false);
  });

  it("attempt 2 keeps attempt 1's work under refs/omk/attempts and restarts the branch from the base", async () => {
    const write = (file: string) => ({ turns: [{ steps: [{ write: { path: file, content: `${file}\n` } }] }] });
    const s = await setup({ "task:implement": write("src/first.ts"), "task:implement#2": write("src/second.ts") });
    expect((await s.runner(TASK, context(1))).ok).toBe(true);
    const first = await gitIn(s.repo, "rev-parse", branchOf(s));
    expect((await s.runner(TASK, context(2))).ok).toBe(true);
    const second = await gitIn(s.repo, "rev-parse", branchOf(s));
    expect(await gitIn(s.repo, "rev-parse", `refs/omk/attempts/${s.goalId}/implement/1`)).toBe(first);
    expect(await gitIn(s.repo, "rev-parse", `${second}^`)).toBe(s.baseCommit);
    expect(await gitIn(s.repo, "ls-tree", "-r", "--name-only", second)).not.toContain("src/first.ts");
    expect(existsSync(path.join(s.goalDir, "runs", "implement", "2", "diff.patch"))).toBe(true);
  });

  it("a task the script book has no session for fails without retry (script_missing)", async () => {
    const s = await setup({ "task:other": { turns: [] } });
    const result = await s.runner(TASK, context(1));
    expect(result).toMatchObject({ ok: false, signature: "script_missing", retryable: false });
    if (!result.ok) expect(result.message).toContain('add sessions["task:implement"]');
  });

  it.each([
    ["paused", new Error("paused by the user"), "resume the goal (omk goal resume)"],
    ["cancelled", new SchedulerAbortError("cancelled", "the goal was cancelled"), "the goal is cancelled, which is final"],
  ])("aborting the context's signal (%s) ends the engine process; heartbeats ran meanwhile", async (_kind, reason, says) => {
    const s = await setup({ "task:implement": { turns: [{ steps: [{ write: { path: "src/started.txt", content: "yes\n" } }, { hang: "honour_cancel" }] }] } });
    const controller = new AbortController();
    const ctx = context(1, controller.signal);
    const running = s.runner(TASK, ctx);
    await until(() => existsSync(path.join(s.worktree, "src", "started.txt")), 20_000, "the engine's first write");
    const scenario = path.join(s.goalDir, "runs", "implement", "1", "scenario.json");
    expect(processesMentioning(scenario).length).toBeGreaterThan(0);
    await until(() => ctx.beats > 0, 5_000, "a heartbeat");
    controller.abort(reason);
    const result = await running;
    expect(result).toMatchObject({ ok: false, signature: "aborted", retryable: true });
    expect(processesMentioning(scenario)).toEqual([]);
    // Cancelled is final: the task's message suggests no resume then.
    const message = result.ok ? "" : result.message;
    expect(message).toContain(says);
    // Stopped, not failed: the live view shows the task paused (or cancelled), never with a failure mark.
    const stopped = s.emitted.findLast((e) => e.type === "task_update" && e.state !== "running");
    expect(stopped).toMatchObject({ state: reason instanceof SchedulerAbortError ? "cancelled" : "interrupted", message });
    expect(s.emitted.some((e) => e.type === "task_update" && e.state === "failed")).toBe(false);
    if (reason instanceof SchedulerAbortError) expect(message).not.toMatch(/resume/u);
  });

  it("runs under the real scheduler: the graph completes and the log holds dispatch, capture, usage and success in order", async () => {
    const s = await setup({
      "task:implement": { turns: [{ steps: [{ write: { path: "src/greet.ts", content: "export {};\n" } }, { usage: { inputUncached: 10, output: 5 } }] }] },
    });
    const graph = { schemaVersion: 1 as const, tasks: [TASK] };
    await s.store.transition(s.goalId, "running");
    await s.store.setTaskGraph(s.goalId, graph);
    const report = await runGraph(
      graph,
      {
        runTask: s.runner,
        onEvent: async (event) => {
          const r = await s.store.append(s.goalId, () => [event]);
          if (!r.ok) throw new Error(r.error.message);
        },
        readGoal: () => s.store.readGoal(s.goalId),
      },
      { leaseMs: 5_000, pollMs: 100 },
    );
    expect(report.ok && report.value.outcome).toBe("completed");
    const types = (await s.store.readEvents(s.goalId))
      .map((e) => e.type)
      .filter((t) => ["task_dispatched", "attempt_captured", "usage_recorded", "task_succeeded"].includes(t));
    expect(types[0]).toBe("task_dispatched");
    expect(types.slice(-1)).toEqual(["task_succeeded"]);
    expect(types).toContain("attempt_captured");
    expect(types).toContain("usage_recorded");
    const goal = await s.store.readGoal(s.goalId);
    expect(goal.taskGraph?.tasks[0]).toMatchObject({ status: "done", evidence: expect.arrayContaining(["runs/implement/1/diff.patch"]) });
    expect(goal.usage.tokens).toMatchObject({ input: 10, output: 5 });
  });
});
