import { cleanupTempDirs, makeTempDir, staleSchemaFiles } from "@omk/test-fixtures";
import { XMLParser } from "fast-xml-parser";
import { afterAll, describe, expect, it } from "vitest";
import { formatJunit, formatMarkdown, formatText, gatesJsonSchemas } from "../src/index.js";
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
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml) as { testsuites: { tests: string; failures: string; skipped: string; testsuite: { testcase: Array<Record<string, unknown>> } } };
    expect(parsed.testsuites).toMatchObject({ tests: "4", failures: "2", skipped: "1" });
    const cases = parsed.testsuites.testsuite.testcase;
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
