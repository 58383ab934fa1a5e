// Test helpers: run real commands in a checkout and turn their results into oracle evidence data.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { GateEvidence } from "@omk/state";
import { XMLParser } from "fast-xml-parser";
import type { CommandResult, JunitCase } from "../src/index.js";

type Run = { exitCode: number | null; signal: string | null; stdout: string; durationMs: number };

function run(argv: readonly string[], cwd: string): Run {
  const started = performance.now();
  const result = spawnSync(argv[0] as string, argv.slice(1), { cwd, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  if (result.error !== undefined) throw result.error;
  return { exitCode: result.status, signal: result.signal, stdout: result.stdout, durationMs: performance.now() - started };
}

/** Runs a criterion's command: the evidence a controller would record. */
export function runCommand(criterionId: string, argv: readonly string[], cwd: string): CommandResult {
  const r = run(argv, cwd);
  return { criterionId, command: [...argv], exitCode: r.exitCode, signal: r.signal, timedOut: false, durationMs: r.durationMs, stdout: r.stdout };
}

/** Runs a gate's command: GateEvidence as the controller maps it from @omk/gates. */
export function runGate(name: string, argv: readonly string[], cwd: string, commit: string): GateEvidence {
  const r = run(argv, cwd);
  return {
    name,
    kind: "test",
    required: true,
    command: [...argv],
    cwd: ".",
    outcome: r.exitCode === 0 ? "passed" : "failed",
    exitCode: r.exitCode,
    signal: r.signal,
    durationMs: Math.round(r.durationMs),
    logs: [],
    commit,
    dirty: false,
    toolVersions: {},
  };
}

type XmlCase = { name: string; classname?: string; failure?: unknown; error?: unknown; skipped?: unknown };
type XmlNode = { testcase?: XmlCase[]; testsuite?: XmlNode[] };

function collect(node: XmlNode, out: JunitCase[]): void {
  for (const c of node.testcase ?? []) {
    const status = c.failure !== undefined ? "failed" : c.error !== undefined ? "error" : c.skipped !== undefined ? "skipped" : "passed";
    out.push({ classname: c.classname ?? "", name: String(c.name), status });
  }
  for (const suite of node.testsuite ?? []) collect(suite, out);
}

/** Runs node's test runner on `files` with the JUnit reporter and reads the report back. */
export function runNodeTests(cwd: string, files: readonly string[]): { exitCode: number | null; cases: JunitCase[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omk-junit-"));
  const report = path.join(dir, "junit.xml");
  try {
    const r = run([process.execPath, "--test", "--test-reporter=junit", `--test-reporter-destination=${report}`, ...files], cwd);
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => name === "testcase" || name === "testsuite" });
    const xml = parser.parse(readFileSync(report, "utf8")) as { testsuites?: XmlNode };
    const cases: JunitCase[] = [];
    collect(xml.testsuites ?? {}, cases);
    return { exitCode: r.exitCode, cases };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
