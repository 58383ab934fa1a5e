/**
 * `omk goal verify`: the gate wall run on demand, outside a goal's
 * lifecycle. verifyGoal runs it in a goal's repository and records the
 * evidence as a `verification_recorded` event; verifyCheckout runs it in any
 * checkout and writes an omk.verification record. Both reuse the
 * lifecycle's wall (evidence/wall.ts). docs/decisions/controller.md.
 */
import { sha256File, err, ok, type Result } from "@omk/core";
import { mkdirSync } from "node:fs";
import path from "node:path";
import {
  formatJunit,
  formatMarkdown,
  GatesError,
  type GatesEvent,
  type GatesReport,
  gatesExitCode,
  GATES_EXIT,
  loadGates,
  newRunId,
  readTreeState,
} from "@omk/gates";
import { type GateEvidence, type GoalStore, type VerificationRecord, VerificationRecordSchema, writeFileAtomicSync } from "@omk/state";
import { runLoadedWall, type WallResult } from "./evidence/wall.js";

/** The flags of a verification, parsed. */
export type VerifyInput = {
  /** Gates config file (absolute, or relative to the checkout); default .omk/gates.yaml, else detection. */
  readonly gatesConfig?: string;
  readonly only?: readonly string[];
  readonly parallelism?: number;
  /** Where to write JUnit XML and Markdown reports as well (absolute paths; they do not make the checkout dirty). */
  readonly junitFile?: string;
  readonly markdownFile?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
  /** Progress: every gates event of both trees. */
  readonly onEvent?: (event: GatesEvent) => void;
};

/**
 * Why a verification did not run, by how the caller reports it: `usage` (a
 * bad config, nothing to run, a ref that names no commit, no git checkout),
 * `infra` (git itself failed), `aborted` (the signal), `record_failed` (the
 * event could not be appended).
 */
export type VerifyProblem = { readonly code: "usage" | "infra" | "aborted" | "record_failed"; readonly message: string; readonly fix: string | undefined };

export type GoalVerification = {
  readonly goalId: string;
  readonly report: GatesReport;
  /** The `verification_recorded` event's data. */
  readonly data: {
    runId: string;
    verdict: "passed" | "failed";
    commit: string;
    dirty: boolean;
    base: { ref: string; commit: string } | null;
    gates: GateEvidence[];
    report: { path: string; sha256: string };
  };
  readonly outDir: string;
  readonly reportFile: string;
  readonly seq: number;
};

export type CheckoutVerification = { readonly report: GatesReport; readonly record: VerificationRecord; readonly outFile: string };

function writeText(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomicSync(file, text);
}

const baseOf = (report: GatesReport) =>
  report.comparison?.base.commit == null ? null : { ref: report.comparison.base.ref, commit: report.comparison.base.commit };

function gatesVerifyProblem(error: unknown): VerifyProblem {
  if (!(error instanceof GatesError)) throw error;
  if (error.code === "OMK_GATES_ABORTED") return { code: "aborted", message: error.message, fix: error.fix };
  if (gatesExitCode(error) === GATES_EXIT.usage) return { code: "usage", message: error.message, fix: error.fix ?? "see omk goal verify --help" };
  return { code: "infra", message: error.message, fix: error.fix };
}

type WallAt = { root: string; goalDir: string; outDir: string; runId: string; base?: { ref: string; explicit: boolean }; dirtyExclude?: readonly string[] };

/**
 * The wall in `at.root` with the input's flags, compared with the base when
 * one is given (an implicit base equal to a clean HEAD is skipped: nothing
 * changed); the extra reports written where asked.
 */
async function wall(at: WallAt, input: VerifyInput): Promise<Result<WallResult, VerifyProblem>> {
  const loaded = loadGates(at.root, input.gatesConfig === undefined ? {} : { config: path.resolve(at.root, input.gatesConfig) });
  if (!loaded.ok) return err(gatesVerifyProblem(loaded.error));
  const tree = await readTreeState(at.root);
  if (tree.commit === null) {
    return err({
      code: "usage",
      message: `${at.root} is not a git checkout with a commit: gate evidence must name the commit it ran on`,
      fix: "run omk goal verify in a git clone with at least one commit",
    });
  }
  const base = at.base;
  const compareWith = base !== undefined && (base.explicit || !(tree.commit === base.ref && tree.dirty === false)) ? base.ref : undefined;
  // What omk itself writes into the checkout (earlier runs' logs, the record, reports) does not make it dirty.
  const reports = [input.junitFile, input.markdownFile].flatMap((f) => (f === undefined ? [] : [f]));
  try {
    const result = await runLoadedWall(
      {
        root: at.root,
        goalDir: at.goalDir,
        outDir: at.outDir,
        runId: at.runId,
        dirtyExclude: [...(at.dirtyExclude ?? []), ...reports],
        ...(compareWith === undefined ? {} : { base: compareWith }),
        ...(input.env === undefined ? {} : { env: input.env }),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
        ...(input.onEvent === undefined ? {} : { onEvent: input.onEvent }),
        ...(input.gatesConfig === undefined ? {} : { gatesConfig: input.gatesConfig }),
        ...(input.only === undefined ? {} : { only: input.only }),
        ...(input.parallelism === undefined ? {} : { parallelism: input.parallelism }),
      },
      loaded.value,
      tree.commit,
    );
    if (input.junitFile !== undefined) writeText(input.junitFile, formatJunit(result.report));
    if (input.markdownFile !== undefined) writeText(input.markdownFile, formatMarkdown(result.report));
    return ok(result);
  } catch (error) {
    return err(gatesVerifyProblem(error));
  }
}

/**
 * Run the wall in the goal's repository (compared with `base`, else the
 * goal's base commit unless `baseline` is false), keep logs and results under
 * the goal's gates/<run-id>/, and record the evidence as a
 * `verification_recorded` event (actor user).
 */
export async function verifyGoal(
  store: GoalStore,
  goalId: string,
  input: VerifyInput & { base?: string; baseline?: boolean },
): Promise<Result<GoalVerification, VerifyProblem>> {
  const goal = await store.readGoal(goalId);
  const paths = store.paths(goalId);
  const runId = newRunId();
  const outDir = path.join(paths.gates, runId);
  const base =
    input.base !== undefined
      ? { ref: input.base, explicit: true }
      : input.baseline !== false && goal.baseCommit !== null
        ? { ref: goal.baseCommit, explicit: false }
        : undefined;
  const ran = await wall({ root: goal.repoRoot, goalDir: paths.dir, outDir, runId, ...(base === undefined ? {} : { base }) }, input);
  if (!ran.ok) return ran;
  const { report, gates, reportPath } = ran.value;
  const data = {
    runId,
    verdict: report.verdict,
    commit: report.commit as string,
    dirty: report.dirty ?? false,
    base: baseOf(report),
    gates,
    report: { path: path.relative(paths.dir, reportPath), sha256: sha256File(reportPath) },
  };
  const recorded = await store.append(goalId, () => [{ type: "verification_recorded", actor: "user", data }]);
  if (!recorded.ok) return err({ code: "record_failed", message: `recording the verification failed: ${recorded.error.message}`, fix: recorded.error.fix });
  return ok({ goalId, report, data, outDir, reportFile: reportPath, seq: recorded.value.lastSeq });
}

/**
 * Run the wall in the checkout `root` with no goal (plain CI use): the logs
 * and report.json go to `<stateRoot>/verifications/<run-id>/` (never the
 * checkout: nothing is written into the user's repository but what they ask
 * for), the omk.verification record to `outFile`.
 */
export async function verifyCheckout(
  stateRoot: string,
  root: string,
  outFile: string,
  input: VerifyInput & { base?: string },
): Promise<Result<CheckoutVerification, VerifyProblem>> {
  const runId = newRunId();
  const outDir = path.join(stateRoot, "verifications", runId);
  const at = {
    root,
    goalDir: path.dirname(outFile),
    outDir,
    runId,
    dirtyExclude: [outFile],
    ...(input.base === undefined ? {} : { base: { ref: input.base, explicit: true } }),
  };
  const ran = await wall(at, input);
  if (!ran.ok) return ran;
  const { report, gates, reportPath } = ran.value;
  const record = VerificationRecordSchema.parse({
    schemaVersion: 1,
    kind: "omk.verification",
    verdict: report.verdict,
    repo: root,
    commit: report.commit,
    dirty: report.dirty ?? false,
    base: baseOf(report),
    gates,
    report: { path: path.relative(path.dirname(outFile), reportPath), sha256: sha256File(reportPath) },
    recheck: [`omk goal verify --checkout ${root}${input.base === undefined ? "" : ` --base ${input.base}`} --out ${outFile}`],
    createdAt: new Date().toISOString(),
  });
  writeText(outFile, `${JSON.stringify(record, null, 2)}\n`);
  return ok({ report, record, outFile });
}
