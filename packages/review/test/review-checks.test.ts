// The review phase's pure parts on real git diffs: deterministic checks, the prompt, the answer parser.
import { cleanupTempDirs, commitFiles, gitDiff, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { answerFindings, parseReviewAnswer } from "../src/answer.js";
import { knownSecretValues } from "@omk/core";
import {
  dependencyFindings,
  namesPackage,
  readDependencyChanges,
  readTamperSources,
  scopeFindings,
  secretFindings,
  tamperFindings,
} from "../src/deterministic.js";
import { capDiff, REVIEW_DIFF_MAX_BYTES, reviewPrompt, type ReviewPromptInput } from "../src/prompt.js";
import { ReviewAnswerSchema } from "../src/types.js";

afterAll(() => cleanupTempDirs());

const TEST_FILE = 'import { it, expect } from "vitest";\nimport { add } from "../src/add.js";\nit("adds", () => {\n  expect(add(1, 2)).toBe(3);\n});\n';
// Built at run time so this file holds no token shape itself.
const SECRET = `ghp_${"a1B2c3D4e5".repeat(4).slice(0, 36)}`;

async function repoWith(base: Record<string, string>, head: Record<string, string | null>) {
  const dir = makeTempDir("omk-review-checks-");
  await initGitRepo(dir);
  const baseCommit = await commitFiles(dir, base, "base");
  const headCommit = await commitFiles(dir, head);
  return { dir, baseCommit, headCommit, diff: await gitDiff(dir, baseCommit, headCommit) };
}

describe("deterministic checks", () => {
  it("a deleted test file is a tamper blocker that cannot be waived", async () => {
    const { diff } = await repoWith({ "src/add.js": "export const add = (a, b) => a + b;\n", "test/add.test.js": TEST_FILE }, { "test/add.test.js": null });
    const findings = tamperFindings(diff);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ source: "tamper", severity: "blocker", file: "test/add.test.js", waivable: false });
    expect(findings[0]?.message).toContain("test_deleted");
  });

  it("a test file's lowered bound, loosened assertion and raised timeout each block, not waivable (real git diff)", async () => {
    const before =
      'import assert from "node:assert/strict";\nimport { test } from "node:test";\ntest("scores", () => {\n  assert.ok(score() >= 0.9);\n  assert.strictEqual(count(), 3);\n}, 5000);\n';
    const after =
      'import assert from "node:assert/strict";\nimport { test } from "node:test";\ntest("scores", () => {\n  assert.ok(score() >= 0.1);\n  assert.equal(count(), 3);\n}, 600000);\n';
    const { diff } = await repoWith({ "test/score.test.js": before }, { "test/score.test.js": after });
    const findings = tamperFindings(diff);
    expect(findings.map((f) => f.message.split(":")[0])).toEqual(["threshold_lowered", "assertion_loosened", "timeout_weakened"]);
    for (const f of findings) expect(f).toMatchObject({ source: "tamper", severity: "blocker", file: "test/score.test.js", waivable: false });
  });

  it("an if added far above the assertions it hides blocks once the review reads the whole test file from git (issue 14)", async () => {
    const body = (open: string, close: string) =>
      `import assert from "node:assert/strict";\nimport { test } from "node:test";\ntest("scores", () => {\n${open}${["s", "c", "t", "u", "v", "w", "x", "y"].map((v) => `  const ${v} = read("${v}");\n`).join("")}  assert.ok(s >= 0.9);\n  assert.equal(c, 3);\n${close}});\n`;
    const { dir, baseCommit, headCommit, diff } = await repoWith(
      { "test/score.test.js": body("", "") },
      { "test/score.test.js": body("  if (process.env.NEVER) {\n", "  }\n") },
    );
    // The diff alone shows the `if` and the `}` as two hunks; the assertions are context of the second, with no `if` in sight.
    expect(tamperFindings(diff)).toEqual([]);
    const findings = tamperFindings(diff, await readTamperSources(dir, baseCommit, headCommit, diff));
    expect(findings.map((f) => `${f.message.split(":")[0]} ${f.file}:${f.line}`)).toEqual([
      "assertion_guarded test/score.test.js:13",
      "assertion_guarded test/score.test.js:14",
    ]);
    for (const f of findings) expect(f).toMatchObject({ source: "tamper", severity: "blocker", waivable: false });
  });

  it("a clean change has no deterministic findings", async () => {
    const { diff, dir, baseCommit, headCommit } = await repoWith(
      { "src/add.js": "export const add = (a, b) => a + b;\n" },
      { "src/sub.js": "export const sub = (a, b) => a - b;\n" },
    );
    expect(tamperFindings(diff)).toEqual([]);
    expect(secretFindings(diff)).toEqual([]);
    expect(dependencyFindings(await readDependencyChanges(dir, baseCommit, headCommit, diff), [])).toEqual([]);
  });

  it("a new dependency without a rationale blocks; one named by a rationale does not; removals need none", async () => {
    const pkg = (deps: Record<string, string>) => `${JSON.stringify({ name: "x", version: "1.0.0", dependencies: deps }, null, 2)}\n`;
    const { dir, baseCommit, headCommit, diff } = await repoWith(
      { "package.json": pkg({ zod: "^4.0.0", old: "1.0.0" }) },
      { "package.json": pkg({ zod: "^4.1.0", "left-pad": "^1.3.0" }) },
    );
    const changes = await readDependencyChanges(dir, baseCommit, headCommit, diff);
    expect(changes.map((c) => `${c.change} ${c.name}`).sort()).toEqual(["added left-pad", "changed zod", "removed old"]);
    const none = dependencyFindings(changes, []);
    expect(none.map((f) => [f.source, f.severity, f.waivable])).toEqual([
      ["dependency", "blocker", false],
      ["dependency", "blocker", false],
    ]);
    expect(none.map((f) => f.message).join("\n")).toMatch(/new npm dependency left-pad \^1\.3\.0 .*has no rationale/);
    const justified = dependencyFindings(changes, ["Use left-pad for the padding.", "Upgrade zod to 4.1 for z.strictObject."]);
    expect(justified).toEqual([]);
    // "zodiac" does not name zod; "left-padding" does not name left-pad.
    expect(dependencyFindings(changes, ["zodiac signs", "left-padding"]).map((f) => f.message.split(" ")[0])).toHaveLength(2);
  });

  it("names a package only as a whole word", () => {
    expect(namesPackage("add @scope/x for parsing", "@scope/x")).toBe(true);
    expect(namesPackage("add @scope/xy", "@scope/x")).toBe(false);
    expect(namesPackage("LEFT-PAD.", "left-pad")).toBe(true);
    expect(namesPackage("zodiac", "zod")).toBe(false);
  });

  it("a secret added by the change blocks, and the finding never repeats it", async () => {
    const { diff } = await repoWith({ "src/a.js": "export {};\n" }, { "src/config.js": `export const token = "${SECRET}";\n` });
    const findings = secretFindings(diff);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ source: "secret", severity: "blocker", file: "src/config.js", line: 1, waivable: false });
    expect(JSON.stringify(findings)).not.toContain(SECRET);
  });

  it("a known secret value added by the change blocks (no pragma allows it), and the finding never repeats it", async () => {
    const value = "correct-horse-battery-staple-7731";
    const { diff } = await repoWith({ "src/a.js": "export {};\n" }, { "src/config.js": `export const deploy = "${value}"; // omk-gates: allow-secret\n` });
    expect(secretFindings(diff)).toEqual([]);
    const findings = secretFindings(diff, knownSecretValues({ env: { DEPLOY_TOKEN: value } }));
    expect(findings).toEqual([
      expect.objectContaining({
        source: "secret",
        severity: "blocker",
        file: "src/config.js",
        line: 1,
        waivable: false,
        message: expect.stringMatching(/secret value of this run's environment/),
      }),
    ]);
    expect(JSON.stringify(findings)).not.toContain(value);
    // The task runner's known_secret violation is reported as a secret finding.
    expect(scopeFindings([{ taskId: "impl", path: "src/config.js", kind: "known_secret" }])).toEqual([
      expect.objectContaining({ source: "secret", severity: "blocker", file: "src/config.js", waivable: false }),
    ]);
    // A file too large for the capture screen (task-runner's unscreened_content): a blocking secret finding too, never a silent pass.
    expect(scopeFindings([{ taskId: "impl", path: "assets/huge.bin", kind: "unscreened_content" }])).toEqual([
      expect.objectContaining({
        source: "secret",
        severity: "blocker",
        file: "assets/huge.bin",
        waivable: false,
        message: expect.stringContaining("too large to screen"),
      }),
    ]);
    // A secret in a session's output (task-runner's secret_in_output): a secret finding in the runner's words, which name the variable.
    const printed = scopeFindings([
      { taskId: "impl", path: "(output)", kind: "secret_in_output", message: "task impl put the secret $DEPLOY_TOKEN (plain) into its session output" },
    ]);
    expect(printed).toEqual([
      {
        source: "secret",
        severity: "blocker",
        message: expect.stringMatching(/^task impl put the secret \$DEPLOY_TOKEN \(plain\) into its session output: .*rotate/),
        waivable: false,
      },
    ]);
  });

  it("every scope violation blocks; a refused write says it was refused and nothing was written, a write that happened says wrote", () => {
    const findings = scopeFindings([
      { taskId: "implement", path: "secrets/x", kind: "outside_write_set" },
      { taskId: "docs", path: "package.json", kind: "outside_write_set", atWrite: true },
    ]);
    expect(findings).toEqual([
      {
        source: "scope",
        severity: "blocker",
        message: "task implement wrote outside its write set (outside_write_set): secrets/x",
        file: "secrets/x",
        waivable: false,
      },
      {
        source: "scope",
        severity: "blocker",
        message: "task docs tried to write outside its write set (outside_write_set): package.json (refused: nothing was written)",
        file: "package.json",
        waivable: false,
      },
    ]);
    expect(findings[1]?.message).not.toMatch(/\bwrote\b/);
  });
});

describe("review answers", () => {
  const good = { verdict: "passed", findings: [{ severity: "minor", message: "naming", file: "src/a.ts", line: 3 }] };

  it("reads a bare object, a fenced block, and a block after prose", () => {
    for (const text of [
      JSON.stringify(good),
      `\`\`\`json\n${JSON.stringify(good)}\n\`\`\``,
      `Looked at it.\n\n\`\`\`json\n${JSON.stringify(good, null, 2)}\n\`\`\`\nDone.`,
      `Here: ${JSON.stringify(good)} thanks`,
    ]) {
      const parsed = parseReviewAnswer(text);
      expect(parsed.ok, text).toBe(true);
      if (parsed.ok) expect(parsed.value).toEqual(ReviewAnswerSchema.parse(good));
    }
  });

  it("refuses garbage and answers out of schema, saying why", () => {
    const garbage = parseReviewAnswer("LGTM, ship it!");
    expect(garbage.ok).toBe(false);
    if (!garbage.ok) expect(garbage.error).toMatch(/^no JSON object found in the answer/);
    const wrong = parseReviewAnswer(JSON.stringify({ verdict: "ok", findings: [] }));
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.error).toMatch(/^schema error at verdict: /);
    const badSeverity = parseReviewAnswer(JSON.stringify({ verdict: "passed", findings: [{ severity: "critical", message: "x" }] }));
    expect(badSeverity.ok).toBe(false);
  });

  it("a blocked verdict without a blocking finding still blocks", () => {
    const findings = answerFindings("reviewer", ReviewAnswerSchema.parse({ verdict: "blocked", findings: [{ severity: "minor", message: "meh" }] }));
    expect(findings.map((f) => f.severity)).toEqual(["minor", "major"]);
    expect(findings.every((f) => f.source === "reviewer" && f.waivable)).toBe(true);
  });
});

describe("reviewPrompt", () => {
  const input = (diff: string): ReviewPromptInput => ({
    goalText: "Add a sub function",
    round: 2,
    baseCommit: "a".repeat(40),
    headCommit: "b".repeat(40),
    diff,
    changedFiles: ["src/sub.js"],
    tasks: [],
    gates: [
      {
        name: "test",
        kind: "test",
        required: true,
        command: ["npm", "test"],
        cwd: ".",
        outcome: "passed",
        exitCode: 0,
        signal: null,
        durationMs: 10,
        logs: [],
        commit: "b".repeat(40),
        dirty: false,
        toolVersions: {},
      },
    ],
    evaluation: {
      oracleHash: "c".repeat(64),
      revision: 0,
      baseCommit: "a".repeat(40),
      headCommit: "b".repeat(40),
      ready: true,
      counts: { passed: 1, failed: 0, not_run: 0, vacuous: 0 },
      criteria: [{ id: "tests-pass", kind: "gate", verdict: "passed", reason: "the gate passed", evidence: [] }],
    },
    reviewCriteria: [
      {
        id: "code-review",
        description: "a reviewer read the change",
        mustFailOnBase: false,
        kind: "review",
        run: { reviewer: "reviewer", checklist: ["the change does what the goal asks"] },
      },
      {
        id: "security-review",
        description: "a security review",
        mustFailOnBase: false,
        kind: "review",
        run: { reviewer: "security-reviewer", checklist: ["no injection"] },
      },
    ],
    env: {},
    secrets: [],
    findings: [{ source: "tamper", severity: "blocker", message: "test_deleted: the test file t.js was deleted", file: "t.js", waivable: false }],
  });

  it("holds the goal, this pass's checklist only, gates, evaluation, findings, diff and the answer format", () => {
    const prompt = reviewPrompt("reviewer", input(`diff --git a/src/sub.js b/src/sub.js\n+export const sub = (a, b) => a - b;\n+const key = "${SECRET}";\n`));
    expect(prompt).toContain("Add a sub function");
    expect(prompt).toContain("the change does what the goal asks");
    expect(prompt).not.toContain("no injection");
    expect(prompt).toContain("- test (test, required): passed");
    expect(prompt).toContain("tests-pass (gate): passed");
    expect(prompt).toContain("test_deleted: the test file t.js was deleted");
    expect(prompt).toContain("export const sub");
    expect(prompt).toContain('"verdict"');
    expect(prompt).not.toContain(SECRET);
    expect(reviewPrompt("security-reviewer", input(""))).toContain("no injection");
    expect(reviewPrompt("break-it", input(""))).toContain("followUps");
  });

  it("cuts a huge diff with a note", () => {
    const line = `+${"x".repeat(99)}\n`;
    const huge = line.repeat(Math.ceil((REVIEW_DIFF_MAX_BYTES * 1.5) / line.length));
    const prompt = reviewPrompt("reviewer", input(huge));
    expect(prompt).toMatch(/\(cut: the diff is \d+ bytes; the first \d+ are shown/);
    expect(Buffer.byteLength(prompt)).toBeLessThan(REVIEW_DIFF_MAX_BYTES + 10_000);
    expect(capDiff("short").cut).toBe(false);
  });
});
