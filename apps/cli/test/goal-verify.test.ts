import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runGates } from "@omk/gates";
import { EventSchema, GateEvidenceSchema, VerificationRecordSchema } from "@omk/state";
import { cleanupTempDirs, filesContaining, initGitRepo, makeTempDir, omkBinPath, runOmk } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { toGateEvidence } from "@omk/proof";

afterAll(cleanupTempDirs);

const SECRET = "tok-9f8e7d6c5b4a39281706";
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** A git repo with a gates config: unit (reads state.txt), legacy (always fails), smoke (prints $API_TOKEN). */
async function repoWithGates(): Promise<{ repo: string; base: string }> {
  const repo = makeTempDir("omk-verify-repo-");
  const node = JSON.stringify(process.execPath);
  const base = await initGitRepo(repo, {
    "README.md": "# fixture\n",
    "state.txt": "pass\n",
    "check.mjs":
      "import { readFileSync } from 'node:fs'; const ok = readFileSync('state.txt', 'utf8').trim() === 'pass'; console.log(ok ? 'unit ok' : 'unit broke'); process.exitCode = ok ? 0 : 1;\n",
    "legacy.mjs": "console.error('legacy lint has always failed'); process.exitCode = 1;\n",
    "leak.mjs": "console.log('token: ' + process.env.API_TOKEN);\n",
    ".gitignore": "",
  });
  mkdirSync(path.join(repo, ".omk"));
  writeFileSync(
    path.join(repo, ".omk", "gates.yaml"),
    `gates:\n  - {name: unit, kind: test, command: [${node}, check.mjs]}\n  - {name: legacy, kind: lint, command: [${node}, legacy.mjs]}\n  - {name: smoke, kind: custom, command: [${node}, leak.mjs], env: [API_TOKEN]}\n`,
  );
  const { execa } = await import("execa");
  await execa("git", ["add", "-A"], { cwd: repo });
  await execa("git", ["commit", "-qm", "gates"], {
    cwd: repo,
    env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e.invalid" },
  });
  const { stdout } = await execa("git", ["rev-parse", "HEAD"], { cwd: repo });
  return { repo, base: stdout.trim() || base };
}

type Verified = {
  goalId: string;
  runId: string;
  verdict: string;
  base: { ref: string; commit: string } | null;
  gates: Array<{ name: string; outcome: string; baseline?: string; logs: Array<{ path: string; sha256: string }> }>;
  report: { path: string; sha256: string };
};

describe("omk goal verify", () => {
  it("runs the wall in the goal's repo, keeps logs under the goal, records the evidence, judges against the base", async () => {
    const stateDir = makeTempDir();
    const { repo, base } = await repoWithGates();
    const omk = (...args: string[]) => runOmk(args, { stateDir, cwd: repo, env: { API_TOKEN: SECRET } });
    const created = await omk("goal", "create", "Keep the wall green", "--json");
    const goalId = (created.json() as { id: string }).id;

    // HEAD is the base and the tree is clean: nothing to compare, every required gate must pass; legacy fails.
    const fresh = await omk("goal", "verify");
    expect(fresh.exitCode, fresh.stderr).toBe(1);
    expect(fresh.stdout).toMatch(/^gate\s+kind\s+req\s+outcome\s+time\s+exit$/m);
    expect(fresh.stdout).toMatch(/legacy\s+lint\s+yes\s+failed/);
    expect(fresh.stdout).toContain(`recorded in goal ${goalId}`);
    expect(fresh.stderr).toContain("omk: gate unit passed");

    // A change: judged against the base commit; the failure that was already there is not blamed.
    writeFileSync(path.join(repo, "README.md"), "# fixture\n\nmore\n");
    const judged = await omk("goal", "verify", goalId, "--json");
    expect(judged.exitCode, judged.stderr).toBe(0);
    const ok = judged.json() as Verified;
    expect(ok).toMatchObject({ goalId, verdict: "passed", base: { ref: base, commit: base } });
    expect(Object.fromEntries(ok.gates.map((g) => [g.name, [g.outcome, g.baseline]]))).toEqual({
      unit: ["passed", "unchanged_pass"],
      legacy: ["failed", "pre_existing_failure"],
      smoke: ["passed", "unchanged_pass"],
    });

    // Break the unit gate: a new failure, exit 1.
    writeFileSync(path.join(repo, "state.txt"), "fail\n");
    const broken = await omk("goal", "verify", "--json");
    expect(broken.exitCode).toBe(1);
    expect((broken.json() as Verified).gates.find((g) => g.name === "unit")).toMatchObject({ outcome: "failed", baseline: "new_failure" });
    expect((await omk("goal", "verify", "--no-baseline", "--json")).exitCode).toBe(1);

    // The event log holds the evidence; the files it names are there with those digests.
    const goalDir = path.join(stateDir, "goals", goalId);
    const events = readFileSync(path.join(goalDir, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => EventSchema.parse(JSON.parse(l)));
    const verifications = events.filter((e) => e.type === "verification_recorded");
    expect(verifications.map((e) => e.data.verdict)).toEqual(["failed", "passed", "failed", "failed"]);
    const last = verifications[1];
    if (last?.type !== "verification_recorded") throw new Error("no verification event");
    expect(last.data.runId).toBe(ok.runId);
    expect(sha256(path.join(goalDir, last.data.report.path))).toBe(last.data.report.sha256);
    for (const gate of last.data.gates) {
      GateEvidenceSchema.parse(gate);
      for (const log of gate.logs) expect(sha256(path.join(goalDir, log.path))).toBe(log.sha256);
    }
    expect(last.data.report.path).toBe(path.join("gates", ok.runId, "report.json"));
    expect(existsSync(path.join(goalDir, "gates", ok.runId, "base", "report.json"))).toBe(true);
    expect(existsSync(path.join(goalDir, "gates", ok.runId, "report.md"))).toBe(true);
    // The gate printed the allowlisted token: it is nowhere in the goal's files.
    expect(filesContaining(stateDir, SECRET)).toEqual([]);
  });

  it("without a goal verifies a checkout and writes a verification record to --out", async () => {
    const stateDir = makeTempDir();
    const { repo } = await repoWithGates();
    writeFileSync(
      path.join(repo, ".omk", "gates.yaml"),
      readFileSync(path.join(repo, ".omk", "gates.yaml"), "utf8").replace("legacy, kind: lint,", "legacy, kind: lint, required: false,"),
    );
    const ci = makeTempDir("omk-verify-ci-");
    const run = await runOmk(["goal", "verify", "--checkout", repo, "--out", path.join(ci, "proof", "verify.json"), "--junit", path.join(ci, "junit.xml")], {
      stateDir,
      cwd: ci,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain(`verification record: ${path.join(ci, "proof", "verify.json")}`);
    const record = VerificationRecordSchema.parse(JSON.parse(readFileSync(path.join(ci, "proof", "verify.json"), "utf8")));
    expect(record).toMatchObject({ kind: "omk.verification", verdict: "passed", repo, dirty: true, base: null });
    expect(record.gates.map((g) => [g.name, g.outcome])).toEqual([
      ["unit", "passed"],
      ["legacy", "failed"],
      ["smoke", "passed"],
    ]);
    for (const log of record.gates.flatMap((g) => g.logs)) expect(sha256(path.join(ci, "proof", log.path))).toBe(log.sha256);
    expect(readFileSync(path.join(ci, "junit.xml"), "utf8")).toContain('name="legacy"');
    expect(existsSync(path.join(stateDir, "goals"))).toBe(false);
  });

  it("a clean checkout stays clean on a second run: its own gates/ logs and --out record do not count", async () => {
    const stateDir = makeTempDir();
    const { repo } = await repoWithGates();
    for (const round of [1, 2]) {
      const run = await runOmk(["goal", "verify", "--checkout", ".", "--out", "proof.json", "--markdown", "wall.md"], { stateDir, cwd: repo });
      expect(run.exitCode, run.stderr).toBe(1); // legacy always fails
      expect(VerificationRecordSchema.parse(JSON.parse(readFileSync(path.join(repo, "proof.json"), "utf8"))).dirty, `round ${round}`).toBe(false);
    }
    writeFileSync(path.join(repo, "state.txt"), "changed\n");
    await runOmk(["goal", "verify", "--checkout", ".", "--out", "proof.json"], { stateDir, cwd: repo });
    expect(VerificationRecordSchema.parse(JSON.parse(readFileSync(path.join(repo, "proof.json"), "utf8"))).dirty).toBe(true);
  });

  it("a second Ctrl-C kills gates that ignore SIGTERM at once and exits 7 (cancelled)", async () => {
    const stateDir = makeTempDir();
    const { repo } = await repoWithGates();
    const pids = path.join(repo, "pids.txt");
    writeFileSync(
      path.join(repo, "stubborn.mjs"),
      "import { appendFileSync } from 'node:fs'; process.on('SIGTERM', () => {}); appendFileSync(process.argv[2], process.pid + '\\n'); setInterval(() => {}, 1000);\n",
    );
    writeFileSync(
      path.join(repo, ".omk", "gates.yaml"),
      `gates:\n  - {name: a, kind: test, command: [${JSON.stringify(process.execPath)}, stubborn.mjs, ${JSON.stringify(pids)}]}\n  - {name: b, kind: test, command: [${JSON.stringify(process.execPath)}, stubborn.mjs, ${JSON.stringify(pids)}]}\n`,
    );
    const readPids = () =>
      existsSync(pids)
        ? readFileSync(pids, "utf8")
            .trim()
            .split("\n")
            .filter((l) => l !== "")
            .map(Number)
        : [];
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
      } catch {
        return false;
      }
    };
    const { execa } = await import("execa");
    const child = execa(process.execPath, [omkBinPath, "goal", "verify", "--checkout", ".", "--out", "proof.json"], {
      cwd: repo,
      reject: false,
      env: { OMK_STATE_DIR: stateDir, NO_COLOR: "1", CI: "true" },
      stdin: "ignore",
    });
    try {
      for (let i = 0; i < 300 && readPids().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(readPids()).toHaveLength(2);
      child.kill("SIGINT");
      await new Promise((r) => setTimeout(r, 300));
      child.kill("SIGINT");
      const result = await child;
      expect(result.exitCode).toBe(7);
      for (let i = 0; i < 50 && readPids().some(alive); i++) await new Promise((r) => setTimeout(r, 20));
      for (const pid of readPids()) expect(alive(pid), `gate pid ${pid}`).toBe(false);
    } finally {
      for (const pid of readPids()) if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("usage and environment errors exit with the architecture's codes", async () => {
    const stateDir = makeTempDir();
    const empty = makeTempDir("omk-verify-empty-");
    const none = await runOmk(["goal", "verify"], { stateDir, cwd: empty });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/^omk: no goal to verify under .* — fix: verify a checkout without a goal: \S.* goal verify --checkout \. --out proof\.json/);
    expect((await runOmk(["goal", "verify", "--checkout"], { stateDir, cwd: empty })).exitCode).toBe(2);
    const nothing = await runOmk(["goal", "verify", "--checkout", empty, "--out", "x.json"], { stateDir, cwd: empty });
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toMatch(/no gates found/);
    writeFileSync(path.join(empty, "package.json"), JSON.stringify({ scripts: { test: "node -e 0" } }));
    const noGit = await runOmk(["goal", "verify", "--checkout", empty, "--out", "x.json"], { stateDir, cwd: empty });
    expect(noGit.exitCode).toBe(2); // a usage error: run it in a clone (docs/cli.md, exit codes)
    expect(noGit.stderr).toMatch(/not a git checkout/);
    const { repo } = await repoWithGates();
    writeFileSync(path.join(repo, ".omk", "gates.yaml"), "gates:\n  - {name: a, kind: test, command: 'npm test'}\n");
    const bad = await runOmk(["goal", "verify", "--checkout", repo, "--out", "x.json"], { stateDir, cwd: repo });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/shell: true/);
  });
});

describe("toGateEvidence (the gates → proof mapping, from @omk/proof, as the CLI uses it)", () => {
  it("maps each gate result to GateEvidence with logs relative to the goal dir and the baseline status", async () => {
    const { repo, base } = await repoWithGates();
    const goalDir = makeTempDir("omk-goal-dir-");
    const report = await runGates({
      root: repo,
      outDir: path.join(goalDir, "gates", "r1"),
      config: {
        version: 1,
        gates: [
          {
            name: "unit",
            kind: "test",
            command: [process.execPath, "check.mjs"],
            shell: false,
            cwd: ".",
            env: [],
            required: true,
            timeout: 10_000,
            retries: 0,
            needs: [],
            toolVersion: false,
            ignore: [],
          },
        ],
      },
    });
    const evidence = toGateEvidence(report, goalDir);
    expect(evidence).toEqual([
      expect.objectContaining({
        name: "unit",
        kind: "test",
        required: true,
        outcome: "passed",
        exitCode: 0,
        commit: base,
        dirty: false,
        cwd: repo,
        command: [process.execPath, "check.mjs"],
      }),
    ]);
    expect(evidence?.[0]?.logs.map((l) => l.path)).toEqual([
      path.join("gates", "r1", "logs", "unit.stdout.log"),
      path.join("gates", "r1", "logs", "unit.stderr.log"),
    ]);
    expect(evidence?.[0]?.baseline).toBeUndefined();
    const judged = toGateEvidence(
      {
        ...report,
        comparison: {
          base: { ref: "main", commit: base, report: null },
          verdict: "passed",
          gates: [{ name: "unit", kind: "test", required: true, base: "failed", head: "passed", status: "fixed", blocking: false, flaky: false, reason: "" }],
          summary: { newFailures: [], fixed: ["unit"], preExisting: [], noBaseline: [], flaky: [] },
        },
      },
      goalDir,
    );
    expect(judged?.[0]?.baseline).toBe("fixed");
    expect(toGateEvidence({ ...report, commit: null }, goalDir)).toEqual([]);
  });
});
