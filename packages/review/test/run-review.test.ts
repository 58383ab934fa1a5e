// The review phase end to end: real git repos, real scripted engine sessions (script book → runSession), real record files.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { GateEvidence, Task } from "@omk/state";
import { TaskSchema } from "@omk/state";
import { bundledAgent, cleanupTempDirs, commitFiles, filesContaining, gitDiff, gitIn, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { evidenceCheckoutDir } from "@omk/worktree";
import { runReview } from "../src/run-review.js";
import type { ReviewCriterion } from "../src/types.js";
import type { ReviewFinishedEvent, ReviewInput } from "../src/run-review-types.js";
import { scriptBookProvider, type SessionPurpose, type SpendReport } from "@omk/sessions";

afterAll(() => cleanupTempDirs());

const SECRET = `ghp_${"Q7w8E9r0T1".repeat(4).slice(0, 36)}`;
const TEST_FILE = 'import { it, expect } from "vitest";\nimport { add } from "../src/add.js";\nit("adds", () => {\n  expect(add(1, 2)).toBe(3);\n});\n';
const PKG = (deps: Record<string, string>) => `${JSON.stringify({ name: "demo", version: "1.0.0", dependencies: deps }, null, 2)}\n`;
const BASE_FILES = { "src/add.js": "export const add = (a, b) => a + b;\n", "test/add.test.js": TEST_FILE, "package.json": PKG({}) };

const CRITERIA: ReviewCriterion[] = [
  {
    id: "code-review",
    description: "a reviewer read the change",
    mustFailOnBase: false,
    kind: "review",
    run: { reviewer: "reviewer", checklist: ["the change does what the goal asks"] },
  },
  {
    id: "security-review",
    description: "a security reviewer read the change",
    mustFailOnBase: false,
    kind: "review",
    run: { reviewer: "security-reviewer", checklist: ["no secrets or injection"] },
  },
];

const answer = (value: unknown, usage = true) => ({
  turns: [
    {
      steps: [
        ...(usage ? [{ usage: { inputUncached: 1200, output: 80 } }] : []),
        { message: `Reviewed.\n\n\`\`\`json\n${typeof value === "string" ? value : JSON.stringify(value)}\n\`\`\`\n` },
      ],
    },
  ],
});
const PASSED = answer({ verdict: "passed", findings: [{ severity: "info", message: "looks fine" }] });

type Setup = {
  head: Record<string, string | null>;
  sessions: Record<string, unknown>;
  tasks?: Task[];
  rationale?: string[];
  violations?: ReviewInput["scopeViolations"];
  signal?: AbortSignal;
};

async function attempt(setup: Setup) {
  const root = makeTempDir("omk-review-");
  const repo = path.join(root, "repo");
  await initGitRepo(repo);
  const baseCommit = await commitFiles(repo, BASE_FILES, "base");
  const headCommit = await commitFiles(repo, setup.head, "head");
  const diff = await gitDiff(repo, baseCommit, headCommit);
  const changedFiles = (await gitIn(repo, "diff", "--name-only", baseCommit, headCommit)).split("\n").filter((l) => l !== "");
  const bookFile = path.join(root, "book.json");
  writeFileSync(bookFile, JSON.stringify({ version: 1, sessions: setup.sessions }));
  const provider = scriptBookProvider(bookFile, { agent: bundledAgent() });
  if (!provider.ok) throw new Error(provider.error.message);
  const goalDir = path.join(root, "goal");
  const events: ReviewFinishedEvent[] = [];
  const usage: { purpose: SessionPurpose; spend: SpendReport }[] = [];
  const gate: GateEvidence = {
    name: "test",
    kind: "test",
    required: true,
    command: ["npm", "test"],
    cwd: ".",
    outcome: "passed",
    exitCode: 0,
    signal: null,
    durationMs: 5,
    logs: [],
    commit: headCommit,
    dirty: false,
    toolVersions: {},
  };
  const result = await runReview({
    goalId: "g-review",
    goalText: "Add a sub function next to add",
    round: 1,
    goalDir,
    repo,
    baseCommit,
    headCommit,
    diff,
    changedFiles,
    tasks: setup.tasks ?? [],
    gates: [gate],
    evaluation: null,
    scopeViolations: setup.violations ?? [],
    dependencyRationale: setup.rationale ?? [],
    reviewCriteria: CRITERIA,
    provider: provider.value,
    env: { PATH: process.env["PATH"] },
    onUsage: (purpose, spend) => usage.push({ purpose, spend }),
    onEvent: (e) => events.push(e),
    ...(setup.signal !== undefined ? { signal: setup.signal } : {}),
  });
  return { result, goalDir, repo, events, usage };
}

async function review(setup: Setup) {
  const { result, ...rest } = await attempt(setup);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return { outcome: result.value, ...rest };
}

const SUB = { "src/sub.js": "export const sub = (a, b) => a - b;\n" };

describe.concurrent("runReview", () => {
  it("a clean change with passing reviewers passes, with records, results per criterion, events and usage", async () => {
    const { outcome, goalDir, repo, events, usage } = await review({ head: SUB, sessions: { "review:reviewer": PASSED, "review:security-reviewer": PASSED } });
    expect(outcome.verdict).toBe("passed");
    expect(outcome.findings.map((f) => `${f.source} ${f.severity}`)).toEqual(["reviewer info", "security-reviewer info"]);
    expect(outcome.records.map((r) => `${r.pass} ${r.verdict} ${r.file}`)).toEqual([
      "deterministic passed reviews/r1-deterministic.json",
      "reviewer passed reviews/r1-reviewer.json",
      "security-reviewer passed reviews/r1-security-reviewer.json",
    ]);
    for (const r of outcome.records) {
      const text = readFileSync(path.join(goalDir, r.file), "utf8");
      expect(createHash("sha256").update(text).digest("hex")).toBe(r.sha256);
    }
    const reviewer = JSON.parse(readFileSync(path.join(goalDir, "reviews/r1-reviewer.json"), "utf8"));
    expect(reviewer).toMatchObject({ pass: "reviewer", verdict: "passed", engine: "scripted", transcript: "reviews/r1-reviewer/transcript.jsonl" });
    expect(reviewer.promptSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(path.join(goalDir, reviewer.transcript))).toBe(true);
    expect(readFileSync(path.join(goalDir, "reviews/r1-reviewer/prompt.md"), "utf8")).toContain("the change does what the goal asks");
    expect(outcome.reviewResults).toEqual([
      { criterionId: "code-review", verdict: "passed", record: "reviews/r1-reviewer.json" },
      { criterionId: "security-review", verdict: "passed", record: "reviews/r1-security-reviewer.json" },
    ]);
    expect(events.filter((e) => e.type === "review_finished").map((e) => (e.type === "review_finished" ? `${e.pass} ${e.verdict}` : ""))).toEqual([
      "deterministic passed",
      "reviewer passed",
      "security-reviewer passed",
    ]);
    expect(usage.map((u) => (u.purpose.kind === "review" ? u.purpose.reviewer : u.purpose.kind))).toEqual(["reviewer", "security-reviewer"]);
    expect(outcome.spend.tokens.input).toBe(2400);
    expect(outcome.followUps).toEqual([]);
    // The checkout is gone and unregistered.
    expect(existsSync(evidenceCheckoutDir(goalDir, "review-r1"))).toBe(false);
    expect((await gitIn(repo, "worktree", "list")).split("\n")).toHaveLength(1);
  });

  it("a deleted test file blocks through tamper even when both reviewers pass", async () => {
    const { outcome } = await review({
      head: { ...SUB, "test/add.test.js": null },
      sessions: { "review:reviewer": PASSED, "review:security-reviewer": PASSED },
    });
    expect(outcome.verdict).toBe("blocked");
    const tamper = outcome.findings.filter((f) => f.source === "tamper");
    expect(tamper).toHaveLength(1);
    expect(tamper[0]).toMatchObject({ severity: "blocker", file: "test/add.test.js", waivable: false });
    expect(outcome.records.find((r) => r.pass === "deterministic")?.verdict).toBe("blocked");
    expect(outcome.records.find((r) => r.pass === "reviewer")?.verdict).toBe("passed");
    expect(outcome.reviewResults.map((r) => r.verdict)).toEqual(["blocked", "blocked"]);
  });

  it("a new dependency without a rationale blocks; with a rationale it does not", async () => {
    const head = { ...SUB, "package.json": PKG({ "left-pad": "^1.3.0" }) };
    const sessions = { "review:*": PASSED };
    const without = await review({ head, sessions });
    expect(without.outcome.verdict).toBe("blocked");
    expect(without.outcome.findings.filter((f) => f.source === "dependency").map((f) => f.message)).toEqual([
      expect.stringMatching(/new npm dependency left-pad .*has no rationale/),
    ]);
    const task = TaskSchema.parse({
      id: "implement",
      title: "Pad the output",
      description: "Use left-pad to pad the numbers",
      role: "implementer",
      dependencies: [],
      reads: [],
      writes: ["src", "package.json"],
      acceptance: [],
      budget: { timeMs: 60_000, tokens: 1000, usd: 1 },
    });
    const withTask = await review({ head, sessions, tasks: [task] });
    expect(withTask.outcome.findings.filter((f) => f.source === "dependency")).toEqual([]);
    expect(withTask.outcome.verdict).toBe("passed");
  });

  it("a secret in the diff blocks and appears in no file the review wrote", async () => {
    const { outcome, goalDir } = await review({ head: { "src/config.js": `export const token = "${SECRET}";\n` }, sessions: { "review:*": PASSED } });
    expect(outcome.verdict).toBe("blocked");
    expect(outcome.findings.filter((f) => f.source === "secret")).toEqual([
      expect.objectContaining({ severity: "blocker", file: "src/config.js", line: 1, waivable: false }),
    ]);
    expect(JSON.stringify(outcome)).not.toContain(SECRET);
    expect(existsSync(path.join(goalDir, "reviews/r1-reviewer/transcript.jsonl"))).toBe(true);
    expect(filesContaining(goalDir, SECRET)).toEqual([]);
  });

  it("a reviewer answering garbage is asked again, naming what was wrong, then blocks with a clear finding and an engine_answer_invalid problem", async () => {
    const garbage = { turns: [{ steps: [{ message: "LGTM, ship it!" }] }] };
    const { outcome, goalDir } = await review({ head: SUB, sessions: { "review:reviewer": garbage, "review:security-reviewer": PASSED } });
    expect(outcome.verdict).toBe("blocked");
    expect(outcome.findings.filter((f) => f.source === "reviewer")).toEqual([
      expect.objectContaining({
        severity: "blocker",
        message: expect.stringMatching(/^the reviewer's answer was not valid: no JSON object found in the answer/),
      }),
    ]);
    expect(JSON.parse(readFileSync(path.join(goalDir, "reviews/r1-reviewer.json"), "utf8")).answerError).toMatch(/^no JSON object found in the answer/);
    expect(outcome.problems).toEqual([expect.objectContaining({ code: "engine_answer_invalid", fix: expect.stringMatching(/--model.*--engine/) })]);
    // Asked three times; the later prompts name the rejection.
    expect(readFileSync(path.join(goalDir, "reviews/r1-reviewer/attempt-3/transcript.jsonl"), "utf8")).toContain(
      "Your answer 2 was rejected: no JSON object found in the answer",
    );
    expect(outcome.reviewResults).toEqual([
      { criterionId: "code-review", verdict: "blocked", record: "reviews/r1-reviewer.json" },
      { criterionId: "security-review", verdict: "passed", record: "reviews/r1-security-reviewer.json" },
    ]);
  });

  it("a reviewer answering blocked with a major finding blocks", async () => {
    const blocked = answer({ verdict: "blocked", findings: [{ severity: "major", message: "sub ignores its second argument", file: "src/sub.js", line: 1 }] });
    const { outcome } = await review({ head: SUB, sessions: { "review:reviewer": PASSED, "review:security-reviewer": blocked } });
    expect(outcome.verdict).toBe("blocked");
    expect(outcome.findings.filter((f) => f.severity === "major")).toEqual([
      { source: "security-reviewer", severity: "major", message: "sub ignores its second argument", file: "src/sub.js", line: 1, waivable: true },
    ]);
    expect(outcome.reviewResults.map((r) => `${r.criterionId} ${r.verdict}`)).toEqual(["code-review passed", "security-review blocked"]);
  });

  it("a missing security engine blocks; break-it runs when offered and passes its follow-ups through; writes are refused", async () => {
    const followUp = { proposedBy: "implement", reason: "sub(1) is NaN", tasks: [{ id: "break-r1-sub", title: "Test sub with one argument" }] };
    const breakIt = {
      turns: [
        {
          steps: [
            { write: { path: "src/sub.js", content: "broken\n" } },
            { message: JSON.stringify({ verdict: "passed", findings: [{ severity: "minor", message: "sub(1) is NaN" }], followUps: [followUp] }) },
          ],
        },
      ],
    };
    const { outcome, repo, goalDir } = await review({ head: SUB, sessions: { "review:reviewer": PASSED, "review:break-it": breakIt } });
    expect(outcome.verdict).toBe("blocked");
    expect(outcome.findings.filter((f) => f.source === "security-reviewer")).toEqual([
      expect.objectContaining({ severity: "blocker", message: expect.stringContaining("the security-reviewer review did not run") }),
    ]);
    expect(outcome.problems.map((p) => p.code)).toEqual(["review_engine_missing"]);
    expect(outcome.records.map((r) => r.pass)).toEqual(["deterministic", "reviewer", "security-reviewer", "break-it"]);
    expect(outcome.followUps).toEqual([followUp]);
    expect(outcome.findings.filter((f) => f.source === "break-it").map((f) => f.severity)).toEqual(["minor"]);
    expect(readFileSync(path.join(repo, "src/sub.js"), "utf8")).toContain("a - b");
    expect(readFileSync(path.join(goalDir, "reviews/r1-break-it/transcript.jsonl"), "utf8")).toMatch(/read-only/);
  });

  it("an aborted review is a problem, not a verdict, and leaves no checkout", async () => {
    const controller = new AbortController();
    controller.abort();
    const { result, goalDir, repo } = await attempt({ head: SUB, sessions: { "review:*": PASSED }, signal: controller.signal });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("review_aborted");
    expect(existsSync(evidenceCheckoutDir(goalDir, "review-r1"))).toBe(false);
    expect((await gitIn(repo, "worktree", "list")).split("\n")).toHaveLength(1);
  });
});
