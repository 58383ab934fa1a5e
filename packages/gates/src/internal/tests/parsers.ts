/**
 * Parsers of test runners' machine-readable output into test cases: TAP
 * (tape, ava --tap, node-tap, node:test's tap reporter), jest's --json
 * report, `go test -json` events and cargo's libtest lines. A parser of
 * stdout is strict: the runner's own numbering, plan and counts must agree,
 * because a test can print anything (a test printing `ok 1 - fake` must not
 * add or mask a case); when they do not agree, no case is trusted.
 */
import path from "node:path";
import type { TestCase } from "../../schemas/result.js";

export type Parsed = { readonly cases: TestCase[] } | { readonly error: string };

const trimMessage = (text: string | undefined) => (text === undefined || text.trim() === "" ? undefined : text.trim().split("\n")[0]?.slice(0, 300));

/** Ids made unique the way the JUnit parser does: `#2`, `#3` for repeats. */
function uniqueIds(cases: TestCase[]): TestCase[] {
  const seen = new Map<string, number>();
  return cases.map((c) => {
    const n = (seen.get(c.id) ?? 0) + 1;
    seen.set(c.id, n);
    return n === 1 ? c : { ...c, id: `${c.id}#${n}` };
  });
}

const POINT = /^( *)(not ok|ok)\b(?: +(\d+))?(?: *-)? *(.*)$/;
const PLAN = /^( *)1\.\.(\d+)(?:\s*#.*)?$/;
const SUBTEST = /^( *)# Subtest: (.*)$/;
const SUMMARY = /^# (tests|pass|fail|ok|todo|skip|not ok)\b/;

type Point = { ok: boolean; n: number | undefined; desc: string; directive: "skip" | "todo" | undefined };

function readPoint(match: RegExpExecArray): Point {
  const rest = match[4] ?? "";
  // The description ends at the first unescaped `#` (`desc # SKIP reason`, node-tap's `desc # time=3ms`).
  const at = rest.search(/(?<!\\)#/);
  const desc = (at < 0 ? rest : rest.slice(0, at)).trim().replace(/\\#/g, "#");
  const comment = at < 0 ? "" : rest.slice(at + 1).trim();
  const directive = /^todo\b/i.test(comment) ? "todo" : /^skip/i.test(comment) ? "skip" : undefined;
  return { ok: match[2] === "ok", n: match[3] === undefined ? undefined : Number(match[3]), desc, directive };
}

const outcomeOf = (p: Point): TestCase["outcome"] => (p.directive !== undefined ? "skipped" : p.ok ? "passed" : "failed");

/**
 * TAP 13/14 from a runner's stdout. Reading starts at `TAP version N` (or
 * the first point or plan at column 0), so npm's own header is skipped.
 * `groups` (tape): a test is a `# name` comment and the points under it are
 * its assertions; otherwise each point is a test, and a point with a
 * subtest block (indented, `# Subtest:`) is a suite of its leaf points.
 * `subtests` (node-tap): leaf points are assertions, and a test is a point
 * with a subtest block that holds assertions of its own.
 * Points must be numbered 1, 2, 3… per level, with one plan per level that
 * matches their count; YAML diagnostics and any other line are skipped.
 */
export function parseTap(text: string, options: { groups?: boolean; subtests?: boolean; suite?: string } = {}): Parsed {
  const lines = text.split(/\r?\n/);
  let start = lines.findIndex((l) => /^TAP version \d+\s*$/.test(l));
  if (start < 0) start = lines.findIndex((l) => /^(not ok|ok)\b/.test(l) || /^1\.\.\d+/.test(l));
  if (start < 0) return { error: "no TAP output on stdout" };
  const suite = options.suite ?? (options.groups === true ? "tape" : "tap");
  // Per indentation level: points seen (with their leaf cases), and the plan.
  type Entry = TestCase & { leaf: boolean };
  type Level = { count: number; plan: number | undefined; cases: Entry[]; name: string | undefined };
  const levels = new Map<number, Level>();
  const level = (indent: number): Level => {
    let l = levels.get(indent);
    if (l === undefined) {
      l = { count: 0, plan: undefined, cases: [], name: undefined };
      levels.set(indent, l);
    }
    return l;
  };
  const checkLevel = (indent: number, l: Level): string | undefined => {
    if (l.plan === undefined && indent === 0) return "the TAP output has no plan (1..N): the run ended early, or its output is not TAP";
    if (l.plan !== undefined && l.plan !== l.count)
      return `the TAP plan says ${l.plan} test points at level ${indent / 4}, ${l.count} were printed (a test printing TAP lines?)`;
    return undefined;
  };
  const groups: { name: string; points: Point[]; skip: boolean }[] = [];
  let yaml: number | undefined; // indent of an open YAML block
  let planSeenTop = false;
  for (const raw of lines.slice(start)) {
    const line = raw.replace(/\s+$/, "");
    if (yaml !== undefined) {
      if (line.trim() === "..." && line.indexOf("...") === yaml) yaml = undefined;
      continue;
    }
    const y = /^( *)---$/.exec(line);
    if (y !== null) {
      yaml = (y[1] ?? "").length;
      continue;
    }
    const sub = SUBTEST.exec(line);
    if (sub !== null) {
      level((sub[1] ?? "").length + 4).name = sub[2];
      continue;
    }
    const plan = PLAN.exec(line);
    if (plan !== null) {
      const indent = (plan[1] ?? "").length;
      if (indent % 4 !== 0) continue;
      const l = level(indent);
      if (l.plan !== undefined) return { error: `two TAP plans at level ${indent / 4} (a test printing TAP lines?)` };
      l.plan = Number(plan[2]);
      if (indent === 0) planSeenTop = true;
      continue;
    }
    if (options.groups === true && !planSeenTop && line.startsWith("# ") && !SUMMARY.test(line)) {
      // tape prints a skipped test as `# SKIP name`
      const name = line.slice(2).trim();
      const skip = /^SKIP /.test(name);
      groups.push({ name: skip ? name.slice(5).trim() : name, points: [], skip });
      continue;
    }
    const m = POINT.exec(line);
    if (m === null) continue;
    const indent = (m[1] ?? "").length;
    if (indent % 4 !== 0) continue;
    const point = readPoint(m);
    const l = level(indent);
    if (indent === 0 && planSeenTop && l.plan !== undefined && l.count >= l.plan)
      return { error: "a TAP point after the plan was complete (a test printing TAP lines?)" };
    l.count += 1;
    if (point.n !== undefined && point.n !== l.count)
      return { error: `TAP point ${point.n} where ${l.count} was due at level ${indent / 4} (a test printing TAP lines?)` };
    if (options.groups === true) {
      if (indent !== 0) continue;
      if (groups.length === 0) groups.push({ name: "(no test name)", points: [], skip: false });
      (groups[groups.length - 1] as { points: Point[] }).points.push(point);
      continue;
    }
    // The child level (indent + 4), if any, is this point's subtest block.
    const child = levels.get(indent + 4);
    let leaves: Entry[] = [];
    if (child !== undefined && child.count > 0) {
      const problem = checkLevel(indent + 4, child);
      if (problem !== undefined) return { error: problem };
      for (const k of [...levels.keys()]) if (k > indent) levels.delete(k);
      if (options.subtests === true) {
        // node-tap: this point is a test when it holds assertions; its subtests are tests of their own.
        leaves = child.cases.filter((c) => !c.leaf).map((c) => ({ ...c, id: `${point.desc} > ${c.id}` }));
        if (child.cases.some((c) => c.leaf)) leaves.unshift({ id: point.desc, outcome: outcomeOf(point), leaf: false });
      } else {
        leaves = child.cases.map((c) => ({ ...c, id: `${point.desc} > ${c.id}` }));
        if (!point.ok && point.directive === undefined && !leaves.some((c) => c.outcome === "failed")) {
          leaves.push({ id: `${point.desc} > (suite)`, outcome: "failed", message: "the suite failed outside its tests", leaf: true });
        }
      }
    } else {
      levels.delete(indent + 4);
      leaves = [{ id: point.desc === "" ? `(test ${l.count})` : point.desc, outcome: outcomeOf(point), leaf: true }];
    }
    l.cases.push(...leaves);
  }
  const top = levels.get(0);
  if (top === undefined) return { error: "no TAP test points on stdout" };
  const problem = checkLevel(0, top);
  if (problem !== undefined) return { error: problem };
  if (options.groups === true) {
    return {
      cases: uniqueIds(
        groups.map((g): TestCase => {
          const failed = g.points.find((p) => !p.ok && p.directive === undefined);
          const allSkipped = g.skip || (g.points.length > 0 && g.points.every((p) => p.directive !== undefined));
          const outcome = failed !== undefined ? "failed" : allSkipped ? "skipped" : "passed";
          const message = trimMessage(failed?.desc);
          return { id: `${suite}::${g.name}`, outcome, ...(message === undefined ? {} : { message }) };
        }),
      ),
    };
  }
  const kept = options.subtests === true ? top.cases.filter((c) => !c.leaf) : top.cases;
  return { cases: uniqueIds(kept.map(({ leaf: _, ...c }) => ({ ...c, id: `${suite}::${c.id}` }))) };
}

type JestAssertion = { ancestorTitles?: unknown; title?: unknown; status?: unknown; duration?: unknown; failureMessages?: unknown };
type JestFile = { name?: unknown; status?: unknown; message?: unknown; assertionResults?: unknown };

/** jest's `--json` report: a case per assertion result, `file::describe > title`; a file that failed to run is one failed case. */
export function parseJestJson(text: string, cwd: string): Parsed {
  let doc: { testResults?: unknown };
  try {
    doc = JSON.parse(text) as { testResults?: unknown };
  } catch (e) {
    return { error: `the jest report is not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!Array.isArray(doc.testResults)) return { error: "the jest report has no testResults" };
  const cases: TestCase[] = [];
  for (const file of doc.testResults as JestFile[]) {
    const name = typeof file.name === "string" ? path.relative(cwd, file.name) || file.name : "(file)";
    const results = Array.isArray(file.assertionResults) ? (file.assertionResults as JestAssertion[]) : [];
    for (const a of results) {
      const titles = [...(Array.isArray(a.ancestorTitles) ? a.ancestorTitles.map(String) : []), String(a.title ?? "(unnamed)")];
      const status = String(a.status);
      const outcome: TestCase["outcome"] = status === "passed" ? "passed" : status === "failed" ? "failed" : "skipped";
      const message = outcome === "failed" && Array.isArray(a.failureMessages) ? trimMessage(a.failureMessages.map(String).join("\n")) : undefined;
      cases.push({
        id: `${name}::${titles.join(" > ")}`,
        outcome,
        ...(typeof a.duration === "number" && a.duration >= 0 ? { durationMs: a.duration } : {}),
        ...(message === undefined ? {} : { message }),
      });
    }
    if (results.length === 0 && file.status === "failed") {
      const message = trimMessage(typeof file.message === "string" ? file.message : undefined);
      cases.push({ id: `${name}::(test file failed to run)`, outcome: "failed", ...(message === undefined ? {} : { message }) });
    }
  }
  return { cases: uniqueIds(cases) };
}

type GoEvent = { Action?: unknown; Package?: unknown; Test?: unknown; Elapsed?: unknown; Output?: unknown };

/**
 * `go test -json` events (test2json): a case per test (subtests `TestA/b`
 * too) from its final pass/fail/skip event, `package::Test`. A package that
 * failed with no failing test (a build error) is one failed case. A test's
 * own output arrives inside `output` events, so it cannot forge an event.
 */
export function parseGoJson(text: string): Parsed {
  const cases = new Map<string, TestCase>();
  const failedPackages = new Set<string>();
  const packagesWithFailure = new Set<string>();
  let events = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    let e: GoEvent;
    try {
      e = JSON.parse(line) as GoEvent;
    } catch {
      continue;
    }
    events += 1;
    const pkg = typeof e.Package === "string" ? e.Package : "";
    const action = String(e.Action);
    if (!["pass", "fail", "skip"].includes(action)) continue;
    if (typeof e.Test !== "string") {
      if (action === "fail") failedPackages.add(pkg);
      continue;
    }
    const outcome: TestCase["outcome"] = action === "pass" ? "passed" : action === "fail" ? "failed" : "skipped";
    if (outcome === "failed") packagesWithFailure.add(pkg);
    cases.set(`${pkg}::${e.Test}`, {
      id: `${pkg}::${e.Test}`,
      outcome,
      ...(typeof e.Elapsed === "number" ? { durationMs: Math.round(e.Elapsed * 1000) } : {}),
    });
  }
  if (events === 0) return { error: "no go test -json events on stdout" };
  for (const pkg of failedPackages)
    if (!packagesWithFailure.has(pkg))
      cases.set(`${pkg}::(package)`, { id: `${pkg}::(package)`, outcome: "failed", message: "the package failed with no failing test (build error?)" });
  return { cases: [...cases.values()] };
}

const LIBTEST_RUNNING = /^running (\d+) tests?$/;
const LIBTEST_LINE = /^test (.+?) \.\.\. (ok|FAILED|ignored)(?:, .*)?$/;
const LIBTEST_RESULT = /^test result: (ok|FAILED)\. (\d+) passed; (\d+) failed; (\d+) ignored;/;

/**
 * cargo test / libtest's default output: per test binary, `running N
 * tests`, `test name ... ok|FAILED|ignored`, and `test result: … N passed;
 * M failed; K ignored`. The lines of a binary must add up to both counts
 * (a test's captured output, printed in the failures section, could hold a
 * forged line), else nothing is trusted. Ids are the test paths
 * (`tests::adds`); a repeated one (unit and integration) gets `#2`.
 */
export function parseLibtest(text: string): Parsed {
  const cases: TestCase[] = [];
  let block: { expected: number; cases: TestCase[] } | undefined;
  let blocks = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const running = LIBTEST_RUNNING.exec(line);
    if (running !== null) {
      if (block !== undefined) return { error: "a libtest block with no `test result:` line (a test printing libtest lines?)" };
      block = { expected: Number(running[1]), cases: [] };
      continue;
    }
    if (block === undefined) continue;
    const t = LIBTEST_LINE.exec(line);
    if (t !== null) {
      const name = (t[1] ?? "").replace(/ - should panic$/, "");
      block.cases.push({ id: name, outcome: t[2] === "ok" ? "passed" : t[2] === "FAILED" ? "failed" : "skipped" });
      continue;
    }
    const result = LIBTEST_RESULT.exec(line);
    if (result !== null) {
      const [passed, failed, ignored] = [Number(result[2]), Number(result[3]), Number(result[4])];
      const count = (o: TestCase["outcome"]) => block?.cases.filter((c) => c.outcome === o).length ?? 0;
      if (block.cases.length !== block.expected || count("passed") !== passed || count("failed") !== failed || count("skipped") !== ignored) {
        return {
          error: `libtest lines do not add up to its counts (running ${block.expected}; ${passed} passed, ${failed} failed, ${ignored} ignored; ${block.cases.length} lines): a test printing libtest lines?`,
        };
      }
      cases.push(...block.cases);
      block = undefined;
      blocks += 1;
    }
  }
  if (block !== undefined) return { error: "the libtest output ended inside a test binary's run" };
  if (blocks === 0) return { error: "no libtest output (`running N tests`) on stdout" };
  return { cases: uniqueIds(cases) };
}
