import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { compareReports } from "./compare.js";
import { GatesGitError } from "./errors.js";
import { addWorktree, removeWorktree, resolveCommit, treeState } from "./internal/git.js";
import { newRunId, type RunGatesOptions, runGates, writeFileAtomic } from "./run.js";
import type { Comparison, GatesReport } from "./schemas/result.js";
import type { SetupOutcome } from "./schemas/setup.js";
import { prepareCheckout } from "./setup.js";

export type CompareToBaselineOptions = RunGatesOptions & {
  /** The base: a branch, tag or commit. It is checked out in a temporary worktree. */
  base: string;
  /**
   * Dependency setup of the base worktree (see prepareCheckout): where the
   * shared installs live (default `$XDG_CACHE_HOME/omk/deps`), or false to
   * run the base bare. A failed setup makes every base gate no_baseline.
   */
  baseSetup?: { cacheDir?: string } | false;
};

export type BaselineRun = { head: GatesReport; base: GatesReport; comparison: Comparison };

/**
 * Run the gates on the working tree (head) and on `base` (a detached git
 * worktree in a temporary directory, removed afterwards; no branch or index
 * of the repository changes), then compare. Builtin gates run on head only
 * (they already judge the change from `base`). The head report, with the
 * comparison and the comparison's verdict, is `outDir/report.json`; the
 * base run is under `outDir/base/`.
 */
export async function compareToBaseline(options: CompareToBaselineOptions): Promise<BaselineRun> {
  const root = path.resolve(options.root);
  const outDir = path.resolve(options.outDir);
  const state = await treeState(root);
  if (state.toplevel === null)
    throw new GatesGitError(`${root} is not in a git repository with a commit`, {
      fix: "a baseline comparison needs git: run it in a clone with at least one commit",
      reason: "no_repo",
    });
  const baseCommit = await resolveCommit(root, options.base);
  const runId = options.runId ?? newRunId();

  const head = await runGates({ ...options, root, outDir, runId, diffBase: options.diffBase ?? baseCommit, tree: "head" });

  // `<tmp>/omk-gates-base-XXXXXX/tree`, its owner's pid beside it: a run killed here leaves a folder the next goal run sweeps (@omk/worktree sweepTempCheckouts).
  const tempRoot = mkdtempSync(path.join(os.tmpdir(), "omk-gates-base-"));
  writeFileSync(path.join(tempRoot, "omk-owner.json"), `${JSON.stringify({ pid: process.pid })}\n`);
  const worktree = path.join(tempRoot, "tree");
  let base: GatesReport;
  try {
    await addWorktree(state.toplevel, worktree, baseCommit);
    const baseRoot = path.join(worktree, path.relative(state.toplevel, root));
    options.onEvent?.({ type: "baseline_started", ref: options.base, commit: baseCommit, dir: baseRoot });
    const { only: _only, ...rest } = options;
    let setup: SetupOutcome | undefined;
    if (options.baseSetup !== false) {
      setup = await prepareCheckout(baseRoot, {
        config: options.config,
        mode: "copy",
        env: options.env ?? process.env,
        ...(options.baseSetup?.cacheDir === undefined ? {} : { cacheDir: options.baseSetup.cacheDir }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.confine === undefined ? {} : { confine: options.confine }),
      });
      options.onEvent?.({ type: "setup_finished", tree: "base", setup });
    }
    const { baseSetup: _baseSetup, setup: _headSetup, ...forBase } = rest;
    const commandGates = options.config.gates.filter(
      (g) => g.builtin === undefined && (options.only === undefined || head.gates.some((h) => h.name === g.name)),
    );
    if (commandGates.length === 0) {
      base = {
        ...head,
        runId: `${runId}-base`,
        root: baseRoot,
        outDir: path.join(outDir, "base"),
        commit: baseCommit,
        dirty: false,
        gates: [],
        ...(setup === undefined ? {} : { setup }),
      };
    } else {
      base = await runGates({
        ...forBase,
        ...(setup === undefined ? {} : { setup }),
        root: baseRoot,
        outDir: path.join(outDir, "base"),
        runId: `${runId}-base`,
        config: { ...options.config, gates: commandGates.map((g) => ({ ...g, needs: g.needs.filter((n) => commandGates.some((c) => c.name === n)) })) },
        tree: "base",
      });
    }
  } finally {
    await removeWorktree(state.toplevel, worktree);
    rmSync(tempRoot, { recursive: true, force: true });
  }

  const comparison = compareReports(base, head, { baseRef: options.base, baseReport: path.join("base", "report.json") });
  const judged: GatesReport = { ...head, verdict: comparison.verdict, comparison };
  writeFileAtomic(path.join(outDir, "report.json"), `${JSON.stringify(judged, null, 2)}\n`);
  options.onEvent?.({ type: "comparison_finished", comparison });
  return { head: judged, base, comparison };
}
