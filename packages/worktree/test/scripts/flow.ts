// The controller's worktree flow for two tasks, as a child process the kill tests SIGKILL:
// create, capture, keep, integrate, cleanup (each step for both tasks). Completed steps are
// journaled (like the controller's event log) and skipped on the next run; a step killed after
// its effect but before its journal line is run again, so every step must be safe to repeat.
//
// argv: repo stateDir goalId base journal [killAfterStep]
// stdout: "start", "step <n>", and "commit <sha>" for every commit a step returned.
import { appendFileSync, existsSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { captureChanges, cleanup, createTaskWorktree, integrate, keepAttempt, type TaskWorktree, taskWorktreeDir } from "../../src/index.js";

const [repo, stateDir, goalId, base, journal, killArg] = process.argv.slice(2) as [string, string, string, string, string, string | undefined];
const killAfter = killArg === undefined ? -1 : Number(killArg);
const TASKS = ["t1", "t2"] as const;
const GRAPH = TASKS.map((id) => ({ id, dependencies: [] as string[] }));
const EDITS: Record<string, [string, string]> = { t1: ["src/app.ts", "export const app = 't1';\n"], t2: ["docs/guide.md", "line 1\nline 2 (t2)\nline 3\n"] };

/** Synchronous, so a line is out before a SIGKILL that follows it. */
function say(line: string): void {
  writeSync(1, `${line}\n`);
}

function fail(what: string, error: { code: string; message: string }): never {
  writeSync(2, `${what}: ${error.code}: ${error.message}\n`);
  process.exit(3);
}

const done = new Map<number, unknown>();
if (existsSync(journal)) {
  for (const line of readFileSync(journal, "utf8").split("\n")) {
    if (line === "") continue;
    const entry = JSON.parse(line) as { step: number; value: unknown };
    done.set(entry.step, entry.value);
  }
}
let worktrees: TaskWorktree[] = [];

// Each step does its kind of work for both tasks.
const steps: Array<() => Promise<unknown>> = [
  async () => {
    const made: TaskWorktree[] = [];
    for (const id of TASKS) {
      const r = await createTaskWorktree({ repo, goalId, taskId: id, base, dir: taskWorktreeDir(stateDir, goalId, id) });
      if (!r.ok) fail(`create ${id}`, r.error);
      made.push(r.value);
    }
    return made;
  },
  async () => {
    for (const wt of worktrees) {
      const [file, content] = EDITS[wt.taskId] as [string, string];
      writeFileSync(path.join(wt.path, file), content);
      const r = await captureChanges(wt);
      if (!r.ok) fail(`capture ${wt.taskId}`, r.error);
      say(`commit ${r.value.head}`);
    }
    return null;
  },
  async () => {
    for (const wt of worktrees) {
      const r = await keepAttempt(wt);
      if (!r.ok) fail(`keep ${wt.taskId}`, r.error);
      say(`commit ${r.value.commit}`);
    }
    return null;
  },
  async () => {
    const r = await integrate({ repo, goalId, base, tasks: GRAPH, accepted: [...TASKS] });
    if (!r.ok) fail("integrate", r.error);
    for (const m of r.value.merged) say(`commit ${m.mergeCommit}`);
    say(`commit ${r.value.head}`);
    return r.value.head;
  },
  async () => {
    for (const wt of worktrees) {
      const r = await cleanup(wt, { deleteBranch: true });
      if (!r.ok) fail(`cleanup ${wt.taskId}`, r.error);
    }
    return null;
  },
];

say("start");
for (let step = 0; step < steps.length; step++) {
  let value = done.get(step);
  if (!done.has(step)) {
    value = await (steps[step] as () => Promise<unknown>)();
    say(`step ${step}`);
    if (step === killAfter) process.kill(process.pid, "SIGKILL");
    appendFileSync(journal, `${JSON.stringify({ step, value })}\n`);
  }
  if (step === 0) worktrees = value as TaskWorktree[];
}
say("finished");
