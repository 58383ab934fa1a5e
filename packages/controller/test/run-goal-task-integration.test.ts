// How tasks' work reaches the branch across rounds: a task starts from its dependency's work, and a task
// whose integration conflicted is superseded by the follow-up. Real git, the real scripted engine, real gates.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ProofSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { taskWorktreeDir } from "@omk/worktree";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { resumeGoal, runGoal } from "../src/index.js";
import {
  bookProvider,
  GOAL_TEXT,
  makeGoal,
  makeRepo,
  message,
  readyBook,
  SLUGIFY_BUGGY,
  SLUGIFY_SRC,
  SLUGIFY_TEST,
  turn,
  usage,
  write,
} from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

const git = async (repo: string, ...args: string[]) => (await execa("git", args, { cwd: repo })).stdout.trim();

const implementer = (id: string, deps: string[], writes: string[]) => ({
  id,
  title: `task ${id}`,
  description: `task ${id}`,
  role: "implementer",
  dependencies: deps,
  reads: ["package.json"],
  writes,
  acceptance: ["acceptance-tests", "gate-test"],
  budget: { timeMs: 600000, tokens: 200000, usd: 1 },
});
const planOf = (tasks: unknown[]) =>
  turn(
    usage(10, 10),
    message(
      `\`\`\`json\n${JSON.stringify({ summary: "s", approach: ["a"], tasks: [...tasks, { ...implementer("review", [], []), role: "reviewer", acceptance: ["review"] }] })}\n\`\`\``,
    ),
  );

describe.concurrent("runGoal: task work across integration", () => {
  it("starts a task from its dependency's work: ordered tasks writing the same file integrate without conflict", async () => {
    const { repo, base } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const book = readyBook({
      plan: planOf([implementer("a", [], ["src/slugify.js"]), implementer("b", ["a"], ["src/slugify.js", "test/slugify.test.js"])]),
      "task:a": turn(usage(10, 10), write("src/slugify.js", SLUGIFY_BUGGY), message("first draft")),
      "task:b": turn(usage(10, 10), write("src/slugify.js", SLUGIFY_SRC), write("test/slugify.test.js", SLUGIFY_TEST), message("finished the draft")),
    });
    const result = await runGoal({ store, goalId, engine: bookProvider(book), untilReady: true, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("ready");
    const events = await store.readEvents(goalId);
    expect(events.filter((e) => e.type === "integration_recorded").map((e) => e.data.outcome)).toEqual(["integrated"]);
    const commits = new Map(events.flatMap((e) => (e.type === "attempt_captured" ? [[e.data.taskId, e.data.commit] as const] : [])));
    const a = commits.get("a") ?? "";
    const b = commits.get("b") ?? "";
    expect((await execa("git", ["merge-base", "--is-ancestor", a, b], { cwd: repo, reject: false })).exitCode, "b holds a's work").toBe(0);
    expect(await git(repo, "rev-parse", `${b}^`)).toBe(a);
    expect(await git(repo, "rev-parse", `${a}^`)).toBe(base);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.tasks.find((t) => t.id === "b")?.changedFiles.sort()).toEqual(["src/slugify.js", "test/slugify.test.js"]);
  }, 90_000);

  it("supersedes a task whose integration conflicted: later rounds leave it out and the follow-up takes its files", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const book = readyBook({
      plan: planOf([implementer("a", [], ["src/slugify.js", "README.md"]), implementer("b", [], ["test/slugify.test.js"])]),
      "task:a": turn(usage(10, 10), write("src/slugify.js", SLUGIFY_SRC), write("README.md", "# textkit\n\nSlugs too.\n"), message("done")),
      "task:b": turn(usage(10, 10), write("test/slugify.test.js", SLUGIFY_TEST), message("done")),
      "task:fix-r2": turn(usage(10, 10), write("test/slugify.test.js", SLUGIFY_TEST), message("redid b")),
    });
    const engine = bookProvider(book);
    const executed = await runGoal({ store, goalId, engine, stopAfter: "execution", scheduler: { pollMs: 50 } });
    expect(executed.ok && executed.value.reason).toBe("stopped after execution");
    // b's branch gets a change a also made (as a task started from the base by an older controller could have).
    // b's checkout has a git dir of its own (docs/decisions/worktree.md 17): commit there, then bring the commit
    // to the user's branch the way the controller's capture does (a fast-forward fetch).
    const worktree = taskWorktreeDir(store.root, goalId, "b");
    if (!existsSync(worktree)) throw new Error(`no checkout of task b at ${worktree}`);
    writeFileSync(path.join(worktree, "README.md"), "# textkit\n\nSomething else.\n");
    await execa("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "b touches the readme"], { cwd: worktree });
    await execa("git", ["fetch", "-q", worktree, `refs/heads/omk/${goalId}/b:refs/heads/omk/${goalId}/b`], { cwd: repo });
    const bHead = await git(repo, "rev-parse", `omk/${goalId}/b`);

    const result = await resumeGoal({ store, goalId, engine, untilReady: true, maxRounds: 3, scheduler: { pollMs: 50 } });
    const why =
      result.ok && result.value.outcomeFile !== null && result.value.status !== "ready"
        ? readFileSync(result.value.outcomeFile, "utf8")
        : JSON.stringify(result);
    expect(result.ok && result.value.status, why).toBe("ready");
    const goal = await store.readGoal(goalId);
    expect(goal.round).toBe(2);
    const fix = goal.taskGraph?.tasks.find((t) => t.id === "fix-r2");
    expect(fix?.writes).toEqual(expect.arrayContaining(["README.md", "test/slugify.test.js"]));
    expect(fix?.description).toContain(`omk/${goalId}/b`);
    const events = await store.readEvents(goalId);
    const integrations = events.flatMap((e) =>
      e.type === "integration_recorded"
        ? [
            e.data.outcome === "conflict"
              ? `r${e.data.round} conflict ${e.data.taskId}`
              : `r${e.data.round} merged ${e.data.merged.map((m) => m.taskId).join(",")}`,
          ]
        : [],
    );
    expect(integrations).toEqual(["r1 conflict b", "r1 merged a", "r2 merged fix-r2"]);
    // b's work is kept on its branch, and never merged.
    expect(await git(repo, "rev-parse", `omk/${goalId}/b`)).toBe(bHead);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.tasks.map((t) => t.id).sort()).toEqual(["a", "fix-r2"]);
    expect(proof.knownGaps.join("\n")).toContain("task b conflicted at integration in README.md and was superseded");
  }, 120_000);
});
