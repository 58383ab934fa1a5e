import { describe, expect, it } from "vitest";
import { compareReports } from "./compare.js";
import type { GateResult, GatesReport } from "./schemas/result.js";

const LOG = { path: "logs/x.log", sha256: "0".repeat(64), bytes: 0, totalBytes: 0, truncated: false };

function gate(name: string, outcome: GateResult["outcome"], extra: Partial<GateResult> = {}): GateResult {
  return {
    name,
    kind: "test",
    required: true,
    command: ["x"],
    shell: false,
    cwd: "/r",
    outcome,
    exitCode: outcome === "passed" ? 0 : 1,
    signal: null,
    timedOut: false,
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 1,
    attempts: [],
    logs: { stdout: LOG, stderr: LOG },
    tail: { stdout: [], stderr: [] },
    toolVersions: {},
    commit: null,
    dirty: null,
    notes: [],
    ...extra,
  };
}

function report(gates: GateResult[], commit = "a".repeat(40)): GatesReport {
  return {
    schemaVersion: 1,
    kind: "omk.gates.report",
    tool: { name: "@omk/gates", version: "0" },
    runId: "r",
    root: "/r",
    outDir: "/o",
    commit,
    dirty: false,
    diffBase: null,
    config: { source: "inline", path: null },
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:01.000Z",
    durationMs: 1,
    verdict: "passed",
    summary: { total: gates.length, byOutcome: { passed: 0, failed: 0, flaky: 0, timed_out: 0, error: 0, skipped: 0 }, requiredNotPassing: [] },
    gates,
  };
}

const compare = (base: GateResult[], head: GateResult[]) => compareReports(report(base), report(head, "b".repeat(40)), { baseRef: "main" });
const statusOf = (c: ReturnType<typeof compare>) => Object.fromEntries(c.gates.map((g) => [g.name, [g.status, g.blocking]]));

describe("compareReports", () => {
  it("new failures block; fixed, pre-existing and unchanged do not", () => {
    const c = compare(
      [gate("same", "passed"), gate("breaks", "passed"), gate("fixes", "failed"), gate("legacy", "failed"), gate("optional", "passed", { required: false })],
      [
        gate("same", "passed"),
        gate("breaks", "failed"),
        gate("fixes", "passed"),
        gate("legacy", "failed"),
        gate("optional", "failed", { required: false }),
        gate("new", "failed"),
      ],
    );
    expect(statusOf(c)).toEqual({
      same: ["unchanged_pass", false],
      breaks: ["new_failure", true],
      fixes: ["fixed", false],
      legacy: ["pre_existing_failure", false],
      optional: ["new_failure", false],
      new: ["no_baseline", true],
    });
    expect(c.verdict).toBe("failed");
    expect(c.summary).toMatchObject({ newFailures: ["breaks", "optional"], fixed: ["fixes"], preExisting: ["legacy"], noBaseline: ["new"] });
    expect(compare([gate("legacy", "failed")], [gate("legacy", "failed")]).verdict).toBe("passed");
  });

  it("judges per test case when both sides have JUnit cases", () => {
    const cases = (outcomes: Record<string, "passed" | "failed" | "flaky">) => Object.entries(outcomes).map(([id, outcome]) => ({ id, outcome }));
    const c = compare(
      [gate("unit", "failed", { tests: cases({ a: "passed", b: "failed", c: "failed" }) }), gate("same", "failed", { tests: cases({ b: "failed" }) })],
      [
        gate("unit", "failed", { tests: cases({ a: "failed", b: "failed", c: "passed", d: "flaky" }) }),
        gate("same", "failed", { tests: cases({ b: "failed" }) }),
      ],
    );
    expect(c.gates[0]).toMatchObject({ status: "new_failure", blocking: true, tests: { newFailures: ["a"], preExisting: ["b"], fixed: ["c"], flaky: ["d"] } });
    expect(c.gates[1]).toMatchObject({ status: "pre_existing_failure", blocking: false });
  });

  it("a flaky head is not a pass; a gate that could not run on base has no baseline; builtins stand alone", () => {
    const c = compare(
      [gate("flaky", "passed"), gate("absent", "error", { error: "spawn ENOENT" }), gate("slow", "failed")],
      [gate("flaky", "flaky"), gate("absent", "failed"), gate("slow", "timed_out"), gate("secrets", "failed", { builtin: "secret-scan", kind: "security" })],
    );
    expect(statusOf(c)).toEqual({ flaky: ["new_failure", true], absent: ["no_baseline", true], slow: ["new_failure", true], secrets: ["no_baseline", true] });
    expect(c.gates[0]?.flaky).toBe(true);
    expect(c.summary.flaky).toEqual(["flaky"]);
  });

  it("compares benchmark medians against the allowed ratio, in the better direction", () => {
    const bench = (median: number, better: "lower" | "higher" = "lower") => ({
      kind: "benchmark" as const,
      benchmark: { samples: [median], median, better, maxRatio: 1.2 },
    });
    const c = compare(
      [gate("time", "passed", bench(100)), gate("ok", "passed", bench(100)), gate("ops", "passed", bench(1000, "higher"))],
      [gate("time", "passed", bench(130)), gate("ok", "passed", bench(110)), gate("ops", "passed", bench(700, "higher"))],
    );
    expect(c.gates.map((g) => [g.name, g.status, g.benchmark?.ratio?.toFixed(2)])).toEqual([
      ["time", "new_failure", "1.30"],
      ["ok", "unchanged_pass", "1.10"],
      ["ops", "new_failure", "1.43"],
    ]);
  });

  it("golden gates must match the base's exit code, stdout and outputs", () => {
    const golden = (exitCode: number, stdout: string, file: string | null) => ({
      kind: "golden" as const,
      golden: {
        checks: ["exitCode" as const, "stdout" as const, "output" as const],
        exitCode,
        stdoutSha256: stdout.repeat(64),
        outputs: [{ path: "out.txt", sha256: file === null ? null : file.repeat(64), bytes: 1 }],
      },
    });
    const c = compare(
      [gate("same", "passed", golden(2, "a", "c")), gate("diff", "passed", golden(0, "a", "c"))],
      [gate("same", "passed", golden(2, "a", "c")), gate("diff", "passed", golden(1, "b", null))],
    );
    expect(c.gates[0]).toMatchObject({ status: "unchanged_pass", golden: { equal: true } });
    expect(c.gates[1]).toMatchObject({ status: "new_failure", blocking: true });
    expect(c.gates[1]?.golden?.differences.map((d) => d.path ?? d.what)).toEqual(["exitCode", "stdout", "out.txt"]);
  });

  it("a gate skipped on both trees for its needs is judged by them and never blocks", () => {
    const skipped = (name: string, why: string) => gate(name, "skipped", { error: `needs ${why}` });
    const c = compare(
      [
        gate("build", "failed"),
        gate("setup", "error"),
        skipped("test", "build (failed)"),
        skipped("deploy", "setup (error)"),
        skipped("both", "build (failed), setup (error)"),
      ],
      [
        gate("build", "failed"),
        gate("setup", "error"),
        skipped("test", "build (failed)"),
        skipped("deploy", "setup (error)"),
        skipped("both", "build (failed), setup (error)"),
      ],
    );
    expect(statusOf(c)).toEqual({
      build: ["pre_existing_failure", false],
      setup: ["no_baseline", true],
      test: ["pre_existing_failure", false],
      deploy: ["no_baseline", false],
      both: ["no_baseline", false],
    });
  });
});
