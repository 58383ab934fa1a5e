import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Gate } from "../../schemas/config.js";
import type { TestCase } from "../../schemas/result.js";
import { parseJunit } from "../junit.js";
import { parseGoJson, parseJestJson, parseLibtest, parseTap } from "./parsers.js";
import { planTestReport, type TestReportPlan } from "./plan.js";

type OkPlan = Extract<TestReportPlan, { ok: true }>;

/**
 * How this gate's per-test results are read, or undefined when it reads
 * none: `junit: FILE` (the command writes it), `tests: {format, file?}` as
 * configured, or `tests: {format: auto}`: the plan for the runner behind the
 * command, its report file in `<outDir>/reports/` (never the user's tree).
 */
export function testReportOf(gate: Gate, cwd: string, ctx: { outDir: string }, env: Readonly<Record<string, string | undefined>>): TestReportPlan | undefined {
  const command = Array.isArray(gate.command) ? gate.command : [gate.command as string];
  if (gate.junit !== undefined) return { ok: true, runner: "configured", format: "junit", command, env: {}, file: path.resolve(cwd, gate.junit), how: "" };
  const spec = gate.tests;
  if (spec === undefined) return undefined;
  if (spec.format === "auto") {
    return planTestReport({
      command: gate.shell && typeof gate.command === "string" ? gate.command : command,
      shell: gate.shell,
      cwd,
      env,
      reportFile: (ext) => path.join(ctx.outDir, "reports", `${gate.name}.${ext}`),
    });
  }
  return {
    ok: true,
    runner: "configured",
    format: spec.format,
    command,
    env: {},
    ...(spec.file === undefined ? {} : { file: path.resolve(cwd, spec.file) }),
    how: `${spec.format} (configured)${spec.file === undefined ? " from stdout" : ` from ${spec.file}`}`,
  };
}

/** The cases of one attempt: from the report file the plan names, else from the attempt's stdout. */
export function readTestReport(plan: OkPlan, file: string | undefined, stdout: string | undefined, cwd: string): { cases: TestCase[]; raw?: string } | { error: string } {
  let text: string;
  if (file !== undefined) {
    const shown = path.relative(cwd, file).startsWith("..") ? file : path.relative(cwd, file);
    if (!existsSync(file)) return { error: `the ${plan.format === "junit" ? "JUnit" : plan.format} report ${shown} was not written` };
    text = readFileSync(file, "utf8");
  } else {
    if (stdout === undefined) return { error: "no stdout captured" };
    text = stdout;
  }
  const parsed = (() => {
    switch (plan.format) {
      case "junit":
        try {
          return { cases: parseJunit(text), raw: text };
        } catch (e) {
          return { error: `the JUnit report does not parse: ${e instanceof Error ? e.message : String(e)}` };
        }
      case "jest-json":
        return parseJestJson(text, cwd);
      case "tap":
        return parseTap(text, { ...(plan.tapGroups === true ? { groups: true } : {}), ...(plan.runner === "ava" ? { suite: "ava" } : {}) });
      case "go-json":
        return parseGoJson(text);
      case "libtest":
        return parseLibtest(text);
    }
  })();
  return parsed;
}
