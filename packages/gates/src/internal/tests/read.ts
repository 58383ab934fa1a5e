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

/**
 * The cases of one attempt: from each report the plan names (its file, else
 * the attempt's stdout). Several reports (one `&&` chain running several
 * runners) add up; a report that is missing is listed in `missing` (a chain
 * stops at its first failing command, so later runners may not have run).
 */
export function readTestReport(
  plan: OkPlan,
  file: string | undefined,
  stdout: string | undefined,
  cwd: string,
): { cases: TestCase[]; raw?: string; missing?: string[] } | { error: string } {
  const first = readOne(plan, file, stdout, cwd);
  if (plan.also === undefined || plan.also.length === 0) return first;
  const all = [first, ...plan.also.map((r) => readOne(r, r.file, stdout, cwd))];
  const had = all.filter((r): r is { cases: TestCase[]; raw?: string } => "cases" in r);
  const runnersOf = [plan.runner, ...plan.also.map((r) => r.runner)];
  const missing = all.flatMap((r, i) => ("error" in r ? [`${runnersOf[i]}: ${r.error}`] : []));
  if (had.length === 0) return { error: missing.join("; ") };
  return { cases: had.flatMap((r) => r.cases), ...(missing.length === 0 ? {} : { missing }) };
}

function readOne(
  plan: Pick<OkPlan, "format" | "runner" | "tapGroups" | "tapSubtests">,
  file: string | undefined,
  stdout: string | undefined,
  cwd: string,
): { cases: TestCase[]; raw?: string } | { error: string } {
  let text: string;
  if (file !== undefined) {
    const shown = path.relative(cwd, file).startsWith("..") ? file : path.relative(cwd, file);
    if (!existsSync(file)) {
      // The command ran but its reporter did not write there: the run ended before it, or the runner ignored the option.
      return {
        error: `the ${plan.format === "junit" ? "JUnit" : plan.format} report ${shown} was not written${plan.runner === "configured" ? "" : ` (the run ended before its reporter wrote it, or this ${plan.runner} version ignores the reporter option OMK added: say how its results are read with \`tests: { format, file }\` on the gate in .omk/gates.yaml)`}`,
      };
    }
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
        return parseTap(text, {
          ...(plan.tapGroups === true ? { groups: true } : {}),
          ...(plan.tapSubtests === true ? { subtests: true, suite: "tap" } : {}),
          ...(plan.runner === "ava" ? { suite: "ava" } : {}),
          ...(plan.runner === "mocha" ? { suite: "mocha" } : {}),
        });
      case "go-json":
        return parseGoJson(text);
      case "libtest":
        return parseLibtest(text);
    }
  })();
  return parsed;
}

/**
 * Whether a gate's per-test results can be had, before running it (the
 * oracle asks at planning time): a configured format or JUnit file, or a
 * runner found behind the command. A command whose stdout is only sniffed
 * for TAP is not certain: it says so, with the config line that makes it so.
 */
export function perTestEvidence(gate: Gate, root: string): { ok: true; how: string } | { ok: false; reason: string; fix: string } {
  const plan = testReportOf(
    gate.tests === undefined && gate.junit === undefined ? { ...gate, tests: { format: "auto" } } : gate,
    path.resolve(root, gate.cwd),
    { outDir: path.join(root, ".omk-plan") },
    {},
  );
  if (plan === undefined)
    return { ok: false, reason: "the gate reads no per-test results", fix: "add `tests: { format: auto }` to the test gate in .omk/gates.yaml" };
  if (!plan.ok) return plan;
  if (plan.runner === "tap (sniffed)") {
    const shown = Array.isArray(gate.command) ? gate.command.join(" ") : String(gate.command);
    return {
      ok: false,
      reason: `no test runner OMK knows (node:test, vitest, jest, mocha, tape, ava, node-tap, pytest, go test, cargo test) is behind \`${shown}\``,
      fix: "say how its results are read on the test gate in .omk/gates.yaml: `tests: { format: tap }` if it prints TAP, or `tests: { format: junit, file: <report.xml> }` if it writes a JUnit report",
    };
  }
  return { ok: true, how: plan.how === "" ? `${plan.format} report ${plan.file ?? "(stdout)"}` : plan.how };
}
