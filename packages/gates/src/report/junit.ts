import { junitCaseNodes } from "../internal/junit.js";
import { XMLBuilder } from "fast-xml-parser";
import type { GateComparison, GateResult, GatesReport } from "../schemas/result.js";

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@_", format: true, suppressEmptyNode: true, processEntities: true });

/** XML 1.0 forbids most control characters (ANSI colour codes among them). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const clean = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g, "");
const seconds = (ms: number) => (ms / 1000).toFixed(3);

const PRE_EXISTING = "pre-existing: fails on base too (not counted against the change)";

/** The one testcase of a gate without per-test cases (or of a gate failing outside its tests). */
function gateCase(gate: GateResult, judged: GateComparison | undefined, name = gate.name): Record<string, unknown> {
  const tail = clean([...gate.tail.stderr, ...gate.tail.stdout].join("\n"));
  const node: Record<string, unknown> = { "@_classname": `omk-gates.${gate.kind}`, "@_name": name, "@_time": seconds(gate.durationMs) };
  const what = `${gate.outcome}${gate.exitCode === null ? "" : ` (exit ${gate.exitCode})`}${gate.signal === null ? "" : ` (${gate.signal})`}${gate.error === undefined ? "" : `: ${gate.error}`}`;
  const optional = gate.required ? "" : "optional gate: ";
  if (judged?.status === "pre_existing_failure") {
    node["failure"] = { "@_type": "pre_existing", "@_message": clean(`${PRE_EXISTING}: ${judged.reason}`), "#text": tail };
    node["properties"] = { property: { "@_name": "omk.baseline", "@_value": "pre_existing_failure" } };
  } else if (judged?.status === "new_failure" && gate.outcome === "passed") {
    node["failure"] = { "@_type": "baseline", "@_message": clean(`${optional}${judged.reason}`), "#text": tail };
  } else if (gate.outcome === "skipped") {
    node["skipped"] = { "@_message": clean(gate.error ?? "skipped") };
  } else if (gate.outcome === "error" || gate.outcome === "timed_out") {
    node["error"] = { "@_type": gate.outcome, "@_message": clean(`${optional}${what}`), "#text": tail };
  } else if (gate.outcome !== "passed") {
    node["failure"] = { "@_type": gate.outcome, "@_message": clean(`${optional}${what}${judged === undefined ? "" : `; ${judged.reason}`}`), "#text": tail };
  }
  node["system-out"] = clean(`logs: ${gate.logs.stdout.path} ${gate.logs.stderr.path}${gate.notes.length > 0 ? `\n${gate.notes.join("\n")}` : ""}`);
  return node;
}

/** One testcase per test of a gate with per-test cases; a case failing on base too says so (type pre_existing). */
function testCases(gate: GateResult, judged: GateComparison | undefined): Record<string, unknown>[] {
  const preExisting = new Set(judged?.tests?.preExisting ?? []);
  const newFailures = new Set(judged?.tests?.newFailures ?? []);
  const cases = junitCaseNodes(gate.tests ?? [], (c) => {
    if (preExisting.has(c.id) && c.outcome === "failed") {
      return {
        failure: { "@_type": "pre_existing", "@_message": clean(`${PRE_EXISTING}${c.message === undefined ? "" : `: ${c.message}`}`) },
        properties: { property: { "@_name": "omk.baseline", "@_value": "pre_existing_failure" } },
      };
    }
    if (newFailures.has(c.id)) return { properties: { property: { "@_name": "omk.baseline", "@_value": "new_failure" } } };
    return {};
  });
  // A gate that did not pass with no failing case failed outside its tests (setup, a crash, the linter of a chain): say so as its own case.
  const anyFailed = (gate.tests ?? []).some((c) => c.outcome === "failed" || c.outcome === "flaky");
  if (gate.outcome !== "passed" && !anyFailed) cases.push(gateCase(gate, judged, `${gate.name} (outside the test cases)`));
  return cases;
}

/**
 * The wall as JUnit XML for CI systems: a testsuite per gate, with one
 * testcase per test when the gate has per-test cases, else one testcase for
 * the gate. With a baseline comparison, a failure that fails on the base too
 * is a failure of type `pre_existing` (message "pre-existing: fails on base
 * too", property `omk.baseline`), never a skip.
 */
export function formatJunit(report: GatesReport): string {
  const judged = new Map((report.comparison?.gates ?? []).map((g) => [g.name, g]));
  const suites = report.gates.map((gate) => {
    const cases = gate.tests !== undefined && gate.tests.length > 0 ? testCases(gate, judged.get(gate.name)) : [gateCase(gate, judged.get(gate.name))];
    const count = (key: string) => cases.filter((c) => c[key] !== undefined).length;
    return {
      "@_name": gate.name,
      "@_tests": String(cases.length),
      "@_failures": String(count("failure")),
      "@_errors": String(count("error")),
      "@_skipped": String(count("skipped")),
      "@_time": seconds(gate.durationMs),
      "@_timestamp": gate.startedAt,
      testcase: cases,
    };
  });
  const total = (key: "@_tests" | "@_failures" | "@_errors" | "@_skipped") => String(suites.reduce((n, s) => n + Number(s[key]), 0));
  const attrs = {
    "@_name": "omk-gates",
    "@_tests": total("@_tests"),
    "@_failures": total("@_failures"),
    "@_errors": total("@_errors"),
    "@_skipped": total("@_skipped"),
    "@_time": seconds(report.durationMs),
  };
  const xml = builder.build({ testsuites: { ...attrs, testsuite: suites } }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml.trimEnd()}\n`;
}
