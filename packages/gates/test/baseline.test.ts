import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, commitFiles, gitIn, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { compareToBaseline, type GateInput, GatesReportSchema } from "../src/index.js";
import { configOf, nodeGate } from "./helpers.js";

afterAll(cleanupTempDirs);

const GOLDEN = "const fs = require('node:fs'); fs.writeFileSync('out.txt', fs.readFileSync('golden.txt')); console.log('rendered');";
const GATES: GateInput[] = [
  nodeGate("unit", "write-junit.mjs", ["reports/junit.xml"], { kind: "test", junit: "reports/junit.xml" }),
  nodeGate("legacy", "fail.mjs", [], { kind: "lint" }),
  nodeGate("perf", "figure.mjs", ["perf.txt"], { kind: "benchmark", benchmark: { runs: 3, figure: { regex: "elapsed: ([0-9.]+) ms" }, maxRatio: 1.2 } }),
  { name: "render", kind: "golden", command: [process.execPath, "-e", GOLDEN], golden: { outputs: ["out.txt"] } },
];

async function repo() {
  const dir = makeTempDir("gates-baseline-");
  const base = await initGitRepo(dir, {
    "cases.json": JSON.stringify({ adds: "pass", subtracts: "fail" }),
    "perf.txt": "100",
    "golden.txt": "same\n",
    ".gitignore": "reports/\nout.txt\n",
    "README.md": "# r\n",
  });
  return { dir, base };
}

async function compare(dir: string, base: string, out: string) {
  return compareToBaseline({ root: dir, base, config: configOf(...GATES), outDir: path.join(makeTempDir("gates-out-"), out), killGraceMs: 500 });
}

describe("compareToBaseline on a real git repository", () => {
  it("a change that breaks one test case is a new failure; a pre-existing failure is not blamed", async () => {
    const { dir, base } = await repo();
    const head = await commitFiles(dir, { "cases.json": JSON.stringify({ adds: "fail", subtracts: "fail" }) }, "break adds");
    const run = await compare(dir, base, "break");
    const byName = Object.fromEntries(run.comparison.gates.map((g) => [g.name, g]));
    expect(byName["unit"]).toMatchObject({
      base: "failed",
      head: "failed",
      status: "new_failure",
      blocking: true,
      tests: { newFailures: ["suite::adds"], preExisting: ["suite::subtracts"] },
    });
    expect(byName["legacy"]).toMatchObject({ base: "failed", head: "failed", status: "pre_existing_failure", blocking: false });
    expect(byName["perf"]).toMatchObject({ status: "unchanged_pass", benchmark: { base: 100, head: 100, ratio: 1 } });
    expect(byName["render"]).toMatchObject({ status: "unchanged_pass", golden: { equal: true } });
    expect(run.comparison.verdict).toBe("failed");
    expect(run.comparison.summary.newFailures).toEqual(["unit"]);
    expect(run.comparison.base).toMatchObject({ ref: base, commit: base, report: "base/report.json" });
    expect(run.head).toMatchObject({ commit: head, dirty: false, verdict: "failed" });
    expect(run.base).toMatchObject({ commit: base, dirty: false });
    // report.json on disk is the judged head report; the base run is beside it.
    const onDisk = GatesReportSchema.parse(JSON.parse(readFileSync(path.join(run.head.outDir, "report.json"), "utf8")));
    expect(onDisk.comparison?.verdict).toBe("failed");
    expect(GatesReportSchema.parse(JSON.parse(readFileSync(path.join(run.head.outDir, "base", "report.json"), "utf8"))).commit).toBe(base);
    // The temporary worktree is gone and no ref or HEAD moved.
    expect((await gitIn(dir, "worktree", "list", "--porcelain")).match(/^worktree /gm)).toHaveLength(1);
    expect(await gitIn(dir, "for-each-ref", "--format=%(refname)")).toBe("refs/heads/main");
    expect(await gitIn(dir, "rev-parse", "HEAD")).toBe(head);
  });

  it("an unrelated change passes even though failures exist on base (they are reported, not counted)", async () => {
    const { dir, base } = await repo();
    writeFileSync(path.join(dir, "README.md"), "# r\n\nmore docs\n");
    const run = await compare(dir, base, "docs");
    expect(run.head.dirty).toBe(true);
    expect(run.comparison.verdict).toBe("passed");
    expect(run.comparison.summary).toMatchObject({ newFailures: [], preExisting: ["unit", "legacy"] });
    expect(run.comparison.gates.find((g) => g.name === "unit")?.tests).toEqual({ newFailures: [], fixed: [], preExisting: ["suite::subtracts"], flaky: [] });
    expect(run.head.verdict).toBe("passed");
  });

  it("a slower benchmark and a changed golden output are new failures; fixing a test is reported as fixed", async () => {
    const { dir, base } = await repo();
    writeFileSync(path.join(dir, "perf.txt"), "150");
    writeFileSync(path.join(dir, "golden.txt"), "different\n");
    writeFileSync(path.join(dir, "cases.json"), JSON.stringify({ adds: "pass", subtracts: "pass" }));
    const run = await compare(dir, base, "regress");
    const byName = Object.fromEntries(run.comparison.gates.map((g) => [g.name, g]));
    expect(byName["perf"]).toMatchObject({
      status: "new_failure",
      blocking: true,
      benchmark: { base: 100, head: 150, ratio: 1.5, maxRatio: 1.2, regressed: true },
    });
    expect(byName["render"]).toMatchObject({ status: "new_failure", golden: { equal: false, differences: [{ what: "output", path: "out.txt" }] } });
    expect(byName["unit"]).toMatchObject({ status: "fixed", tests: { fixed: ["suite::subtracts"] } });
    expect(run.comparison.summary).toMatchObject({ newFailures: ["perf", "render"], fixed: ["unit"] });
  });

  it("a base that is not a commit is an error", async () => {
    const { dir } = await repo();
    await expect(compare(dir, "no-such-branch", "x")).rejects.toMatchObject({ code: "OMK_GATES_GIT" });
  });

  it("a gate skipped on both trees because its need fails on both is pre-existing, and never blocks", async () => {
    const { dir, base } = await repo();
    await commitFiles(dir, { "README.md": "# r2\n" }, "touch readme");
    const gates: GateInput[] = [
      nodeGate("build", "fail.mjs", [], { kind: "build" }),
      nodeGate("test", "pass.mjs", [], { kind: "test", needs: ["build"] }),
      nodeGate("e2e", "pass.mjs", [], { kind: "test", needs: ["test"] }),
    ];
    const run = await compareToBaseline({
      root: dir,
      base,
      config: configOf(...gates),
      outDir: path.join(makeTempDir("gates-out-"), "skip"),
      killGraceMs: 500,
    });
    const byName = Object.fromEntries(run.comparison.gates.map((g) => [g.name, g]));
    expect(byName["build"]).toMatchObject({ status: "pre_existing_failure", blocking: false });
    expect(byName["test"]).toMatchObject({ base: "skipped", head: "skipped", status: "pre_existing_failure", blocking: false });
    expect(byName["e2e"]).toMatchObject({ base: "skipped", head: "skipped", status: "pre_existing_failure", blocking: false });
    expect(byName["test"]?.reason).toMatch(/needs build \(pre_existing_failure\)/);
    expect(run.comparison.verdict).toBe("passed");
  });
});
