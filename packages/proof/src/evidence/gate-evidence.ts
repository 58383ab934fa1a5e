import path from "node:path";
import { type GateResult, type GatesReport, loadGates } from "@omk/gates";
import type { JunitCase } from "@omk/oracle";
import { type GateDescriptor, type GateEvidence, GateEvidenceSchema } from "@omk/state";
import { type Result, err, ok } from "@omk/core";
import type { ProofProblem } from "../types.js";
import { gatesProblem } from "./problem.js";

type Baseline = GateEvidence["baseline"];

/**
 * One gate result as the proof's view of it. Log paths are made relative to
 * `relativeTo` (the goal dir, or the directory of a proof file), so the
 * record stays valid when the folder moves.
 */
export function gateResultEvidence(
  gate: GateResult,
  run: { outDir: string; commit: string; dirty: boolean },
  relativeTo: string,
  baseline?: Baseline,
): GateEvidence {
  const rel = (file: string) => path.relative(relativeTo, path.join(run.outDir, file));
  return GateEvidenceSchema.parse({
    name: gate.name,
    kind: gate.kind,
    required: gate.required,
    command: gate.command,
    cwd: gate.cwd,
    outcome: gate.outcome,
    exitCode: gate.exitCode,
    signal: gate.signal,
    durationMs: gate.durationMs,
    logs: [gate.logs.stdout, gate.logs.stderr, ...(gate.junit === undefined ? [] : [gate.junit])].map((log) => ({
      path: rel(log.path),
      sha256: log.sha256,
      bytes: log.bytes,
    })),
    commit: gate.commit ?? run.commit,
    dirty: gate.dirty ?? run.dirty,
    ...(baseline === undefined ? {} : { baseline }),
    toolVersions: gate.toolVersions,
  } satisfies GateEvidence);
}

/**
 * The one mapping from @omk/gates results to the proof's view of a gate
 * (`GateEvidence`), with the baseline status of each gate when the report
 * holds a comparison. A report with no commit (not a git checkout) has no
 * evidence to give: an empty list (runWall refuses such a checkout first).
 */
export function toGateEvidence(report: GatesReport, goalDir: string): GateEvidence[] {
  const commit = report.commit;
  if (commit === null) return [];
  const judged = new Map((report.comparison?.gates ?? []).map((g) => [g.name, g.status]));
  return report.gates.map((gate) => gateResultEvidence(gate, { outDir: report.outDir, commit, dirty: report.dirty ?? false }, goalDir, judged.get(gate.name)));
}

/**
 * A gates test case id is `classname::name` (`#n` for a repeated id). The
 * split is at the last `::` (class names such as Rust modules hold `::`
 * more often than test names do).
 */
function splitCaseId(id: string): { classname: string; name: string } {
  const at = id.lastIndexOf("::");
  if (at < 0) return { classname: "", name: id };
  const name = id.slice(at + 2);
  return name === "" ? { classname: "", name: id } : { classname: id.slice(0, at), name };
}

/** JUnit cases of gate results, in the oracle's shape. A flaky case (failed, then passed on a retry) is not a pass: failed. */
export function junitCasesOfGates(gates: readonly GateResult[]): JunitCase[] {
  return gates.flatMap((gate) =>
    (gate.tests ?? []).map(
      (c): JunitCase => ({ ...splitCaseId(c.id), status: c.outcome === "passed" ? "passed" : c.outcome === "skipped" ? "skipped" : "failed" }),
    ),
  );
}

/** The JUnit cases of every gate of a gates report (the tests this commit ran on its own code). */
export function junitCasesOf(report: GatesReport): JunitCase[] {
  return junitCasesOfGates(report.gates);
}

/** The gates of a checkout (its config file, else detection) as data for planner and oracle. */
export function gateDescriptors(root: string, gatesConfig?: string): Result<GateDescriptor[], ProofProblem> {
  const loaded = loadGates(root, gatesConfig === undefined ? {} : { config: path.resolve(root, gatesConfig) });
  if (!loaded.ok) return err(gatesProblem(loaded.error));
  return ok(
    loaded.value.config.gates.map((g) => ({
      name: g.name,
      kind: g.kind,
      required: g.required,
      command: g.builtin !== undefined ? [`builtin:${g.builtin}`] : Array.isArray(g.command) ? [...g.command] : [g.command as string],
    })),
  );
}
