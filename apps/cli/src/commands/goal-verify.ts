import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { compareToBaseline, formatJunit, formatMarkdown, formatText, GATES_EXIT, GatesError, type GatesEvent, gatesExitCode, type GatesReport, killAllGatesNow, loadGates, newRunId, readTreeState, runGates } from "@omk/gates";
import { toGateEvidence } from "@omk/controller";
import { type Context, printJson, resolveGoalId } from "../context.js";
import { CommandFailed, UsageError } from "../errors.js";
import { type VerificationRecord, VerificationRecordSchema } from "../evidence.js";
import { EXIT } from "../exit-codes.js";
import { terminalSafe } from "../render/safe.js";

export type VerifyOptions = {
  checkout?: string | boolean;
  out?: string;
  base?: string;
  baseline?: boolean;
  config?: string;
  only?: string;
  parallel?: string;
  junit?: string;
  markdown?: string;
  json?: boolean;
};

/**
 * Gate errors as the CLI reports them, by the one exit-code table
 * (docs/cli.md): a bad config, nothing to run, a ref that names no commit or
 * no git repository is a usage error (2); git itself failing is infra (6).
 */
function asCliError(error: unknown): unknown {
  if (!(error instanceof GatesError)) return error;
  if (error.code === "OMK_GATES_ABORTED") return new CommandFailed(EXIT.cancelled, error.message, error.fix);
  if (gatesExitCode(error) === GATES_EXIT.usage) return new UsageError(error.message, error.fix ?? "see omk goal verify --help");
  return new CommandFailed(EXIT.failedInfra, error.message, error.fix);
}

function progress(ctx: Context) {
  return (e: GatesEvent) => {
    const tag = "tree" in e && e.tree === "base" ? "[base] " : "";
    if (e.type === "gate_started" && e.attempt === 1) ctx.stderr(`${terminalSafe(`omk: ${tag}gate ${e.name} started`)}\n`);
    else if (e.type === "gate_finished") ctx.stderr(`${terminalSafe(`omk: ${tag}gate ${e.result.name} ${e.result.outcome}`)}\n`);
    else if (e.type === "baseline_started") ctx.stderr(`omk: running the gates on the base ${e.ref} (${e.commit.slice(0, 12)})\n`);
  };
}

/**
 * Run the wall in `root`: the gates config (or detection), compared with
 * `base` when one is given (an implicit base equal to a clean HEAD is
 * skipped: nothing changed). Ctrl-C kills every gate's process group.
 */
async function runWall(ctx: Context, root: string, outDir: string, runId: string, base: { ref: string; explicit: boolean } | undefined, opts: VerifyOptions, dirtyExclude: readonly string[] = []): Promise<GatesReport> {
  const loaded = loadGates(root, opts.config === undefined ? {} : { config: path.resolve(ctx.cwd, opts.config) });
  if (!loaded.ok) throw asCliError(loaded.error);
  const tree = await readTreeState(root);
  if (tree.commit === null) throw new UsageError(`${root} is not a git checkout with a commit: gate evidence must name the commit it ran on`, "run omk goal verify in a git clone with at least one commit");
  const compareWith = base !== undefined && (base.explicit || !(tree.commit === base.ref && tree.dirty === false)) ? base.ref : undefined;
  const parallelism = opts.parallel === undefined ? undefined : Number(opts.parallel);
  if (parallelism !== undefined && !(Number.isInteger(parallelism) && parallelism >= 1 && parallelism <= 64)) throw new UsageError(`--parallel ${opts.parallel} must be a whole number from 1 to 64`, "use e.g. --parallel 2");
  const controller = new AbortController();
  let interrupted = 0;
  const onSignal = () => {
    interrupted++;
    if (interrupted === 1) return controller.abort();
    // A second signal: the gates' groups are detached, so kill them now (the graceful stop would never reach its SIGKILL).
    killAllGatesNow();
    process.exit(EXIT.cancelled);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const common = {
    root,
    config: loaded.value.config,
    configSource: loaded.value.source,
    outDir,
    runId,
    env: ctx.env,
    signal: controller.signal,
    onEvent: progress(ctx),
    // What omk itself writes into the checkout (earlier runs' logs, the record, reports) does not make it dirty.
    dirtyExclude: [...dirtyExclude, ...[opts.junit, opts.markdown].flatMap((f) => (f === undefined ? [] : [path.resolve(ctx.cwd, f)]))],
    ...(opts.only === undefined ? {} : { only: opts.only.split(",").map((s) => s.trim()).filter((s) => s !== "") }),
    ...(parallelism === undefined ? {} : { parallelism }),
  };
  try {
    const report = compareWith === undefined ? await runGates(common) : (await compareToBaseline({ ...common, base: compareWith })).head;
    writeFileSync(path.join(outDir, "report.md"), formatMarkdown(report));
    if (opts.junit !== undefined) writeText(path.resolve(ctx.cwd, opts.junit), formatJunit(report));
    if (opts.markdown !== undefined) writeText(path.resolve(ctx.cwd, opts.markdown), formatMarkdown(report));
    return report;
  } catch (error) {
    throw asCliError(error);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function writeText(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

const sha256File = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const baseOf = (report: GatesReport) => (report.comparison?.base.commit == null ? null : { ref: report.comparison.base.ref, commit: report.comparison.base.commit });

/** `omk goal verify [id]`: run the wall in the goal's repo, keep logs and results under the goal, record the evidence as an event. */
export async function goalVerify(ctx: Context, id: string | undefined, opts: VerifyOptions): Promise<number> {
  if (opts.checkout !== undefined) return verifyCheckout(ctx, id, opts);
  if (opts.out !== undefined) throw new UsageError("--out writes the record of a verification without a goal", "add --checkout [dir], or drop --out (a goal keeps its record in its state)");
  if (id === undefined && (await ctx.store.latestGoalId()) === undefined) {
    throw new UsageError(`no goal to verify under ${ctx.store.root}`, "verify a checkout without a goal: omk goal verify --checkout . --out proof.json");
  }
  const goalId = await resolveGoalId(ctx, id);
  const goal = await ctx.store.readGoal(goalId);
  const paths = ctx.store.paths(goalId);
  const runId = newRunId();
  const outDir = path.join(paths.gates, runId);
  const base = opts.base !== undefined ? { ref: opts.base, explicit: true } : opts.baseline !== false && goal.baseCommit !== null ? { ref: goal.baseCommit, explicit: false } : undefined;
  const report = await runWall(ctx, goal.repoRoot, outDir, runId, base, opts);
  const gates = toGateEvidence(report, paths.dir);
  const reportFile = path.join(outDir, "report.json");
  const data = {
    runId,
    verdict: report.verdict,
    commit: report.commit as string,
    dirty: report.dirty ?? false,
    base: baseOf(report),
    gates,
    report: { path: path.relative(paths.dir, reportFile), sha256: sha256File(reportFile) },
  };
  const recorded = await ctx.store.append(goalId, () => [{ type: "verification_recorded", actor: "user", data }]);
  if (!recorded.ok) throw new CommandFailed(EXIT.internal, `recording the verification failed: ${recorded.error.message}`, recorded.error.fix);
  if (opts.json === true) printJson(ctx, { goalId, ...data, dir: outDir });
  else ctx.stdout(`${formatText(report)}recorded in goal ${goalId} (event ${recorded.value.lastSeq}); report ${reportFile}\n`);
  return report.verdict === "passed" ? EXIT.ok : EXIT.notReady;
}

/**
 * `omk goal verify --checkout [dir] --out FILE`: no goal (plain CI use); the
 * record goes to FILE (where asked), the logs and report.json to the state
 * dir, `verifications/<run-id>/` (never the checkout: nothing is written into
 * the user's repository but what they ask for).
 */
async function verifyCheckout(ctx: Context, id: string | undefined, opts: VerifyOptions): Promise<number> {
  if (id !== undefined) throw new UsageError("--checkout verifies a checkout without a goal, so it takes no goal id", "drop the id, or drop --checkout");
  if (opts.out === undefined) throw new UsageError("--checkout needs --out FILE for the verification record", "e.g. omk goal verify --checkout . --out proof.json");
  const outFile = path.resolve(ctx.cwd, opts.out);
  const root = path.resolve(ctx.cwd, typeof opts.checkout === "string" ? opts.checkout : ".");
  const runId = newRunId();
  const outDir = path.join(ctx.store.root, "verifications", runId);
  const report = await runWall(ctx, root, outDir, runId, opts.base === undefined ? undefined : { ref: opts.base, explicit: true }, opts, [outFile]);
  const reportFile = path.join(outDir, "report.json");
  const record: VerificationRecord = VerificationRecordSchema.parse({
    schemaVersion: 1,
    kind: "omk.verification",
    verdict: report.verdict,
    repo: root,
    commit: report.commit,
    dirty: report.dirty ?? false,
    base: baseOf(report),
    gates: toGateEvidence(report, path.dirname(outFile)),
    report: { path: path.relative(path.dirname(outFile), reportFile), sha256: sha256File(reportFile) },
    recheck: [`omk goal verify --checkout ${root}${opts.base === undefined ? "" : ` --base ${opts.base}`} --out ${outFile}`],
    createdAt: new Date().toISOString(),
  });
  writeText(outFile, `${JSON.stringify(record, null, 2)}\n`);
  if (opts.json === true) printJson(ctx, record);
  else ctx.stdout(`${formatText(report)}verification record: ${outFile}\n`);
  return report.verdict === "passed" ? EXIT.ok : EXIT.notReady;
}
