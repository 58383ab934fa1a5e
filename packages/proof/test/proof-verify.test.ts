import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sha256 } from "@omk/core";
import { writeOracleFile } from "@omk/oracle";
import { type FrozenOracle, openStore, type Proof, ProofSchema, requestResume } from "@omk/state";
import { checkoutWorktree, cleanupTempDirs, commitFiles, gitIn, makeTempDir } from "@omk/test-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedTestFiles, collectOracleEvidence, evaluateRound, junitCasesOf, runWall, verifyProof } from "../src/index.js";
import type { ProofEvent as ControllerEvent } from "../src/types.js";
import { featureRepo, frozenOracle } from "./evidence-fixture.js";

afterAll(cleanupTempDirs);

const REVIEW = "reviews/r1-reviewer.json";
const GOAL_ID = "g-proof-verify-test";

/** A goal dir with oracle.json, the base evidence, a review record and proof.json, all from real runs. */
async function assembleProof(repo: string, base: string, head: string, frozen: FrozenOracle): Promise<string> {
  const goalDir = makeTempDir("omk-proof-goal-");
  writeOracleFile(goalDir, frozen);
  const baseDir = await checkoutWorktree(repo, base, path.join(makeTempDir("omk-proof-co-"), "tree"));
  const baseWall = await runWall({ root: baseDir, goalDir, outDir: path.join(goalDir, "gates", "base"), runId: "base" });
  if (!baseWall.ok) throw new Error(baseWall.error.message);
  const baseSet = await collectOracleEvidence({
    side: "base",
    root: baseDir,
    commit: base,
    frozen,
    gates: baseWall.value.gates,
    testCases: junitCasesOf(baseWall.value.report),
    headTestsFrom: { repo, headCommit: head, testFiles: await changedTestFiles(repo, base, head) },
    outFile: path.join(goalDir, "baseline", "evidence.json"),
  });
  if (!baseSet.ok) throw new Error(baseSet.error.message);
  const reviewText = `${JSON.stringify({ pass: "reviewer", verdict: "passed", findings: [] })}\n`;
  mkdirSync(path.join(goalDir, "reviews"));
  writeFileSync(path.join(goalDir, REVIEW), reviewText);
  const headDir = await checkoutWorktree(repo, head, path.join(makeTempDir("omk-proof-co-"), "tree"));
  const wall = await runWall({ root: headDir, goalDir, outDir: path.join(goalDir, "gates", "head"), runId: "head", base });
  if (!wall.ok) throw new Error(wall.error.message);
  const headSet = await collectOracleEvidence({
    side: "head",
    root: headDir,
    commit: head,
    frozen,
    gates: wall.value.gates,
    testCases: junitCasesOf(wall.value.report),
    reviews: [{ criterionId: "review", verdict: "passed", record: REVIEW }],
    outFile: path.join(goalDir, "evidence", "r1-head.json"),
  });
  if (!headSet.ok) throw new Error(headSet.error.message);
  const evaluation = evaluateRound(frozen, baseSet.value, headSet.value, { baseCommit: base, headCommit: head });
  if (!evaluation.ok) throw new Error(evaluation.error.message);
  expect(evaluation.value.ready).toBe(true);
  const zero = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
  const proof: Proof = ProofSchema.parse({
    schemaVersion: 1,
    kind: "omk.proof",
    goalId: GOAL_ID,
    status: "ready",
    oracleHash: frozen.hash,
    baseCommit: base,
    headCommit: head,
    tasks: [],
    gates: wall.value.gates,
    criteria: evaluation.value.criteria.map((c) => ({ id: c.id, verdict: c.verdict, evidence: [...c.evidence] })),
    reviews: [{ kind: "reviewer", verdict: "passed", record: REVIEW }],
    knownGaps: [],
    spend: { timeMs: 0, tokens: zero, usd: 0, usdUnknownRecords: 0, records: 0 },
    recheck: [`omk proof verify ${path.join(goalDir, "proof.json")}`],
    lastSeq: 1,
    createdAt: new Date().toISOString(),
  });
  // The review record's digest rides along in the proof (an extra field the schema keeps out of its type).
  const reviews = proof.reviews.map((r) => ({ ...r, sha256: sha256(reviewText) }));
  writeFileSync(path.join(goalDir, "proof.json"), `${JSON.stringify({ ...proof, reviews }, null, 2)}\n`);
  return goalDir;
}

const proofOf = (goalDir: string) => JSON.parse(readFileSync(path.join(goalDir, "proof.json"), "utf8")) as Record<string, unknown>;
const writeProof = (goalDir: string, value: unknown) =>
  writeFileSync(path.join(goalDir, "proof.json"), typeof value === "string" ? value : JSON.stringify(value));
/** A copy of the goal dir (proof, oracle, evidence, reviews) to tamper with. */
const copyGoal = (goalDir: string) => {
  const dir = path.join(makeTempDir("omk-proof-copy-"), "goal");
  cpSync(goalDir, dir, { recursive: true });
  return dir;
};

const fileSha = (file: string) => sha256(readFileSync(file, "utf8"));

/**
 * The goal in a state store as a run leaves it: its event log names the base
 * commit, the evaluated head, the evidence files with their digests, and
 * proof.json's digest (the store writes proof.json when the goal turns ready).
 */
async function storedGoal(repo: string, base: string, head: string, goalDir: string): Promise<{ root: string; id: string; dir: string }> {
  const root = makeTempDir("omk-proof-root-");
  const store = openStore({ root });
  const created = await store.createGoal({
    text: "add mul",
    repoRoot: repo,
    baseCommit: base,
    limits: { timeMs: null, tokens: null, usd: null },
    maxAgents: 1,
  });
  if (!created.ok) throw new Error(created.error.message);
  const id = created.value.id;
  const dir = store.paths(id).dir;
  for (const part of ["oracle.json", "baseline", "gates", "evidence", "reviews"]) cpSync(path.join(goalDir, part), path.join(dir, part), { recursive: true });
  const proof = ProofSchema.parse(proofOf(goalDir));
  const appended = await store.append(id, () => [
    {
      type: "baseline_recorded",
      actor: "controller",
      data: {
        oracleHash: proof.oracleHash,
        commit: base,
        gates: [],
        evidence: { path: "baseline/evidence.json", sha256: fileSha(path.join(dir, "baseline", "evidence.json")) },
      },
    },
    { type: "integration_recorded", actor: "controller", data: { outcome: "integrated", round: 1, branch: `omk/${id}/integration`, head, merged: [] } },
    {
      type: "oracle_evaluated",
      actor: "controller",
      data: {
        round: 1,
        oracleHash: proof.oracleHash,
        headCommit: head,
        ready: true,
        counts: { passed: proof.criteria.length },
        criteria: proof.criteria,
        evidence: [{ path: "evidence/r1-head.json", sha256: fileSha(path.join(dir, "evidence", "r1-head.json")) }],
      },
    },
  ]);
  if (!appended.ok) throw new Error(appended.error.message);
  const running = await requestResume(store, id);
  if (!running.ok) throw new Error(running.error.message);
  const ready = await store.transition(id, "ready", { actor: "controller", proof: { ...proof, goalId: id } });
  if (!ready.ok) throw new Error(ready.error.message);
  return { root, id, dir };
}

/** A copy of a whole state root, to tamper with. */
const copyRoot = (root: string, id: string) => {
  const copy = path.join(makeTempDir("omk-proof-root-copy-"), "state");
  cpSync(root, copy, { recursive: true });
  return path.join(copy, "goals", id);
};

describe.concurrent("verifyProof", () => {
  let repo: string;
  let base: string;
  let head: string;
  let broken: string;
  let goalDir: string;
  beforeAll(async () => {
    repo = makeTempDir("omk-proof-repo-");
    ({ base, head } = await featureRepo(repo));
    goalDir = await assembleProof(repo, base, head, frozenOracle());
    // A later commit where the feature's test fails.
    broken = await commitFiles(repo, { "lib.mjs": "export const add = (a, b) => a + b;\nexport const mul = (a, b) => a + b;\n" }, "break mul");
  }, 60_000);

  // Sequential (before the others start): it checks that verifyProof left no checkout of its own in the repository.
  it.sequential("holds for a proof made from real runs, re-running gates and oracle checks on a clean checkout", async () => {
    const events: ControllerEvent[] = [];
    const checked = await verifyProof({ proofFile: path.join(goalDir, "proof.json"), repo, onEvent: (e) => events.push(e) });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.problems).toEqual([]);
    expect(checked.value.holds).toBe(true);
    expect(checked.value.headCommit).toBe(head);
    expect(checked.value.gates).toEqual([
      { name: "tests", recorded: "passed", now: "passed", holds: true },
      { name: "lint", recorded: "passed", now: "passed", holds: true },
    ]);
    expect(checked.value.criteria.map((c) => `${c.id} ${c.now}`)).toEqual([
      "acceptance-tests passed",
      "plain-runner passed",
      "smoke passed",
      "same-output passed",
      "gate-tests passed",
      "review passed",
    ]);
    const gateEvents = events.filter((e) => e.type === "gate_finished");
    expect(gateEvents.map((e) => (e.type === "gate_finished" ? `${e.where} ${e.gate.name}` : "")).sort()).toEqual(["proof lint", "proof tests"]);
    // The clean checkouts were removed: only the worktrees this test made itself remain.
    const worktrees = (await gitIn(repo, "worktree", "list", "--porcelain")).split("\n").filter((l) => l.startsWith("worktree "));
    expect(worktrees.some((l) => l.includes("omk-proof-") && !l.includes("omk-proof-co-") && !l.includes("omk-proof-repo-"))).toBe(false);
  });

  it("does not hold when the proof's commit fails its tests, and names the gate", async () => {
    const dir = copyGoal(goalDir);
    writeProof(dir, { ...proofOf(dir), headCommit: broken });
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json"), repo });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.holds).toBe(false);
    expect(checked.value.gates.find((g) => g.name === "tests")).toEqual({ name: "tests", recorded: "passed", now: "failed", holds: false });
    expect(checked.value.gates.find((g) => g.name === "lint")?.holds).toBe(true);
    expect(checked.value.criteria.find((c) => c.id === "acceptance-tests")).toMatchObject({ recorded: "passed", now: "failed", holds: false });
    expect(checked.value.problems.join("\n")).toContain('the gate "tests" was passed in the proof and is failed');
  });

  it("does not hold when a review record was changed after the proof named it", async () => {
    const dir = copyGoal(goalDir);
    writeFileSync(path.join(dir, REVIEW), '{"verdict":"passed","edited":true}\n');
    const checked = await verifyProof({ proofFile: dir, repo });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.holds).toBe(false);
    expect(checked.value.criteria.find((c) => c.id === "review")).toMatchObject({ recorded: "passed", now: "not_run", holds: false });
    expect(checked.value.problems.join("\n")).toContain(`the review record ${REVIEW} was changed after it was recorded`);
  });

  it("runs the base side again when the goal kept no base evidence", async () => {
    const dir = copyGoal(goalDir);
    rmSync(path.join(dir, "baseline"), { recursive: true });
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json"), repo });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.problems.join("\n")).toContain("no recorded base evidence");
    expect(checked.value.criteria.find((c) => c.id === "acceptance-tests")).toMatchObject({ now: "passed", holds: true });
    expect(checked.value.holds).toBe(true);
  });

  it("finds the repository through the store when the proof's goal is there", async () => {
    const store = openStore({ root: makeTempDir("omk-proof-state-") });
    const created = await store.createGoal({
      text: "add mul",
      repoRoot: repo,
      baseCommit: base,
      limits: { timeMs: null, tokens: null, usd: null },
      maxAgents: 1,
    });
    if (!created.ok) throw new Error(created.error.message);
    const dir = copyGoal(goalDir);
    writeProof(dir, { ...proofOf(dir), goalId: created.value.id });
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json"), store });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.problems).toEqual([]);
    expect(checked.value.holds).toBe(true);
  });

  it("gives a clear problem for a missing, corrupt, foreign or tampered proof, a wrong oracle, and an unknown repository", async () => {
    const code = async (proofFile: string, repoDir: string | null = repo) => {
      const r = await verifyProof({ proofFile, ...(repoDir === null ? {} : { repo: repoDir }) });
      return r.ok ? "ok" : `${r.error.code}: ${r.error.message}`;
    };
    expect(await code(path.join(makeTempDir(), "proof.json"))).toMatch(/^proof_missing: .*does not exist/);

    const corrupt = copyGoal(goalDir);
    writeProof(corrupt, "{ not json");
    expect(await code(path.join(corrupt, "proof.json"))).toMatch(/^proof_corrupt: .*is not JSON/);

    const failure = copyGoal(goalDir);
    writeProof(failure, { schemaVersion: 1, kind: "omk.failure", status: "not_ready" });
    expect(await code(path.join(failure, "proof.json"))).toMatch(/^proof_foreign: .*failure record \(status not_ready\)/);

    const edited = copyGoal(goalDir);
    writeProof(edited, { ...proofOf(edited), headCommit: "not-a-sha" });
    expect(await code(path.join(edited, "proof.json"))).toMatch(/^proof_corrupt: .*headCommit/);

    const otherOracle = copyGoal(goalDir);
    writeProof(otherOracle, { ...proofOf(otherOracle), oracleHash: "0".repeat(64) });
    expect(await code(path.join(otherOracle, "proof.json"))).toMatch(/^oracle_mismatch: the proof names oracle 0{64}/);

    const tamperedOracle = copyGoal(goalDir);
    const oracleFile = path.join(tamperedOracle, "oracle.json");
    writeFileSync(oracleFile, readFileSync(oracleFile, "utf8").replace("mul is specified", "mul is loosely specified"));
    expect(await code(path.join(tamperedOracle, "proof.json"))).toMatch(/^oracle_tampered: /);

    expect(await code(path.join(goalDir, "proof.json"), null)).toMatch(/^repo_unknown: .*--repo/);
    expect(await code(path.join(goalDir, "proof.json"), makeTempDir())).toMatch(/^commit_missing: /);
  });
  it("does not hold when the proof drops a criterion of its oracle, though every row it lists still passes", async () => {
    const dir = copyGoal(goalDir);
    const proof = proofOf(dir);
    writeProof(dir, { ...proof, criteria: (proof["criteria"] as { id: string }[]).filter((c) => c.id !== "acceptance-tests") });
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json"), repo });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.holds).toBe(false);
    expect(checked.value.criteria.find((c) => c.id === "acceptance-tests")).toEqual({
      id: "acceptance-tests",
      recorded: "missing",
      now: "passed",
      holds: false,
    });
    expect(checked.value.problems.join("\n")).toContain("does not list the oracle's criterion acceptance-tests");
  });

  it("does not hold when the proof records a required gate as failed, or as skipped (a required gate that did not run is not passing)", async () => {
    const dir = copyGoal(goalDir);
    const proof = proofOf(dir);
    const recorded: Record<string, string> = { tests: "skipped", lint: "failed" };
    const gates = (proof["gates"] as { name: string; required: boolean; outcome: string }[]).map((g) => ({ ...g, outcome: recorded[g.name] ?? g.outcome }));
    expect(
      gates
        .filter((g) => g.required)
        .map((g) => g.name)
        .sort(),
    ).toEqual(["lint", "tests"]);
    writeProof(dir, { ...proof, gates });
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json"), repo });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.holds).toBe(false);
    expect(checked.value.gates.find((g) => g.name === "tests")).toEqual({ name: "tests", recorded: "skipped", now: "passed", holds: false });
    expect(checked.value.gates.find((g) => g.name === "lint")).toEqual({ name: "lint", recorded: "failed", now: "passed", holds: false });
    const problems = checked.value.problems.join("\n");
    expect(problems).toContain('records the required gate "tests" as skipped');
    expect(problems).toContain('records the required gate "lint" as failed');
  });

  it("does not hold when a gate log the proof names was altered, and names the file", async () => {
    const dir = copyGoal(goalDir);
    const log = (proofOf(dir)["gates"] as { logs: { path: string }[] }[])[0]?.logs[0]?.path as string;
    appendFileSync(path.join(dir, log), "junk appended after the gate ran\n");
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json"), repo });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.holds).toBe(false);
    expect(checked.value.problems.join("\n")).toContain(`the log of gate "tests" ${log} was changed after it was recorded`);
  });

  it("holds for a goal in a state store, found from the proof's path alone (no store, no repository given)", async () => {
    const goal = await storedGoal(repo, base, head, goalDir);
    const checked = await verifyProof({ proofFile: path.join(goal.dir, "proof.json") });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.problems).toEqual([]);
    expect(checked.value.holds).toBe(true);
    // A store that does not hold the goal (the CLI's default one) changes nothing.
    const other = openStore({ root: makeTempDir("omk-proof-other-") });
    const again = await verifyProof({ proofFile: goal.dir, store: other });
    expect(again.ok && again.value.holds).toBe(true);
  });

  it("does not hold when the proof's head commit is set to the base commit, naming both", async () => {
    const goal = await storedGoal(repo, base, head, goalDir);
    const dir = copyRoot(goal.root, goal.id);
    writeProof(dir, { ...proofOf(dir), headCommit: base });
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json") });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.holds).toBe(false);
    const problems = checked.value.problems.join("\n");
    expect(problems).toContain(`the proof's headCommit ${base} is not the head goal ${goal.id}'s event log last evaluated, ${head}`);
    expect(problems).toContain(`proof.json is not the file goal ${goal.id} wrote`);
  });

  it("refuses a proof path that is a device, a FIFO or too large, at once and without reading it", async () => {
    const code = async (proofFile: string) => {
      const r = await verifyProof({ proofFile, repo });
      return r.ok ? "ok" : `${r.error.code}: ${r.error.message}`;
    };
    expect(await code("/dev/zero")).toMatch(/^proof_unreadable: \/dev\/zero is not a regular file \(a character device\)/);
    const fifo = path.join(makeTempDir(), "proof.json");
    execFileSync("mkfifo", [fifo]);
    expect(await code(fifo)).toMatch(/^proof_unreadable: .*is not a regular file \(a FIFO\)/);
    const huge = path.join(makeTempDir(), "proof.json");
    writeFileSync(huge, "");
    truncateSync(huge, 100 * 1024 * 1024);
    expect(await code(huge)).toMatch(/^proof_too_large: .*is 104857600 bytes, more than the 67108864 bytes allowed/);
    // An evidence file the proof names, swapped for a FIFO: a broken claim, never a hang.
    const goal = await storedGoal(repo, base, head, goalDir);
    const dir = copyRoot(goal.root, goal.id);
    rmSync(path.join(dir, REVIEW));
    execFileSync("mkfifo", [path.join(dir, REVIEW)]);
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json") });
    expect(checked.ok && checked.value.holds).toBe(false);
    expect(checked.ok && checked.value.problems.join("\n")).toMatch(/is not a regular file \(a FIFO\)/);
  });

  it("does not hold when the goal's event log was forged after the goal ended: a budget_extended appended from outside", async () => {
    const goal = await storedGoal(repo, base, head, goalDir);
    const dir = copyRoot(goal.root, goal.id);
    const events = path.join(dir, "events.jsonl");
    const last = readFileSync(events, "utf8").trimEnd().split("\n").at(-1) as string;
    const seq = (JSON.parse(last) as { seq: number }).seq + 1;
    const line = JSON.stringify({
      v: 1,
      seq,
      ts: new Date().toISOString(),
      actor: "user",
      prev: sha256(last),
      type: "budget_extended",
      data: { add: { tokens: 999999999 } },
    });
    appendFileSync(events, `${line.slice(0, -1)},"mac":"${"ab".repeat(32)}"}\n`);
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json") });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.holds).toBe(false);
    expect(checked.value.problems.join("\n")).toMatch(
      new RegExp(`the event log of goal ${goal.id} fails its hash chain: .*line ${seq} has a MAC the log key does not confirm`),
    );
  });

  it("does not hold when the log is re-chained without the key (another machine) and no longer holds the chain head the proof binds", async () => {
    const goal = await storedGoal(repo, base, head, goalDir);
    const dir = copyRoot(goal.root, goal.id);
    const proof = ProofSchema.parse(proofOf(dir));
    expect(proof.logHead).toMatch(/^[0-9a-f]{64}$/);
    // On a machine without the key the MACs cannot be checked: edit the first line and re-chain every line after it.
    rmSync(path.join(dir, "..", "..", "keys"), { recursive: true });
    const events = path.join(dir, "events.jsonl");
    const lines = readFileSync(events, "utf8").trimEnd().split("\n");
    lines[0] = (lines[0] as string).replace('"add mul"', '"add div"');
    for (let i = 1; i < lines.length; i++) lines[i] = (lines[i] as string).replace(/"prev":"[0-9a-f]{64}"/, `"prev":"${sha256(lines[i - 1] as string)}"`);
    writeFileSync(events, `${lines.join("\n")}\n`);
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json") });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.holds).toBe(false);
    expect(checked.value.problems.join("\n")).toContain(
      `the event log of goal ${goal.id} does not hold the chain head the proof binds at event ${proof.lastSeq}`,
    );
  });

  it("does not hold when the proof's base commit is not the goal's", async () => {
    const goal = await storedGoal(repo, base, head, goalDir);
    const dir = copyRoot(goal.root, goal.id);
    writeProof(dir, { ...proofOf(dir), baseCommit: broken });
    const checked = await verifyProof({ proofFile: path.join(dir, "proof.json") });
    if (!checked.ok) throw new Error(checked.error.message);
    expect(checked.value.holds).toBe(false);
    expect(checked.value.problems.join("\n")).toContain(`the proof's baseCommit ${broken} is not the base commit of goal ${goal.id}, ${base}`);
  });

  it("gives evidence_missing (not a verdict) for a proof copied without its evidence, naming each file once", async () => {
    const alone = makeTempDir("omk-proof-alone-");
    for (const f of ["proof.json", "oracle.json"]) cpSync(path.join(goalDir, f), path.join(alone, f));
    const checked = await verifyProof({ proofFile: path.join(alone, "proof.json"), repo });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.error.code).toBe("evidence_missing");
    expect(checked.error.message.split(REVIEW).length - 1).toBe(1);
    const logs = (proofOf(goalDir)["gates"] as { logs: { path: string }[] }[]).flatMap((g) => g.logs.map((l) => l.path));
    for (const log of logs) expect(checked.error.message).toContain(log);
    expect(checked.error.fix).toContain("goal's state dir");

    // With the goal in the store given, its goal dir supplies the evidence.
    const goal = await storedGoal(repo, base, head, goalDir);
    const copied = makeTempDir("omk-proof-alone-");
    for (const f of ["proof.json", "oracle.json"]) cpSync(path.join(goal.dir, f), path.join(copied, f));
    const found = await verifyProof({ proofFile: path.join(copied, "proof.json"), store: openStore({ root: goal.root }) });
    if (!found.ok) throw new Error(found.error.message);
    expect(found.value.problems).toEqual([]);
    expect(found.value.holds).toBe(true);
  });
});
