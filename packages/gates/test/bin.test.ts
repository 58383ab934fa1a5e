import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, initGitRepo, isProcessAlive, makeTempDir, readPids, spawnTsScript } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { DetectionSchema, GatesReportSchema } from "../src/index.js";
import { main } from "../src/internal/cli.js";
import { fixture } from "./helpers.js";

afterAll(cleanupTempDirs);

/** Where runs without --out go (never the project: test/runs-outside-repo.test.ts). */
const STATE = makeTempDir("gates-bin-state-");

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/bin.ts");

/** The bin's main, in process (fast); the process edge itself is tested below and by the packed-tarball test. */
async function gatesBin(cwd: string, ...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main({
    argv: args,
    cwd,
    env: { ...process.env, NO_COLOR: "1", OMK_STATE_DIR: STATE },
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

function withConfig(gates: object[]): string {
  const dir = makeTempDir("gates-bin-");
  mkdirSync(path.join(dir, ".omk"));
  writeFileSync(path.join(dir, ".omk", "gates.yaml"), stringify({ gates }));
  return dir;
}

const node = (script: string, ...args: string[]) => [process.execPath, fixture(script), ...args];

describe("omk-gates bin", () => {
  it("detect prints what it found and why; --json is the detection; nothing found exits 2", async () => {
    const dir = makeTempDir("gates-bin-");
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ scripts: { test: "node -e 0", lint: "node -e 0" } }));
    writeFileSync(path.join(dir, "pnpm-lock.yaml"), "lockfileVersion: '9.0'\n");
    const human = await gatesBin(dir, "detect");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/node: package\.json; package manager pnpm from pnpm-lock\.yaml/);
    expect(human.stdout).toMatch(/test\s+test\s+required\s+pnpm run test/);
    expect(human.stdout).toContain('why: package.json script "test", run with pnpm');
    const json = await gatesBin(dir, "detect", "--json");
    expect(DetectionSchema.parse(JSON.parse(json.stdout)).config.gates.map((g) => g.name)).toEqual(["lint", "test"]);
    const empty = await gatesBin(makeTempDir("gates-bin-"), "detect");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^omk-gates: no gates found in .* — fix: add \.omk\/gates\.yaml/);
    const emptyJson = await gatesBin(makeTempDir("gates-bin-"), "detect", "--json");
    expect(JSON.parse(emptyJson.stdout)).toMatchObject({ error: { code: "OMK_GATES_NOTHING_DETECTED" } });
  });

  it("run exits 0 when every required gate passes, 1 otherwise; writes report, Markdown and JUnit", async () => {
    const passing = withConfig([
      { name: "unit", kind: "test", command: node("pass.mjs") },
      { name: "style", kind: "lint", command: node("fail.mjs"), required: false },
    ]);
    const ok = await gatesBin(passing, "run", "--out", "out", "--junit", "ci/junit.xml", "--markdown", "wall.md");
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^gate\s+kind\s+req\s+outcome/);
    expect(ok.stdout).toMatch(/style\s+lint\s+no\s+failed/);
    expect(ok.stderr).toContain("omk-gates: unit passed in");
    expect(readFileSync(path.join(passing, "ci", "junit.xml"), "utf8")).toContain('<testcase classname="omk-gates.test" name="unit"');
    expect(readFileSync(path.join(passing, "wall.md"), "utf8")).toContain("## Verification wall: ✅ passed");
    expect(GatesReportSchema.parse(JSON.parse(readFileSync(path.join(passing, "out", "report.json"), "utf8"))).verdict).toBe("passed");
    expect(existsSync(path.join(passing, "out", "report.md"))).toBe(true);

    const failing = withConfig([{ name: "unit", kind: "test", command: node("fail.mjs") }]);
    const bad = await gatesBin(failing, "run", "--json", "--quiet");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("");
    const report = GatesReportSchema.parse(JSON.parse(bad.stdout));
    expect(report).toMatchObject({ verdict: "failed", config: { source: "file" } });
    expect(report.outDir).toContain(path.join(STATE, "gates-runs", `${path.basename(failing)}-`));
  });

  it("usage errors exit 2: unknown command or option, bad config, --only naming no gate", async () => {
    const dir = withConfig([{ name: "unit", kind: "test", command: node("pass.mjs") }]);
    expect((await gatesBin(dir, "frobnicate")).code).toBe(2);
    expect((await gatesBin(dir, "run", "--frob")).code).toBe(2);
    expect((await gatesBin(dir)).code).toBe(2);
    const only = await gatesBin(dir, "run", "--only", "nope");
    expect(only.code).toBe(2);
    expect(only.stderr).toMatch(/no gate named nope — fix: choose from unit/);
    writeFileSync(path.join(dir, ".omk", "gates.yaml"), "gates:\n  - {name: x, kind: test, command: 'npm test'}\n");
    const config = await gatesBin(dir, "run");
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/gates\.yaml:\d+:\d+: gates\.0\.command: a string command needs `shell: true`/);
    expect((await gatesBin(dir, "compare")).code).toBe(2);
    const help = await gatesBin(dir, "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: omk-gates <command>");
  });

  it("compare --base runs the base in a worktree and exits 1 only for new failures; saved reports compare too", async () => {
    const dir = makeTempDir("gates-bin-");
    const config = stringify({ gates: [{ name: "unit", kind: "test", command: node("write-junit.mjs", "reports/junit.xml"), junit: "reports/junit.xml" }] });
    const base = await initGitRepo(dir, { "cases.json": JSON.stringify({ a: "pass", b: "fail" }), ".gitignore": "reports/\n.omk/gates-runs/\n" });
    mkdirSync(path.join(dir, ".omk"));
    writeFileSync(path.join(dir, ".omk", "gates.yaml"), config);
    const same = await gatesBin(dir, "compare", "--base", base, "--out", "same");
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/unit\s+test\s+yes\s+failed\s+pre_existing_failure/);
    expect(same.stdout).toContain("passed: 0 new failure(s), 1 pre-existing, 0 fixed");
    writeFileSync(path.join(dir, "cases.json"), JSON.stringify({ a: "fail", b: "fail" }));
    const broken = await gatesBin(dir, "compare", "--base", base, "--out", "broken", "--json");
    expect(broken.code).toBe(1);
    expect(GatesReportSchema.parse(JSON.parse(broken.stdout)).comparison?.gates[0]?.tests?.newFailures).toEqual(["suite::a"]);
    const saved = await gatesBin(dir, "compare", "--base-report", "same/base/report.json", "--head-report", "broken/report.json");
    expect(saved.code).toBe(1);
    expect(saved.stdout).toMatch(/new_failure !/);
  });

  it("as a process: SIGINT kills the running gates' process groups and exits 130", async () => {
    const dir = makeTempDir("gates-bin-");
    const pids = path.join(dir, "pids");
    mkdirSync(path.join(dir, ".omk"));
    writeFileSync(path.join(dir, ".omk", "gates.yaml"), stringify({ gates: [{ name: "forever", kind: "test", command: node("hang.mjs", pids) }] }));
    const child = spawnTsScript(BIN, ["run", "--out", "out"], { cwd: dir, env: { ...process.env } });
    for (let i = 0; i < 200 && !existsSync(pids); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(String(result.stderr)).toMatch(/SIGINT: stopping the gates/);
    for (const pid of readPids(pids)) expect(isProcessAlive(pid)).toBe(false);
  });

  it("as a process: a second SIGINT exits 130 at once and still kills gates that ignore SIGTERM", async () => {
    const dir = makeTempDir("gates-bin-");
    const pids = path.join(dir, "pids");
    mkdirSync(path.join(dir, ".omk"));
    const gates = ["a", "b"].map((name) => ({ name, kind: "test", command: node("ignore-sigterm.mjs", pids) }));
    writeFileSync(path.join(dir, ".omk", "gates.yaml"), stringify({ gates }));
    const child = spawnTsScript(BIN, ["run", "--out", "out"], { cwd: dir, env: { ...process.env } });
    try {
      for (let i = 0; i < 200 && readPidsOr(pids).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(readPids(pids)).toHaveLength(2);
      child.kill("SIGINT");
      await new Promise((r) => setTimeout(r, 300));
      child.kill("SIGINT");
      const result = await child;
      expect(result.exitCode).toBe(130);
      // SIGKILL is delivered at once; allow a moment for the kernel to reap.
      for (let i = 0; i < 50 && readPids(pids).some(isProcessAlive); i++) await new Promise((r) => setTimeout(r, 20));
      for (const pid of readPids(pids)) expect(isProcessAlive(pid), `gate pid ${pid}`).toBe(false);
    } finally {
      for (const pid of readPidsOr(pids)) if (isProcessAlive(pid)) process.kill(pid, "SIGKILL");
    }
  });
});

const readPidsOr = (file: string): number[] => (existsSync(file) ? readPids(file) : []);
