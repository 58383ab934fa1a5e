import path from "node:path";
import { redactedFilesFor } from "../internal/redacted-files.js";
import {
  compareToBaseline,
  type ConfineCommand,
  formatMarkdown,
  type GatesEvent,
  type GatesReport,
  type LoadedGates,
  loadGates,
  readTreeState,
  runGates,
  type SetupOutcome,
} from "@omk/gates";
import type { GateEvidence } from "@omk/state";
import { type Result, err, ok } from "@omk/core";
import type { ProofProblem } from "../types.js";
import { gateResultEvidence, toGateEvidence } from "./gate-evidence.js";
import { gatesProblem, problem } from "./problem.js";

export type RunWallInput = {
  /** The checkout the gates run in (a git checkout with a commit). */
  readonly root: string;
  /** Log paths in the returned evidence are relative to it. */
  readonly goalDir: string;
  /** report.json, report.md and logs go here. */
  readonly outDir: string;
  readonly runId: string;
  /** Compare with this commit (or ref): each gate gets its baseline status; the verdict is the comparison's. */
  readonly base?: string;
  readonly signal?: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Each head gate as it finishes (its baseline status is only in the returned `gates`). */
  readonly onGate?: (gate: GateEvidence) => void;
  /** Gates config file (relative to root or absolute); default .omk/gates.yaml, else detection. */
  readonly gatesConfig?: string;
  /** Paths inside the checkout that do not make it dirty (omk's own output). */
  readonly dirtyExclude?: readonly string[];
  /** The dependency setup made in `root` (recorded in the report). */
  readonly setup?: SetupOutcome;
  /** The shared dependency cache the base worktree of a comparison installs from (default `$XDG_CACHE_HOME/omk/deps`). */
  readonly depsCache?: string;
  /** The sandbox of the gate commands and the base's setup (checkoutConfinement); undefined: unconfined. */
  readonly confine?: ConfineCommand;
  /** Every gates event (progress of both trees), besides onGate. */
  readonly onEvent?: (event: GatesEvent) => void;
  /** Run only these gates (by name). */
  readonly only?: readonly string[];
  /** How many gates run at once. */
  readonly parallelism?: number;
};

export type WallResult = { report: GatesReport; gates: GateEvidence[]; reportPath: string; verdict: "passed" | "failed" };

/**
 * The gate wall in a checkout: its gates config (or detection), compared with
 * `base` when given, report.json + report.md under outDir, each gate mapped to
 * GateEvidence. A bad config is `gates_config`, nothing to run `no_gates`,
 * git trouble `infra`, an abort `aborted`. Failing gates are not problems:
 * they are the verdict.
 */
export async function runWall(input: RunWallInput): Promise<Result<WallResult, ProofProblem>> {
  const root = path.resolve(input.root);
  const loaded = loadGates(root, input.gatesConfig === undefined ? {} : { config: path.resolve(root, input.gatesConfig) });
  if (!loaded.ok) return err(gatesProblem(loaded.error));
  const tree = await readTreeState(root);
  if (tree.commit === null) {
    return err(
      problem("infra", `${root} is not a git checkout with a commit: gate evidence must name the commit it ran on`, "run the gates in a git checkout"),
    );
  }
  try {
    return ok(await runLoadedWall(input, loaded.value, tree.commit));
  } catch (error) {
    return err(gatesProblem(error));
  }
}

/**
 * The wall's run once its config is loaded and the checkout's commit known:
 * throws what the gates throw (runWall turns that into a problem; verifyGoal
 * into its own, keeping the gates' usage/infra split).
 */
export async function runLoadedWall(input: RunWallInput, loaded: LoadedGates, commit: string): Promise<WallResult> {
  const root = path.resolve(input.root);
  const outDir = path.resolve(input.outDir);
  const onEvent = (e: GatesEvent) => {
    input.onEvent?.(e);
    if (input.onGate === undefined || e.type !== "gate_finished" || e.tree !== "head") return;
    input.onGate(gateResultEvidence(e.result, { outDir, commit, dirty: e.result.dirty ?? false }, input.goalDir));
  };
  const common = {
    root,
    config: loaded.config,
    configSource: loaded.source,
    outDir,
    runId: input.runId,
    env: { ...(input.env ?? process.env) },
    onEvent,
    dirtyExclude: [...(input.dirtyExclude ?? [])],
    ...(input.setup === undefined ? {} : { setup: input.setup }),
    ...(input.signal === undefined ? {} : { signal: input.signal }),
    ...(input.confine === undefined ? {} : { confine: input.confine }),
    ...(input.only === undefined ? {} : { only: [...input.only] }),
    ...(input.parallelism === undefined ? {} : { parallelism: input.parallelism }),
  };
  const report =
    input.base === undefined
      ? await runGates(common)
      : (await compareToBaseline({ ...common, base: input.base, baseSetup: input.depsCache === undefined ? {} : { cacheDir: input.depsCache } })).head;
  redactedFilesFor(common.env).write(path.join(outDir, "report.md"), formatMarkdown(report));
  return { report, gates: toGateEvidence(report, input.goalDir), reportPath: path.join(outDir, "report.json"), verdict: report.verdict };
}
