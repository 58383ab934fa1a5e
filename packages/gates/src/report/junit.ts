import { XMLBuilder } from "fast-xml-parser";
import type { GateComparison, GateResult, GatesReport } from "../schemas/result.js";

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@_", format: true, suppressEmptyNode: true, processEntities: true });

/** XML 1.0 forbids most control characters (ANSI colour codes among them). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const clean = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g, "");
const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testcase(gate: GateResult, judged: GateComparison | undefined): Record<string, unknown> {
  const tail = clean([...gate.tail.stderr, ...gate.tail.stdout].join("\n"));
  const node: Record<string, unknown> = { "@_classname": `omk-gates.${gate.kind}`, "@_name": gate.name, "@_time": seconds(gate.durationMs) };
  const what = `${gate.outcome}${gate.exitCode === null ? "" : ` (exit ${gate.exitCode})`}${gate.signal === null ? "" : ` (${gate.signal})`}${gate.error === undefined ? "" : `: ${gate.error}`}`;
  const optional = gate.required ? "" : "optional gate: ";
  if (judged?.status === "pre_existing_failure") {
    node["skipped"] = { "@_message": clean(`pre-existing failure on base, not counted against the change: ${judged.reason}`) };
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

/** The wall as JUnit XML for CI systems: one test case per gate (pre-existing failures are reported as skipped). */
export function formatJunit(report: GatesReport): string {
  const judged = new Map((report.comparison?.gates ?? []).map((g) => [g.name, g]));
  const cases = report.gates.map((g) => testcase(g, judged.get(g.name)));
  const count = (key: string) => cases.filter((c) => c[key] !== undefined).length;
  const attrs = {
    "@_name": "omk-gates",
    "@_tests": String(cases.length),
    "@_failures": String(count("failure")),
    "@_errors": String(count("error")),
    "@_skipped": String(count("skipped")),
    "@_time": seconds(report.durationMs),
  };
  const xml = builder.build({ testsuites: { ...attrs, testsuite: { ...attrs, "@_timestamp": report.startedAt, testcase: cases } } }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml.trimEnd()}\n`;
}
