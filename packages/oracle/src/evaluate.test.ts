import type { Criterion, FrozenOracle, GateEvidence } from "@omk/state";
import { describe, expect, it } from "vitest";
import { evaluate } from "./evaluate.js";
import type { CommandResult, EvidenceSetInput, JunitCase } from "./evidence.js";
import { freeze } from "./freeze.js";

const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);

function oracleOf(...criteria: Criterion[]): FrozenOracle {
  const r = freeze({ schemaVersion: 1, goalClass: "feature", classes: ["feature"], criteria });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const cmd = (id: string, command: string[], over: Partial<Criterion> = {}): Criterion =>
  ({ id, description: id, kind: "command", mustFailOnBase: false, run: { command, cwd: "." }, ...over }) as Criterion;
const ran = (criterionId: string, exitCode: number | null, over: Partial<CommandResult> = {}): CommandResult => ({
  criterionId,
  command: ["x"],
  exitCode,
  signal: null,
  timedOut: false,
  durationMs: 100,
  stdout: "",
  ...over,
});
const gate = (name: string, outcome: GateEvidence["outcome"], commit: string, over: Partial<GateEvidence> = {}): GateEvidence => ({
  name,
  kind: "test",
  required: true,
  command: ["npm", "test"],
  cwd: ".",
  outcome,
  exitCode: outcome === "passed" ? 0 : 1,
  signal: null,
  durationMs: 5,
  logs: [],
  commit,
  dirty: false,
  toolVersions: {},
  ...over,
});

function judge(oracle: FrozenOracle, base: Partial<EvidenceSetInput> | null, head: Partial<EvidenceSetInput>) {
  const r = evaluate(oracle, {
    base: base === null ? null : { oracleHash: oracle.hash, commit: BASE, ...base },
    head: { oracleHash: oracle.hash, commit: HEAD, ...head },
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const verdicts = (e: ReturnType<typeof judge>) => Object.fromEntries(e.criteria.map((c) => [c.id, c.verdict]));

describe("command criteria", () => {
  it("judges exit codes on head, and red → green against base", () => {
    const o = oracleOf(
      cmd("ok", ["npm", "test"]),
      cmd("bad", ["npm", "test"]),
      cmd("missing", ["npm", "test"]),
      cmd("rg", ["node", "check.mjs"], { mustFailOnBase: true }),
      cmd("green-on-base", ["node", "check.mjs"], { mustFailOnBase: true }),
      cmd("timeout", ["npm", "test"]),
    );
    const e = judge(
      o,
      { commands: [ran("rg", 1), ran("green-on-base", 0)] },
      { commands: [ran("ok", 0), ran("bad", 2), ran("rg", 0), ran("green-on-base", 0), ran("timeout", 0, { timedOut: true })] },
    );
    expect(verdicts(e)).toEqual({ ok: "passed", bad: "failed", missing: "not_run", rg: "passed", "green-on-base": "vacuous", timeout: "failed" });
    expect(e.criteria.find((c) => c.id === "rg")?.evidence).toEqual([`base bbbbbbb: \`x\` exited 1 in 100 ms`, `head ccccccc: \`x\` exited 0 in 100 ms`]);
    expect(e.ready).toBe(false);
  });

  it("calls a command that cannot fail vacuous, whatever the evidence says", () => {
    const o = oracleOf(cmd("echo", ["sh", "-c", "echo ok"]), cmd("masked", ["sh", "-c", "npm test || true"]));
    const e = judge(o, null, { commands: [ran("echo", 0), ran("masked", 0)] });
    expect(verdicts(e)).toEqual({ echo: "vacuous", masked: "vacuous" });
    expect(e.criteria[0]?.reason).toBe('`sh -c "echo ok"` cannot fail: `echo` always exits 0');
  });
});

describe("test case criteria", () => {
  const tc = (id: string, name: string, over: Partial<Criterion> = {}): Criterion =>
    ({
      id,
      description: id,
      kind: "test_case",
      mustFailOnBase: true,
      run: { command: ["npm", "test"], case: { name, match: "contains" } },
      ...over,
    }) as Criterion;
  const k = (name: string, status: JunitCase["status"], over: Partial<JunitCase> = {}): JunitCase => ({ classname: "suite", name, status, ...over });

  it("needs the case red on base and green on head", () => {
    const o = oracleOf(
      tc("good", "[oracle:good]"),
      tc("never-red", "[oracle:never-red]"),
      tc("not-on-base", "[oracle:not-on-base]"),
      tc("red-head", "[oracle:red-head]"),
      tc("skipped", "[oracle:skipped]"),
      tc("empty", "[oracle:empty]"),
      tc("absent", "[oracle:absent]"),
    );
    const e = judge(
      o,
      {
        junit: [
          k("a [oracle:good]", "failed"),
          k("b [oracle:never-red]", "passed"),
          k("c [oracle:red-head]", "error"),
          k("d [oracle:skipped]", "failed"),
          k("e [oracle:empty]", "failed"),
        ],
      },
      {
        junit: [
          k("a [oracle:good]", "passed"),
          k("b [oracle:never-red]", "passed"),
          k("x [oracle:not-on-base]", "passed"),
          k("c [oracle:red-head]", "failed"),
          k("d [oracle:skipped]", "skipped"),
          k("e [oracle:empty]", "passed", { assertions: 0 }),
        ],
      },
    );
    expect(verdicts(e)).toEqual({
      good: "passed",
      "never-red": "vacuous",
      "not-on-base": "not_run",
      "red-head": "failed",
      skipped: "not_run",
      empty: "vacuous",
      absent: "not_run",
    });
    expect(e.criteria.find((c) => c.id === "never-red")?.reason).toContain("never red");
  });

  it("takes the red half from the head's tests run against the base's code when given", () => {
    const o = oracleOf(tc("good", "[oracle:good]"));
    // The base's own tests do not have the new test; the head's tests on the base's code show it red.
    const e = judge(o, { junit: [k("old test", "passed")], headTests: [k("a [oracle:good]", "failed")] }, { junit: [k("a [oracle:good]", "passed")] });
    expect(verdicts(e)).toEqual({ good: "passed" });
    expect(verdicts(judge(o, { junit: [k("old test", "passed")] }, { junit: [k("a [oracle:good]", "passed")] }))).toEqual({ good: "not_run" });
  });

  it("a test criterion with no cases says why the collector got none (testNotes)", () => {
    const o = oracleOf(tc("good", "[oracle:good]"));
    const why = "no per-test cases from `npm test` (failed): attempt 1: TAP point 3 where 2 was due at level 0 (a test printing TAP lines?)";
    const e = judge(o, { junit: [k("x", "failed")] }, { junit: [], testNotes: [why] });
    expect(e.criteria[0]).toMatchObject({ verdict: "not_run", reason: expect.stringContaining(why) });
  });

  it("matches exact names against `classname name` or the name alone", () => {
    const o = oracleOf(
      tc("full", "suite adds", { mustFailOnBase: false, run: { command: ["t"], case: { name: "suite adds", match: "exact" } } } as Partial<Criterion>),
      tc("bare", "adds", { mustFailOnBase: false, run: { command: ["t"], case: { name: "adds", match: "exact" } } } as Partial<Criterion>),
      tc("partial", "add", { mustFailOnBase: false, run: { command: ["t"], case: { name: "add", match: "exact" } } } as Partial<Criterion>),
    );
    expect(verdicts(judge(o, null, { junit: [k("adds", "passed")] }))).toEqual({ full: "passed", bare: "passed", partial: "not_run" });
  });

  it("calls red → green vacuous when base and head are the same commit", () => {
    const o = oracleOf(tc("good", "[oracle:good]"));
    const r = evaluate(o, {
      base: { oracleHash: o.hash, commit: HEAD, junit: [k("[oracle:good]", "failed")] },
      head: { oracleHash: o.hash, commit: HEAD, junit: [k("[oracle:good]", "passed")] },
    });
    expect(r.ok && r.value.criteria[0]).toMatchObject({ verdict: "vacuous", reason: expect.stringContaining("same commit") });
  });
});

describe("gate criteria", () => {
  const g = (id: string, name: string, mustFailOnBase = false): Criterion => ({ id, description: id, kind: "gate", mustFailOnBase, run: { gate: name } });

  it("passes only a clean run of a gate that can fail, on the head commit", () => {
    const o = oracleOf(
      g("unit", "unit"),
      g("lint", "lint"),
      g("dirty", "dirty"),
      g("stale", "stale"),
      g("acceptance", "acceptance"),
      g("flaky", "flaky"),
      g("skipped", "skipped"),
      g("none", "none"),
    );
    const e = judge(o, null, {
      gates: [
        gate("unit", "passed", HEAD),
        gate("lint", "failed", HEAD),
        gate("dirty", "passed", HEAD, { dirty: true }),
        gate("stale", "passed", BASE),
        // The reference implementation's hole: a gate named "acceptance" running `echo ok`.
        gate("acceptance", "passed", HEAD, { command: ["sh", "-c", "echo ok"] }),
        gate("flaky", "flaky", HEAD),
        gate("skipped", "skipped", HEAD),
      ],
    });
    expect(verdicts(e)).toEqual({
      unit: "passed",
      lint: "failed",
      dirty: "not_run",
      stale: "not_run",
      acceptance: "vacuous",
      flaky: "failed",
      skipped: "not_run",
      none: "not_run",
    });
  });

  it("checks red → green for a gate that must fail on base", () => {
    const o = oracleOf(g("fixed", "fixed", true), g("always-green", "always-green", true));
    const e = judge(
      o,
      { gates: [gate("fixed", "failed", BASE), gate("always-green", "passed", BASE)] },
      { gates: [gate("fixed", "passed", HEAD), gate("always-green", "passed", HEAD)] },
    );
    expect(verdicts(e)).toEqual({ fixed: "passed", "always-green": "vacuous" });
  });
});

describe("golden, benchmark and review criteria", () => {
  it("compares outputs and passing cases between base and head", () => {
    const o = oracleOf(
      { id: "same", description: "d", kind: "golden", mustFailOnBase: false, run: { command: ["cli"], compare: "stdout" } },
      { id: "diff", description: "d", kind: "golden", mustFailOnBase: false, run: { command: ["cli"], compare: "stdout" } },
      { id: "compat", description: "d", kind: "golden", mustFailOnBase: false, run: { command: ["t"], compare: "passing_cases" } },
    );
    const base = {
      commands: [ran("same", 0, { stdout: "v1\n" }), ran("diff", 0, { stdout: "v1\n" })],
      junit: [
        { classname: "s", name: "a", status: "passed" as const },
        { classname: "s", name: "b", status: "passed" as const },
        { classname: "s", name: "c", status: "failed" as const },
      ],
    };
    const head = {
      commands: [ran("same", 0, { stdout: "v1\n" }), ran("diff", 0, { stdout: "v2\n" })],
      junit: [
        { classname: "s", name: "a", status: "passed" as const },
        { classname: "s", name: "b", status: "failed" as const },
      ],
    };
    const e = judge(o, base, head);
    expect(verdicts(e)).toEqual({ same: "passed", diff: "failed", compat: "failed" });
    expect(e.criteria.find((c) => c.id === "compat")?.evidence).toContain('lost: case "s > b"');
    expect(verdicts(judge(o, null, head))).toEqual({ same: "not_run", diff: "not_run", compat: "not_run" });
  });

  it("requires the benchmark to improve by the fraction asked for", () => {
    const bench = (id: string, minImprovement: number, pattern?: string): Criterion => ({
      id,
      description: id,
      kind: "benchmark",
      mustFailOnBase: false,
      run: {
        command: ["node", "bench.mjs"],
        metric: pattern === undefined ? { source: "duration", unit: "ms" } : { source: "stdout", pattern, unit: "ops/s" },
        better: pattern === undefined ? "lower" : "higher",
        minImprovement,
      },
    });
    const o = oracleOf(bench("fast", 0.3), bench("faster", 0.6), bench("ops", 0.1, "ops: (\\d+)"), bench("garbled", 0.1, "rate=(\\d+)"));
    const e = judge(
      o,
      {
        commands: [
          ran("fast", 0, { durationMs: 1000 }),
          ran("faster", 0, { durationMs: 1000 }),
          ran("ops", 0, { stdout: "ops: 50\nops: 100\n" }),
          ran("garbled", 0, { stdout: "rate=5" }),
        ],
      },
      {
        commands: [
          ran("fast", 0, { durationMs: 500 }),
          ran("faster", 0, { durationMs: 500 }),
          ran("ops", 0, { stdout: "ops: 120\n" }),
          ran("garbled", 0, { stdout: "nothing" }),
        ],
      },
    );
    expect(verdicts(e)).toEqual({ fast: "passed", faster: "failed", ops: "passed", garbled: "failed" });
    expect(e.criteria.find((c) => c.id === "fast")?.reason).toBe("improved by 50% (required 30%)");
    expect(e.criteria.find((c) => c.id === "ops")?.evidence).toContain("metric: base 100 ops/s, head 120 ops/s");
  });

  it("takes a reviewer's verdict, and nothing else, for a review criterion", () => {
    const review = (id: string): Criterion => ({
      id,
      description: id,
      kind: "review",
      mustFailOnBase: false,
      run: { reviewer: "security-reviewer", checklist: ["no secrets"] },
    });
    const o = oracleOf(review("ok"), review("blocked"), review("missing"));
    const e = judge(o, null, {
      reviews: [
        { criterionId: "ok", verdict: "passed", record: "reviews/1.json" },
        { criterionId: "blocked", verdict: "blocked", record: "reviews/2.json" },
      ],
    });
    expect(verdicts(e)).toEqual({ ok: "passed", blocked: "failed", missing: "not_run" });
  });
});

describe("binding", () => {
  it("refuses evidence bound to another oracle hash or commit, and invalid evidence", () => {
    const o = oracleOf(cmd("ok", ["npm", "test"]));
    const stale = evaluate(o, { base: { oracleHash: "0".repeat(64), commit: BASE }, head: { oracleHash: o.hash, commit: HEAD } });
    expect(!stale.ok && stale.error).toMatchObject({ code: "evidence_refused", side: "base", got: "0".repeat(64), expected: o.hash });
    const commit = evaluate(o, { base: null, head: { oracleHash: o.hash, commit: HEAD }, expect: { headCommit: BASE } });
    expect(!commit.ok && commit.error).toMatchObject({ code: "evidence_refused", side: "head" });
    const invalid = evaluate(o, { base: null, head: { oracleHash: o.hash, commit: "HEAD" } });
    expect(!invalid.ok && invalid.error).toMatchObject({ code: "invalid_evidence", issues: [expect.stringContaining("commit")] });
  });

  it("is ready only when every criterion passed", () => {
    const o = oracleOf(cmd("a", ["npm", "test"]), cmd("b", ["npm", "run", "lint"]));
    expect(judge(o, null, { commands: [ran("a", 0), ran("b", 0)] })).toMatchObject({ ready: true, counts: { passed: 2, failed: 0, not_run: 0, vacuous: 0 } });
    expect(judge(o, null, { commands: [ran("a", 0)] })).toMatchObject({ ready: false, counts: { passed: 1, not_run: 1 } });
  });
});
