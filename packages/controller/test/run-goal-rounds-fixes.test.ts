// Regressions of the round loop: secrets kept out of everything the goal writes, tasks that start from
// their dependencies' work, superseded conflicting tasks, scope violations per round, and a proof that
// never falls back to an evaluation without reviews. Real git, the real scripted engine, real gates.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FailureSchema, ProofSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { taskWorktreeDir } from "@omk/worktree";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { resumeGoal, runGoal } from "../src/index.js";
import { bookProvider, GOAL_TEXT, makeGoal, makeRepo, message, PASSED_REVIEW, readyBook, SLUGIFY_BUGGY, SLUGIFY_SRC, SLUGIFY_TEST, turn, usage, write } from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

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
  turn(usage(10, 10), message(`\`\`\`json\n${JSON.stringify({ summary: "s", approach: ["a"], tasks: [...tasks, { ...implementer("review", [], []), role: "reviewer", acceptance: ["review"] }] })}\n\`\`\``));

describe.concurrent("runGoal: round regressions", () => {
  it("keeps a secret quoted by a reviewer and printed by a failing gate out of every file of the goal dir", async () => {
    const ENV_SECRET = "s3cr3t-value-abcdef123456";
    const LITERAL = "literal-Zq9xWv7Ku3pM";
    const GH = `ghp_${"A".repeat(36)}`;
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const blocking = turn(usage(300, 50), message(JSON.stringify({ verdict: "blocked", findings: [{ severity: "blocker", message: `the code logs ${ENV_SECRET}, ${LITERAL} and ${GH}`, file: "src/slugify.js", line: 1 }] })));
    // Round 2's test prints the secrets (reversed in the source, in no form the capture screen knows, and put back at run time) and fails.
    const encoded = [...`${ENV_SECRET} ${LITERAL} ${GH}`].reverse().join("");
    const leaky = `${SLUGIFY_TEST}\ntest("leaks", () => {\n  const s = [..."${encoded}"].reverse().join("");\n  console.log("key:", s);\n  assert.equal(s, "nothing", s);\n});\n`;
    const book = readyBook({ "review:reviewer": blocking, "task:fix-r2": turn(usage(10, 10), write("test/slugify.test.js", leaky), message("ok")) });
    const result = await runGoal({
      store,
      goalId,
      engine: bookProvider(book),
      env: { ...process.env, MY_API_TOKEN: ENV_SECRET },
      secrets: [LITERAL],
      untilReady: true,
      maxRounds: 2,
      scheduler: { pollMs: 50 },
    });
    expect(result.ok && result.value.status).toBe("not_ready");
    const dir = store.paths(goalId).dir;
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(JSON.stringify(failure.cause.details)).toContain("gate test failed");
    expect(JSON.stringify(failure.cause.details)).toContain("[REDACTED");
    const fix = (await store.readGoal(goalId)).taskGraph?.tasks.find((t) => t.id === "fix-r2");
    expect(fix?.description).toContain("[REDACTED");
    const leaks = filesUnder(dir)
      .filter((f) => path.basename(f) !== "scenario.json")
      .filter((f) => {
        const text = readFileSync(f, "utf8");
        return text.includes(ENV_SECRET) || text.includes(LITERAL) || text.includes(GH);
      })
      .map((f) => path.relative(dir, f));
    expect(leaks).toEqual([]);
  }, 120_000);

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
    const why = result.ok && result.value.outcomeFile !== null && result.value.status !== "ready" ? readFileSync(result.value.outcomeFile, "utf8") : JSON.stringify(result);
    expect(result.ok && result.value.status, why).toBe("ready");
    const goal = await store.readGoal(goalId);
    expect(goal.round).toBe(2);
    const fix = goal.taskGraph?.tasks.find((t) => t.id === "fix-r2");
    expect(fix?.writes).toEqual(expect.arrayContaining(["README.md", "test/slugify.test.js"]));
    expect(fix?.description).toContain(`omk/${goalId}/b`);
    const events = await store.readEvents(goalId);
    const integrations = events.flatMap((e) =>
      e.type === "integration_recorded" ? [e.data.outcome === "conflict" ? `r${e.data.round} conflict ${e.data.taskId}` : `r${e.data.round} merged ${e.data.merged.map((m) => m.taskId).join(",")}`] : [],
    );
    expect(integrations).toEqual(["r1 conflict b", "r1 merged a", "r2 merged fix-r2"]);
    // b's work is kept on its branch, and never merged.
    expect(await git(repo, "rev-parse", `omk/${goalId}/b`)).toBe(bHead);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.tasks.map((t) => t.id).sort()).toEqual(["a", "fix-r2"]);
    expect(proof.knownGaps.join("\n")).toContain("task b conflicted at integration in README.md and was superseded");
  }, 120_000);

  it("a write refused in round 1 does not block round 2's review; proof.json lists it as a known gap", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const book = readyBook({
      "task:slugify": turn(usage(10, 10), write("README.md", "taken over\n"), write("src/slugify.js", SLUGIFY_BUGGY), write("test/slugify.test.js", SLUGIFY_TEST), message("Done.")),
      "task:fix-r2": turn(usage(10, 10), write("src/slugify.js", SLUGIFY_SRC), message("Fixed.")),
    });
    const result = await runGoal({ store, goalId, engine: bookProvider(book), untilReady: true, scheduler: { pollMs: 50 } });
    const why = result.ok && result.value.outcomeFile !== null && result.value.status !== "ready" ? readFileSync(result.value.outcomeFile, "utf8") : JSON.stringify(result);
    expect(result.ok && result.value.status, why).toBe("ready");
    const events = await store.readEvents(goalId);
    expect(events.filter((e) => e.type === "scope_violation_recorded").map((e) => e.type === "scope_violation_recorded" && [e.data.taskId, e.data.path, e.data.atWrite])).toEqual([
      ["slugify", "README.md", true],
    ]);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.knownGaps).toContain("round 1: task slugify tried to write README.md outside its write set (refused)");
  }, 120_000);

  it("never proves ready from the evaluation without reviews: re-evaluates from the review records, or ends not_ready", async () => {
    // Paused during the security pass; the head evidence is then missing when the review resumes.
    const setup = async () => {
      const { repo } = await makeRepo();
      const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
      const slowSecurity = turn(usage(300, 50), { sleep: 20_000 }, message('{"verdict":"passed","findings":[]}'));
      const pause = new AbortController();
      const paused = await runGoal({
        store,
        goalId,
        engine: bookProvider(readyBook({ "review:security-reviewer": slowSecurity })),
        signal: pause.signal,
        scheduler: { pollMs: 50 },
        onEvent: (e) => {
          if (e.type === "review_finished" && e.pass === "reviewer") setTimeout(() => pause.abort("pause"), 300);
        },
      });
      expect(paused.ok && paused.value.status, JSON.stringify(paused)).toBe("paused");
      expect((await store.readGoal(goalId)).phase).toBe("review");
      const headFile = path.join(store.paths(goalId).dir, "evidence", "r1-head.json");
      const saved = readFileSync(headFile, "utf8");
      rmSync(headFile);
      return { store, goalId, headFile, saved };
    };

    const lost = await setup();
    const ended = await resumeGoal({ store: lost.store, goalId: lost.goalId, engine: bookProvider(readyBook({ "review:security-reviewer": PASSED_REVIEW })), scheduler: { pollMs: 50 } });
    expect(ended.ok && ended.value.status, JSON.stringify(ended)).toBe("not_ready");
    expect(existsSync(lost.store.paths(lost.goalId).proof)).toBe(false);
    const failure = FailureSchema.parse(JSON.parse(readFileSync(lost.store.paths(lost.goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("oracle_failed");
    expect(failure.cause.message).toContain("evidence/r1-head.json");
    expect(failure.cause.message).toContain("review (not_run)");

    // The head evidence is back by the proof phase: the proof is formed from it and the round's review records.
    const back = await setup();
    const ready = await resumeGoal({
      store: back.store,
      goalId: back.goalId,
      engine: bookProvider(readyBook({ "review:security-reviewer": PASSED_REVIEW })),
      scheduler: { pollMs: 50 },
      onEvent: (e) => {
        if (e.type === "phase_started" && e.phase === "integration") writeFileSync(back.headFile, back.saved);
      },
    });
    expect(ready.ok && ready.value.status, JSON.stringify(ready)).toBe("ready");
    const proof = ProofSchema.parse(JSON.parse(readFileSync(back.store.paths(back.goalId).proof, "utf8")));
    expect(proof.criteria.find((c) => c.id === "review")?.verdict).toBe("passed");
    const evaluations = (await back.store.readEvents(back.goalId)).filter((e) => e.type === "oracle_evaluated");
    expect(evaluations.at(-1)?.type === "oracle_evaluated" && evaluations.at(-1)?.data.evidence.map((f) => f.path)).toEqual(["evidence/r1-head-reviewed.json"]);
  }, 150_000);
});
