import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { EvidenceSetSchema } from "@omk/oracle";
import type { GateEvidence } from "@omk/state";
import { checkoutWorktree, cleanupTempDirs, commitFiles, gitIn, makeTempDir } from "@omk/test-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedTestFiles, collectOracleEvidence, evaluateRound, gateDescriptors, junitCasesOf, runWall } from "../src/index.js";
import { withDetachedCheckout } from "../src/evidence/checkout.js";
import { featureRepo, frozenOracle, TEST_ARGV } from "./evidence-fixture.js";

afterAll(cleanupTempDirs);

describe.concurrent("runWall", () => {
  let repo: string;
  let base: string;
  let todo: string;
  let later: string;
  beforeAll(async () => {
    repo = makeTempDir("omk-wall-");
    ({ head: base } = await featureRepo(repo));
    todo = await commitFiles(repo, { "extra.mjs": "// TODO: later\nexport const x = 1;\n" }, "a TODO");
    later = await commitFiles(repo, { "more.mjs": "export const y = 2;\n" }, "more, TODO still there");
  });

  it("runs the gates of .omk/gates.yaml, writes report.json and report.md, maps each gate to evidence", async () => {
    const checkout = await checkoutWorktree(repo, base, path.join(makeTempDir("omk-wall-co-"), "tree"));
    const goalDir = makeTempDir("omk-wall-goal-");
    const seen: GateEvidence[] = [];
    const wall = await runWall({ root: checkout, goalDir, outDir: path.join(goalDir, "gates", "r1"), runId: "r1", onGate: (g) => seen.push(g) });
    if (!wall.ok) throw new Error(wall.error.message);
    expect(wall.value.verdict).toBe("passed");
    expect(wall.value.gates.map((g) => [g.name, g.outcome])).toEqual([
      ["tests", "passed"],
      ["lint", "passed"],
    ]);
    expect(seen.map((g) => g.name).sort()).toEqual(["lint", "tests"]);
    expect(existsSync(wall.value.reportPath)).toBe(true);
    expect(readFileSync(path.join(goalDir, "gates", "r1", "report.md"), "utf8")).toContain("tests");
    const tests = wall.value.gates[0] as GateEvidence;
    expect(tests.commit).toBe(base);
    expect(tests.dirty).toBe(false);
    // Log paths are relative to the goal dir and name real files (stdout, stderr, the JUnit copy).
    for (const log of tests.logs) expect(existsSync(path.join(goalDir, log.path))).toBe(true);
    expect(tests.logs.some((l) => l.path.endsWith(".junit.xml"))).toBe(true);
    const cases = junitCasesOf(wall.value.report);
    expect(cases).toContainEqual({ classname: "test", name: "mul multiplies [oracle:acceptance-tests]", status: "passed" });
    expect(cases).toContainEqual({ classname: "test", name: "adds numbers", status: "passed" });
  });

  it("with a base: a gate failing only on head is a new failure; failing on both is pre-existing", async () => {
    const goalDir = makeTempDir("omk-wall-goal-");
    const atTodo = await checkoutWorktree(repo, todo, path.join(makeTempDir("omk-wall-co-"), "tree"));
    const fresh = await runWall({ root: atTodo, goalDir, outDir: path.join(goalDir, "gates", "a"), runId: "a", base });
    if (!fresh.ok) throw new Error(fresh.error.message);
    expect(fresh.value.verdict).toBe("failed");
    expect(fresh.value.gates.find((g) => g.name === "lint")).toMatchObject({ outcome: "failed", baseline: "new_failure" });
    expect(fresh.value.gates.find((g) => g.name === "tests")).toMatchObject({ outcome: "passed", baseline: "unchanged_pass" });

    const old = await runWall({ root: repo, goalDir, outDir: path.join(goalDir, "gates", "b"), runId: "b", base: todo });
    if (!old.ok) throw new Error(old.error.message);
    expect(old.value.report.commit).toBe(later);
    expect(old.value.gates.find((g) => g.name === "lint")).toMatchObject({ outcome: "failed", baseline: "pre_existing_failure" });
    expect(old.value.verdict).toBe("passed");
  });

  it("reports a broken config as gates_config, nothing to run as no_gates, a bad base as infra", async () => {
    const goalDir = makeTempDir("omk-wall-goal-");
    const bad = makeTempDir("omk-wall-bad-");
    await featureRepo(bad);
    writeFileSync(path.join(bad, ".omk", "gates.yaml"), "version: 1\ngates:\n  - name: x\n    kind: test\n    command: node --test\n");
    const config = await runWall({ root: bad, goalDir, outDir: path.join(goalDir, "g1"), runId: "g1" });
    expect(config.ok ? null : config.error.code).toBe("gates_config");
    expect(gateDescriptors(bad).ok).toBe(false);

    const empty = makeTempDir("omk-wall-empty-");
    const { initGitRepo } = await import("@omk/test-fixtures");
    await initGitRepo(empty);
    const none = await runWall({ root: empty, goalDir, outDir: path.join(goalDir, "g2"), runId: "g2" });
    expect(none.ok ? null : none.error.code).toBe("no_gates");

    const noBase = await runWall({ root: repo, goalDir, outDir: path.join(goalDir, "g3"), runId: "g3", base: "no-such-ref" });
    expect(noBase.ok ? null : noBase.error.code).toBe("infra");
  });

  it("gateDescriptors gives the gates as data", () => {
    const described = gateDescriptors(repo);
    if (!described.ok) throw new Error(described.error.message);
    expect(described.value).toEqual([
      { name: "tests", kind: "test", required: true, command: TEST_ARGV },
      { name: "lint", kind: "lint", required: true, command: ["node", "lint.mjs"] },
    ]);
  });
});

describe("detached checkouts", () => {
  it("checkouts of one repository made and removed at the same time all succeed, and none is left registered", async () => {
    const repo = makeTempDir("omk-race-");
    const { base, head } = await featureRepo(repo);
    // Four checkouts at a time, five rounds each: a removal that prunes would delete the admin dir of an add in flight.
    const seen: string[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4, 5, 6, 7].map(async (i) => {
        for (let round = 0; round < 5; round++) {
          const commit = (i + round) % 2 === 0 ? base : head;
          seen.push(await withDetachedCheckout(repo, commit, async (dir) => readFileSync(path.join(dir, "lib.mjs"), "utf8")));
        }
      }),
    );
    expect(seen).toHaveLength(40);
    expect(seen.filter((text) => text.includes("mul")).length).toBe(20);
    expect((await gitIn(repo, "worktree", "list", "--porcelain")).split("\n").filter((l) => l.startsWith("worktree "))).toHaveLength(1);
  });
});

describe.concurrent("collectOracleEvidence", () => {
  it("runs the oracle's checks on base (with the head's tests overlaid: red) and head (green), and the oracle judges them", async () => {
    const repo = makeTempDir("omk-collect-");
    const { base, head } = await featureRepo(repo);
    const frozen = frozenOracle();
    const goalDir = makeTempDir("omk-collect-goal-");
    const baseDir = await checkoutWorktree(repo, base, path.join(makeTempDir("omk-collect-co-"), "tree"));

    const baseWall = await runWall({ root: baseDir, goalDir, outDir: path.join(goalDir, "gates", "base"), runId: "base" });
    if (!baseWall.ok) throw new Error(baseWall.error.message);
    const testFiles = await changedTestFiles(repo, base, head);
    expect(testFiles).toEqual(["mul.test.mjs"]);
    const baseSet = await collectOracleEvidence({
      side: "base",
      root: baseDir,
      commit: base,
      frozen,
      gates: baseWall.value.gates,
      testCases: junitCasesOf(baseWall.value.report),
      headTestsFrom: { repo, headCommit: head, testFiles },
      outFile: path.join(goalDir, "baseline", "evidence.json"),
    });
    if (!baseSet.ok) throw new Error(baseSet.error.message);
    // The red half: the head's tagged test, run against the base's code, fails.
    expect(baseSet.value.headTests).toContainEqual({ classname: "test", name: "mul multiplies [oracle:acceptance-tests]", status: "failed" });
    // The base's own tests on its own code do not have that case.
    expect(baseSet.value.junit.some((c) => c.name.includes("[oracle:acceptance-tests]"))).toBe(false);
    const written = EvidenceSetSchema.parse(JSON.parse(readFileSync(path.join(goalDir, "baseline", "evidence.json"), "utf8")));
    expect(written).toMatchObject({ oracleHash: frozen.hash, commit: base });

    const headWall = await runWall({ root: repo, goalDir, outDir: path.join(goalDir, "gates", "head"), runId: "head", base });
    if (!headWall.ok) throw new Error(headWall.error.message);
    const headSet = await collectOracleEvidence({
      side: "head",
      root: repo,
      commit: head,
      frozen,
      gates: headWall.value.gates,
      testCases: junitCasesOf(headWall.value.report),
      reviews: [{ criterionId: "review", verdict: "passed", record: "reviews/r1-reviewer.json" }],
      outFile: path.join(goalDir, "evidence", "r1-head.json"),
    });
    if (!headSet.ok) throw new Error(headSet.error.message);
    const smoke = headSet.value.commands.find((c) => c.criterionId === "smoke");
    expect(smoke).toMatchObject({ exitCode: 0, timedOut: false });
    expect(smoke?.stdoutSha256).toMatch(/^[0-9a-f]{64}$/);
    // The test_case whose argv no gate runs was run with a JUnit reporter added: its cases are in junit.
    expect(headSet.value.junit.filter((c) => c.name === "adds numbers").length).toBe(2);

    const evaluation = evaluateRound(frozen, baseSet.value, headSet.value, { baseCommit: base, headCommit: head });
    if (!evaluation.ok) throw new Error(evaluation.error.message);
    const verdicts = Object.fromEntries(evaluation.value.criteria.map((c) => [c.id, `${c.verdict}: ${c.reason}`]));
    expect(verdicts["acceptance-tests"]).toMatch(/^passed: .*fail on base and pass on head/);
    expect(verdicts["plain-runner"]).toMatch(/^passed/);
    expect(verdicts["smoke"]).toMatch(/^passed/);
    expect(verdicts["same-output"]).toMatch(/^passed/);
    expect(verdicts["gate-tests"]).toMatch(/^passed/);
    expect(verdicts["review"]).toMatch(/^passed/);
    expect(evaluation.value.ready).toBe(true);

    // Evidence bound to another commit than expected is refused as a whole.
    const refused = evaluateRound(frozen, baseSet.value, headSet.value, { baseCommit: head, headCommit: head });
    expect(refused.ok ? null : refused.error.code).toBe("evidence_refused");
  });

  it("records a failing command with its exit code and redacts secrets from its output", async () => {
    const repo = makeTempDir("omk-collect-fail-");
    const { head } = await featureRepo(repo);
    const frozen = frozenOracle([
      {
        id: "leaky",
        kind: "command",
        description: "prints a secret and fails",
        mustFailOnBase: false,
        run: { command: ["node", "-e", "console.log('token ' + process.argv[1]); process.exit(3)", "s3cr3t-value-123456"], cwd: "." },
      },
      { id: "missing", kind: "command", description: "no such program", mustFailOnBase: false, run: { command: ["omk-no-such-program-xyz"], cwd: "." } },
    ]);
    const outFile = path.join(makeTempDir("omk-collect-out-"), "head.json");
    const set = await collectOracleEvidence({
      side: "head",
      root: repo,
      commit: head,
      frozen,
      gates: [],
      testCases: [],
      env: { ...process.env, MY_API_TOKEN: "s3cr3t-value-123456" },
      outFile,
    });
    if (!set.ok) throw new Error(set.error.message);
    const leaky = set.value.commands.find((c) => c.criterionId === "leaky");
    expect(leaky?.exitCode).toBe(3);
    expect(leaky?.stdout).toContain("token [REDACTED");
    expect(readFileSync(outFile, "utf8")).not.toContain("s3cr3t-value-123456");
    expect(set.value.commands.find((c) => c.criterionId === "missing")?.exitCode).toBe(127);
    const evaluation = evaluateRound(frozen, null, set.value, { headCommit: head });
    if (!evaluation.ok) throw new Error(evaluation.error.message);
    expect(evaluation.value.criteria.map((c) => c.verdict)).toEqual(["failed", "failed"]);
  });

  it("refuses a checkout that is not at the commit it is said to be", async () => {
    const repo = makeTempDir("omk-collect-wrong-");
    const { base } = await featureRepo(repo);
    const set = await collectOracleEvidence({
      side: "base",
      root: repo,
      commit: base,
      frozen: frozenOracle(),
      gates: [],
      testCases: [],
      outFile: path.join(makeTempDir(), "x.json"),
    });
    expect(set.ok ? null : set.error.code).toBe("infra");
  });
});
