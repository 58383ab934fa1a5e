import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseGoJson, parseJestJson, parseLibtest, parseTap } from "./parsers.js";

/** Outputs captured from the real runners (versions in test/test-runners.test.ts); go's is written from test2json's format (no go here). */
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/runners");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");
const outcomes = (parsed: ReturnType<typeof parseTap>) => ("cases" in parsed ? Object.fromEntries(parsed.cases.map((c) => [c.id, c.outcome])) : parsed);

describe("TAP", () => {
  it("tape: a test is a `# name` group; npm's header is skipped; SKIP and nested tests", () => {
    expect(outcomes(parseTap(fixture("tape.stdout.txt"), { groups: true }))).toEqual({
      "tape::adds": "passed",
      "tape::subtracts badly": "failed",
      "tape::skipped one": "skipped",
      "tape::outer": "passed",
      "tape::inner": "passed",
    });
  });

  it("tape: a test printing a TAP line breaks the numbering, so nothing is trusted", () => {
    const parsed = parseTap(fixture("tape-fake-line.stdout.txt"), { groups: true });
    expect(parsed).toEqual({ error: expect.stringMatching(/TAP point 3 where 2 was due/) });
  });

  it("mocha 2.x --reporter=tap (mocha before 2.2): plan first, each point a test by its full title; a printed point is refused", () => {
    const text = fixture("mocha-2-tap.stdout.txt");
    expect(outcomes(parseTap(text, { suite: "mocha" }))).toEqual({
      "mocha::Brorand should generate random numbers": "passed",
      "mocha::Extra passes": "passed",
      "mocha::Extra fails": "failed",
      "mocha::Extra is skipped": "skipped",
    });
    const forged = text.replace("not ok 3 Extra fails", "ok 1 - fake\nnot ok 3 Extra fails");
    expect(parseTap(forged, { suite: "mocha" })).toEqual({ error: expect.any(String) });
  });

  it("ava --tap: each point is a test", () => {
    expect(outcomes(parseTap(fixture("ava-tap.stdout.txt"), { suite: "ava" }))).toEqual({ "ava::adds": "passed", "ava::subtracts badly": "failed" });
  });

  it("node:test tap reporter: subtests become `suite > test` leaves", () => {
    expect(outcomes(parseTap(fixture("node-test-tap.stdout.txt")))).toEqual({
      "tap::math > adds": "passed",
      "tap::math > subtracts badly": "failed",
      "tap::spawns node": "passed",
      "tap::top level fails": "failed",
    });
  });

  it("node-tap (--reporter=tap): a test is a subtest holding assertions; `# time=` is not part of the name", () => {
    expect(outcomes(parseTap(fixture("node-tap.stdout.txt"), { subtests: true }))).toEqual({
      "tap::test/a.js > adds": "passed",
      "tap::test/a.js > subtracts badly": "failed",
      "tap::test/a.js > outer": "passed",
      "tap::test/a.js > outer > inner": "passed",
    });
  });

  it("refuses a plan that does not match, a second plan, a point after the plan, and no plan", () => {
    expect(parseTap("TAP version 13\nok 1 - a\nok 2 - b\n1..1\n")).toEqual({ error: expect.stringMatching(/plan says 1/) });
    expect(parseTap("TAP version 13\n1..1\nok 1 - a\n1..1\n")).toEqual({ error: expect.stringMatching(/two TAP plans/) });
    expect(parseTap("TAP version 13\n1..1\nok 1 - a\nok 2 - fake\n")).toEqual({ error: expect.stringMatching(/after the plan/) });
    expect(parseTap("TAP version 13\nok 1 - a\n")).toEqual({ error: expect.stringMatching(/no plan/) });
    expect(parseTap("hello\n")).toEqual({ error: "no TAP output on stdout" });
  });

  it("a forged pass printed before the real failure of the same test cannot mask it", () => {
    // tape-like flat output where the forged line takes the real point's number
    const forged = "TAP version 13\n# subtracts badly\nok 1 should be 2\nnot ok 1 should be 2\n\n1..1\n";
    expect("error" in parseTap(forged, { groups: true })).toBe(true);
  });

  it("directives: SKIP and TODO are skipped; escaped # stays in the name", () => {
    expect(outcomes(parseTap("TAP version 13\nok 1 - a \\# b\nok 2 - c # SKIP no db\nnot ok 3 - d # TODO later\n1..3\n"))).toEqual({
      "tap::a # b": "passed",
      "tap::c": "skipped",
      "tap::d": "skipped",
    });
  });
});

describe("jest --json", () => {
  it("a case per assertion, `file::describe > title`, relative to the cwd", () => {
    const parsed = parseJestJson(fixture("jest.json"), "/project");
    expect(outcomes(parsed)).toEqual({ "test/a.test.js::math > adds": "passed", "test/a.test.js::math > subtracts badly": "failed" });
    expect("cases" in parsed && parsed.cases[1]?.message).toMatch(/expect\(received\)\.toBe\(expected\)/);
  });

  it("a file that failed to run is one failed case; non-JSON is an error", () => {
    const doc = { testResults: [{ name: "/project/test/b.test.js", status: "failed", message: "SyntaxError: nope", assertionResults: [] }] };
    expect(outcomes(parseJestJson(JSON.stringify(doc), "/project"))).toEqual({ "test/b.test.js::(test file failed to run)": "failed" });
    expect(parseJestJson("Tests: 1 passed", "/project")).toEqual({ error: expect.stringMatching(/not JSON/) });
  });
});

describe("go test -json", () => {
  it("final events per test; a test's output that looks like an event stays output", () => {
    expect(outcomes(parseGoJson(fixture("go-test.json.txt")))).toEqual({
      "example.com/adder::TestAdds": "passed",
      "example.com/adder::TestSubtractsBadly": "failed",
    });
  });

  it("a failed package with no failing test (a build error) is a failed case", () => {
    const text =
      '{"Action":"start","Package":"p"}\n{"Action":"output","Package":"p","Output":"# p\\nx.go:3: undefined: y\\n"}\n{"Action":"fail","Package":"p"}\n';
    expect(outcomes(parseGoJson(text))).toEqual({ "p::(package)": "failed" });
    expect(parseGoJson("ok  \tp\t0.01s\n")).toEqual({ error: expect.stringMatching(/no go test -json events/) });
  });
});

describe("libtest (cargo test)", () => {
  it("every test binary's lines (unit and integration), ignored as skipped", () => {
    expect(outcomes(parseLibtest(fixture("cargo.stdout.txt")))).toEqual({
      "tests::adds": "passed",
      "tests::slow": "skipped",
      "tests::subtracts_badly": "failed",
      adds: "passed",
    });
  });

  it("a test's captured output holding a forged `test … ok` line makes the counts disagree: nothing trusted", () => {
    expect(parseLibtest(fixture("cargo-forged-line.stdout.txt"))).toEqual({ error: expect.stringMatching(/do not add up/) });
  });
});
