import type { BaselineStatus, Comparison, GateComparison, GateOutcome, GateResult, GatesReport, TestCase } from "./schemas/result.js";

/** Outcomes that say something about the code on base (error/skipped: the gate could not run there). */
const USABLE_ON_BASE: ReadonlySet<GateOutcome> = new Set(["passed", "failed", "flaky", "timed_out"]);
const failing = (o: GateOutcome) => o !== "passed";

/**
 * A failure on base that says nothing about the code there: the command or a
 * module it loads was not found (exit 127 from a shell, `sh: tape: not
 * found`, Node's ERR_MODULE_NOT_FOUND for a package): the base checkout
 * lacked its tools or dependencies. Returns what was missing, else undefined.
 */
export function missingOnBase(result: GateResult): string | undefined {
  if (result.outcome !== "failed" && result.outcome !== "error") return undefined;
  const lines = [...result.tail.stderr, ...result.tail.stdout];
  const notFound = lines.find((l) =>
    /(^|\s)(sh|bash|\/bin\/sh)(: \d+)?: .*(not found|No such file or directory)|command not found|Cannot find (package|module) '[^'./][^']*'|ERR_MODULE_NOT_FOUND/.test(
      l,
    ),
  );
  if (notFound !== undefined) return notFound.trim().slice(0, 200);
  if (result.exitCode === 127) return "exit code 127 (command not found)";
  return undefined;
}

function testDelta(base: readonly TestCase[], head: readonly TestCase[]) {
  const bad = (c: TestCase) => c.outcome === "failed";
  const baseFailing = new Set(base.filter(bad).map((c) => c.id));
  const basePassing = new Set(base.filter((c) => !bad(c)).map((c) => c.id));
  return {
    newFailures: head.filter((c) => bad(c) && !baseFailing.has(c.id)).map((c) => c.id),
    preExisting: head.filter((c) => bad(c) && baseFailing.has(c.id)).map((c) => c.id),
    fixed: head.filter((c) => !bad(c) && c.outcome !== "skipped" && baseFailing.has(c.id) && !basePassing.has(c.id)).map((c) => c.id),
    flaky: head.filter((c) => c.outcome === "flaky").map((c) => c.id),
  };
}

/** The gates a skipped result names as the reason it was skipped (`needs a (failed), b (skipped)`, as the runner writes it), else undefined. */
function skippedForNeeds(result: GateResult | undefined): string[] | undefined {
  if (result?.outcome !== "skipped" || result.error === undefined) return undefined;
  const m = /^needs (.+)$/.exec(result.error);
  return m?.[1]?.split(", ").map((part) => part.replace(/ \([a-z_]+\)$/, ""));
}

function compareGate(base: GateResult | undefined, head: GateResult, needs?: readonly GateComparison[]): GateComparison {
  const common = {
    name: head.name,
    kind: head.kind,
    required: head.required,
    base: base?.outcome ?? null,
    head: head.outcome,
    flaky: head.outcome === "flaky",
  };
  const headFailing = failing(head.outcome);
  const done = (status: BaselineStatus, reason: string, extra: Partial<GateComparison> = {}): GateComparison => ({
    ...common,
    status,
    blocking: head.required && (status === "new_failure" || (status === "no_baseline" && headFailing)),
    reason,
    ...extra,
  });

  if (head.builtin !== undefined) return done("no_baseline", "a builtin gate judges the change itself");
  // Skipped on both trees because gates it needs did not pass: it says nothing itself, its needs say it all (and they are judged).
  if (needs !== undefined) {
    const why = needs.map((n) => `${n.name} (${n.status})`).join(", ");
    const status: BaselineStatus = needs.length > 0 && needs.every((n) => n.status === "pre_existing_failure") ? "pre_existing_failure" : "no_baseline";
    return { ...done(status, `skipped on base and head: needs ${why}`), blocking: false };
  }
  if (base === undefined) return done("no_baseline", "the gate is new: it is not in the base run: judged on head alone");
  if (!USABLE_ON_BASE.has(base.outcome))
    return done("no_baseline", `the gate could not run on base (${base.outcome}${base.error === undefined ? "" : `: ${base.error}`}): judged on head alone`);
  const missing = missingOnBase(base);
  if (missing !== undefined && !(head.outcome === "failed" && missingOnBase(head) !== undefined)) {
    return done("no_baseline", `the gate could not run on base (a command or dependency was missing there: ${missing}): judged on head alone`);
  }
  const baseFailing = failing(base.outcome);

  // Golden: the same command on both trees must give the same exit code, stdout and output files.
  if (head.golden !== undefined && base.golden !== undefined && !headFailing && !baseFailing) {
    const differences: NonNullable<GateComparison["golden"]>["differences"] = [];
    const checks = new Set(head.golden.checks);
    if (checks.has("exitCode") && head.golden.exitCode !== base.golden.exitCode) {
      differences.push({ what: "exitCode", base: String(base.golden.exitCode), head: String(head.golden.exitCode) });
    }
    if (checks.has("stdout") && head.golden.stdoutSha256 !== base.golden.stdoutSha256) {
      differences.push({ what: "stdout", base: base.golden.stdoutSha256, head: head.golden.stdoutSha256 });
    }
    for (const out of head.golden.outputs) {
      const before = base.golden.outputs.find((o) => o.path === out.path);
      if (before?.sha256 !== out.sha256) differences.push({ what: "output", path: out.path, base: before?.sha256 ?? null, head: out.sha256 });
    }
    const golden = { equal: differences.length === 0, differences };
    return differences.length === 0
      ? done("unchanged_pass", "same exit code, stdout and outputs as on base", { golden })
      : done("new_failure", `differs from base: ${differences.map((d) => d.path ?? d.what).join(", ")}`, { golden });
  }

  // Benchmark: the head median against the base median, in the direction that is better.
  if (head.benchmark !== undefined && !headFailing && !baseFailing) {
    const b = base.benchmark?.median ?? null;
    const h = head.benchmark.median;
    const { maxRatio, better } = head.benchmark;
    if (b === null || h === null || b === 0 || h === 0) {
      return done("no_baseline", "no median on base to compare with", { benchmark: { base: b, head: h, ratio: null, maxRatio, regressed: false } });
    }
    const ratio = better === "lower" ? h / b : b / h;
    const benchmark = { base: b, head: h, ratio, maxRatio, regressed: ratio > maxRatio };
    return ratio > maxRatio
      ? done("new_failure", `median ${h} vs ${b} on base: ${ratio.toFixed(3)}x worse, allowed ${maxRatio}x`, { benchmark })
      : done("unchanged_pass", `median ${h} vs ${b} on base: ratio ${ratio.toFixed(3)} within ${maxRatio}`, { benchmark });
  }

  const tests = head.tests !== undefined && base.tests !== undefined ? testDelta(base.tests, head.tests) : undefined;
  const withTests = tests === undefined ? {} : { tests };
  if (!baseFailing && !headFailing) return done("unchanged_pass", "passes on base and head", withTests);
  if (baseFailing && !headFailing) return done("fixed", `${base.outcome} on base, passes on head`, withTests);
  if (!baseFailing) {
    return done(
      "new_failure",
      head.outcome === "flaky" ? "passes on base; flaky on head (failed, then passed on a retry)" : `passes on base, ${head.outcome} on head`,
      withTests,
    );
  }
  if (tests !== undefined && tests.newFailures.length > 0) {
    return done(
      "new_failure",
      `fails on base too, but ${tests.newFailures.length} test case(s) fail only on head: ${tests.newFailures.slice(0, 5).join(", ")}`,
      withTests,
    );
  }
  if (head.outcome !== base.outcome && (head.outcome === "timed_out" || head.outcome === "error")) {
    return done("new_failure", `${base.outcome} on base, ${head.outcome} on head`, withTests);
  }
  return done(
    "pre_existing_failure",
    `${base.outcome} on base as well${tests === undefined ? "" : " (the same test cases)"}: not caused by this change`,
    withTests,
  );
}

/**
 * Judge a head run against a base run, gate by gate: new failures, fixed
 * failures, pre-existing failures (failing on base and head: reported, not
 * counted against the change), per test case when both runs have JUnit
 * cases; benchmark medians against the allowed ratio; golden digests for
 * equality. A flaky head gate is not a pass. Pure.
 */
export function compareReports(base: GatesReport, head: GatesReport, options: { baseRef: string; baseReport?: string | null }): Comparison {
  const byName = new Map(base.gates.map((g) => [g.name, g]));
  const headByName = new Map(head.gates.map((g) => [g.name, g]));
  const judged = new Map<string, GateComparison>();
  const judge = (h: GateResult): GateComparison => {
    const known = judged.get(h.name);
    if (known !== undefined) return known;
    const b = byName.get(h.name);
    const needNames = skippedForNeeds(h);
    const bothSkipped = needNames !== undefined && skippedForNeeds(b) !== undefined;
    // Needs are acyclic (the config checks), so this recursion ends.
    const needs = bothSkipped
      ? needNames.flatMap((n) => (n === h.name || headByName.get(n) === undefined ? [] : [judge(headByName.get(n) as GateResult)]))
      : undefined;
    const c = compareGate(b, h, needs);
    judged.set(h.name, c);
    return c;
  };
  const gates = head.gates.map(judge);
  const names = (status: BaselineStatus) => gates.filter((g) => g.status === status).map((g) => g.name);
  return {
    base: {
      ref: options.baseRef,
      commit: base.commit,
      report: options.baseReport ?? null,
      ...(base.setup?.failure === undefined ? {} : { setupFailed: base.setup.failure }),
    },
    verdict: gates.some((g) => g.blocking) ? "failed" : "passed",
    gates,
    summary: {
      newFailures: names("new_failure"),
      fixed: names("fixed"),
      preExisting: names("pre_existing_failure"),
      noBaseline: names("no_baseline"),
      flaky: gates.filter((g) => g.flaky).map((g) => g.name),
    },
  };
}
