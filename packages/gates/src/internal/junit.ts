import { XMLBuilder, XMLParser } from "fast-xml-parser";
import type { TestCase } from "../schemas/result.js";

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  isArray: (name) => name === "testsuite" || name === "testcase" || name === "failure" || name === "error",
  processEntities: true,
  htmlEntities: true,
});

type Node = Record<string, unknown>;
const attr = (node: Node, name: string): string | undefined => {
  const v = node[`@_${name}`];
  return v === undefined ? undefined : String(v);
};
const firstLine = (value: unknown): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string")
    return value
      .split("\n")
      .find((l) => l.trim() !== "")
      ?.trim();
  const node = value as Node;
  return attr(node, "message") ?? firstLine(node["#text"]);
};

/**
 * Test cases of a JUnit XML report (testsuites > testsuite* > testcase*,
 * nested suites too). A case's id is `classname::name` (the suite's name
 * when there is no classname); repeated ids get `#2`, `#3`. Throws on XML
 * that is not a JUnit report.
 */
export function parseJunit(xml: string): TestCase[] {
  const doc = parser.parse(xml) as Node;
  const roots: Node[] = [];
  const top = (doc["testsuites"] ?? undefined) as Node | undefined;
  if (top !== undefined) roots.push(...((top["testsuite"] as Node[] | undefined) ?? []));
  if (top !== undefined && Array.isArray(top["testcase"])) roots.push(top);
  roots.push(...((doc["testsuite"] as Node[] | undefined) ?? []));
  if (top === undefined && doc["testsuite"] === undefined) throw new Error("not a JUnit report: no <testsuites> or <testsuite> element");
  const out: TestCase[] = [];
  const seen = new Map<string, number>();
  const walk = (suite: Node) => {
    const suiteName = attr(suite, "name") ?? "";
    for (const tc of (suite["testcase"] as Node[] | undefined) ?? []) {
      const base = `${attr(tc, "classname") ?? suiteName}::${attr(tc, "name") ?? "(unnamed)"}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      const failure = (tc["failure"] as unknown[] | undefined)?.[0] ?? (tc["error"] as unknown[] | undefined)?.[0];
      const skipped = tc["skipped"] !== undefined;
      const time = Number(attr(tc, "time"));
      const message = failure === undefined ? undefined : (firstLine(failure) ?? "failed");
      out.push({
        id: n === 1 ? base : `${base}#${n}`,
        outcome: failure !== undefined ? "failed" : skipped ? "skipped" : "passed",
        ...(Number.isFinite(time) && time >= 0 ? { durationMs: Math.round(time * 1000) } : {}),
        ...(message === undefined ? {} : { message: message.slice(0, 300) }),
      });
    }
    for (const child of (suite["testsuite"] as Node[] | undefined) ?? []) walk(child);
  };
  for (const suite of roots) walk(suite);
  return out;
}

/** Merge the cases of several attempts: a case that failed and then passed is flaky. */
export function mergeAttempts(attempts: TestCase[][]): TestCase[] {
  const last = attempts[attempts.length - 1] ?? [];
  const failedBefore = new Set(attempts.slice(0, -1).flatMap((cases) => cases.filter((c) => c.outcome === "failed").map((c) => c.id)));
  return last.map((c) => (c.outcome === "passed" && failedBefore.has(c.id) ? { ...c, outcome: "flaky" } : c));
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@_", format: true, suppressEmptyNode: true, processEntities: true });
// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
const xmlText = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g, "");

/** Split a case id `classname::name` at its last `::` (the JUnit parser's id, read back). */
function splitCaseId(id: string): { classname: string; name: string } {
  const at = id.lastIndexOf("::");
  if (at < 0) return { classname: "", name: id };
  const name = id.slice(at + 2);
  return name === "" ? { classname: "", name: id } : { classname: id.slice(0, at), name };
}

/** JUnit testcase nodes (XMLBuilder objects) of test cases; `extra` may add a failure to a case (a pre-existing one, say). */
export function junitCaseNodes(cases: readonly TestCase[], extra: (c: TestCase) => Record<string, unknown> = () => ({})): Record<string, unknown>[] {
  return cases.map((c) => {
    const { classname, name } = splitCaseId(c.id.replace(/#\d+$/, ""));
    const node: Record<string, unknown> = { "@_classname": xmlText(classname), "@_name": xmlText(name) };
    if (c.durationMs !== undefined) node["@_time"] = (c.durationMs / 1000).toFixed(3);
    if (c.outcome === "failed") node["failure"] = { "@_message": xmlText(c.message ?? "failed") };
    else if (c.outcome === "flaky")
      node["failure"] = { "@_type": "flaky", "@_message": xmlText(`flaky: failed, then passed on a retry${c.message === undefined ? "" : `: ${c.message}`}`) };
    else if (c.outcome === "skipped") node["skipped"] = "";
    return { ...node, ...extra(c) };
  });
}

/** A JUnit XML report of test cases read in another format (TAP, jest JSON, go -json, libtest). */
export function casesToJunit(suite: string, cases: readonly TestCase[]): string {
  const nodes = junitCaseNodes(cases);
  const count = (key: string) => nodes.filter((n) => n[key] !== undefined).length;
  const xml = builder.build({
    testsuites: {
      testsuite: {
        "@_name": xmlText(suite),
        "@_tests": String(nodes.length),
        "@_failures": String(count("failure")),
        "@_skipped": String(count("skipped")),
        testcase: nodes,
      },
    },
  }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml.trimEnd()}\n`;
}
