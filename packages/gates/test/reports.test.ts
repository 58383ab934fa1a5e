import { cleanupTempDirs, makeTempDir, staleSchemaFiles } from "@omk/test-fixtures";
import { XMLParser } from "fast-xml-parser";
import { afterAll, describe, expect, it } from "vitest";
import { compareReports, formatJunit, formatMarkdown, formatText, gatesJsonSchemas } from "../src/index.js";
import { nodeGate, runIn } from "./helpers.js";

afterAll(cleanupTempDirs);

describe("reports", () => {
  it("JUnit XML (valid, control characters removed), Markdown table and text table of one run", async () => {
    const dir = makeTempDir("gates-report-");
    const { report } = await runIn(dir, [
      nodeGate("ok", "pass.mjs", [], { kind: "test" }),
      { name: "colour", kind: "lint", command: [process.execPath, "-e", "console.error('\\x1b[31mred <&> \"q\"\\x1b[0m\\x07'); process.exit(2)"] },
      nodeGate("opt", "fail.mjs", [], { required: false }),
      nodeGate("after", "pass.mjs", [], { needs: ["colour"] }),
    ]);
    const xml = formatJunit(report);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml) as {
      testsuites: { tests: string; failures: string; skipped: string; testsuite: Array<{ name: string; testcase: Record<string, unknown> }> };
    };
    expect(parsed.testsuites).toMatchObject({ tests: "4", failures: "2", skipped: "1" });
    // A gate without per-test cases is one testcase in its own testsuite.
    expect(parsed.testsuites.testsuite.map((s) => s.name)).toEqual(["ok", "colour", "opt", "after"]);
    const cases = parsed.testsuites.testsuite.map((s) => s.testcase);
    expect(cases.map((c) => c["name"])).toEqual(["ok", "colour", "opt", "after"]);
    expect(cases[1]?.["failure"]).toMatchObject({ type: "failed", message: "failed (exit 2)", "#text": 'red <&> "q"' });
    expect(cases[2]?.["failure"]).toMatchObject({ message: "optional gate: failed (exit 1)" });
    expect(cases[3]?.["skipped"]).toMatchObject({ message: "needs colour (failed)" });
    expect(xml.includes("\u001b") || xml.includes("\u0007")).toBe(false);

    const md = formatMarkdown(report);
    expect(md).toContain("## Verification wall: ❌ failed");
    expect(md).toMatch(/\| colour \| lint \| yes \| ❌ failed \| \d+ms \| 2 \| `logs\/colour\.stdout\.log` \|/);
    expect(md).toContain("### colour: failed");

    const text = formatText(report);
    // A gate that did not run says why in its own column.
    expect(text.split("\n")[0]).toMatch(/^gate\s+kind\s+req\s+outcome\s+time\s+exit\s+why$/);
    expect(text).toMatch(/^after\s+custom\s+yes\s+skipped\s+\S+\s+needs colour \(failed\)$/m);
    expect(md).toMatch(/\| after \| custom \| yes \| ⏭️ skipped: needs colour \(failed\) \|/);
    expect(text).toContain("failed: required not passing: colour, after");
  });

  it("JUnit: one testcase per test when a gate has per-test cases; a pre-existing failure is a failure that says so, not a skip", async () => {
    const junit = (cases: string) => `<testsuite name="s">${cases}</testsuite>`;
    const writer = (xml: string) => [process.execPath, "-e", `require('node:fs').writeFileSync('r.xml', ${JSON.stringify(xml)}); process.exit(1)`];
    const base = makeTempDir("gates-report-base-");
    const head = makeTempDir("gates-report-head-");
    const baseRun = await runIn(base, [
      {
        name: "unit",
        kind: "test",
        command: writer(junit('<testcase classname="m" name="old"><failure message="was broken"/></testcase><testcase classname="m" name="adds"/>')),
        tests: { format: "junit", file: "r.xml" },
      },
      nodeGate("lint", "fail.mjs", [], { kind: "lint" }),
    ]);
    const headRun = await runIn(head, [
      {
        name: "unit",
        kind: "test",
        command: writer(
          junit(
            '<testcase classname="m" name="old"><failure message="still broken"/></testcase><testcase classname="m" name="adds"><failure message="1 != 2"/></testcase><testcase classname="m" name="later"><skipped/></testcase>',
          ),
        ),
        tests: { format: "junit", file: "r.xml" },
      },
      nodeGate("lint", "fail.mjs", [], { kind: "lint" }),
    ]);
    const report = { ...headRun.report, comparison: compareReports(baseRun.report, headRun.report, { baseRef: "HEAD~1" }) };
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => n === "testsuite" || n === "testcase" }).parse(
      formatJunit(report),
    ) as {
      testsuites: { testsuite: Array<{ name: string; tests: string; failures: string; testcase: Array<Record<string, unknown>> }> };
    };
    const [unit, lint] = parsed.testsuites.testsuite;
    expect(unit).toMatchObject({ name: "unit", tests: "3", failures: "2" });
    expect(unit?.testcase.map((c) => `${c["classname"]}::${c["name"]}`)).toEqual(["m::old", "m::adds", "m::later"]);
    expect(unit?.testcase[0]?.["failure"]).toMatchObject({
      type: "pre_existing",
      message: expect.stringMatching(/^pre-existing: fails on base too.*still broken$/),
    });
    expect(unit?.testcase[0]?.["skipped"]).toBeUndefined();
    expect(unit?.testcase[1]?.["failure"]).toMatchObject({ message: "1 != 2" });
    expect(unit?.testcase[1]?.["properties"]).toMatchObject({ property: { name: "omk.baseline", value: "new_failure" } });
    expect(unit?.testcase[2]).toHaveProperty("skipped");
    // A gate with no per-test cases that fails on base too: one testcase, a pre_existing failure.
    expect(lint?.testcase).toHaveLength(1);
    expect(lint?.testcase[0]?.["failure"]).toMatchObject({ type: "pre_existing", message: expect.stringMatching(/^pre-existing: fails on base too/) });
    expect(lint?.testcase[0]?.["skipped"]).toBeUndefined();
    // The terminal table names the test cases too: the new failure, and the one failing on base as well.
    const text = formatText(report);
    expect(text).toContain("unit: new failing test cases: m::adds\n");
    expect(text).toContain("unit: failing on base too: m::old\n");
  });

  it("docs/schemas is generated from the zod schemas and up to date", () => {
    expect(staleSchemaFiles(gatesJsonSchemas(), "pnpm --filter @omk/gates gen:schemas")).toEqual([]);
  });

  it("the JSON Schemas name themselves and describe the config as people write it", () => {
    const schemas = gatesJsonSchemas() as Record<string, { $id: string; title: string; properties: Record<string, unknown> }>;
    expect(Object.keys(schemas)).toEqual(["gates-config.schema.json", "gates-report.schema.json"]);
    expect(schemas["gates-config.schema.json"]?.$id).toBe("https://omk.dev/schemas/gates-config.schema.json");
    expect(JSON.stringify(schemas["gates-config.schema.json"])).toContain("a duration such as");
    expect(schemas["gates-report.schema.json"]?.properties).toHaveProperty("gates");
  });
});
