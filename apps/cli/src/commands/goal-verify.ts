import path from "node:path";
import { type VerifyInput, type VerifyProblem, verifyCheckout, verifyGoal } from "@omk/proof";
import { formatText, type GatesEvent, killAllGatesNow } from "@omk/gates";
import { type Context, printJson, resolveGoalId } from "../context.js";
import { CommandFailed, UsageError } from "../errors.js";
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

/** A verification's problem as the CLI reports it, by the one exit-code table (docs/cli.md). */
function asCliError(problem: VerifyProblem): Error {
  if (problem.code === "aborted") return new CommandFailed(EXIT.cancelled, problem.message, problem.fix);
  if (problem.code === "usage") return new UsageError(problem.message, problem.fix ?? "see omk goal verify --help");
  if (problem.code === "record_failed") return new CommandFailed(EXIT.internal, problem.message, problem.fix);
  return new CommandFailed(EXIT.failedInfra, problem.message, problem.fix);
}

function progress(ctx: Context) {
  return (e: GatesEvent) => {
    const tag = "tree" in e && e.tree === "base" ? "[base] " : "";
    if (e.type === "gate_started" && e.attempt === 1) ctx.stderr(`${terminalSafe(`omk: ${tag}gate ${e.name} started`)}\n`);
    else if (e.type === "gate_finished") ctx.stderr(`${terminalSafe(`omk: ${tag}gate ${e.result.name} ${e.result.outcome}`)}\n`);
    else if (e.type === "baseline_started") ctx.stderr(`omk: running the gates on the base ${e.ref} (${e.commit.slice(0, 12)})\n`);
  };
}

/** The flags as the controller takes them (paths resolved against the current directory). */
function verifyInput(ctx: Context, opts: VerifyOptions, signal: AbortSignal): VerifyInput {
  const parallelism = opts.parallel === undefined ? undefined : Number(opts.parallel);
  if (parallelism !== undefined && !(Number.isInteger(parallelism) && parallelism >= 1 && parallelism <= 64))
    throw new UsageError(`--parallel ${opts.parallel} must be a whole number from 1 to 64`, "use e.g. --parallel 2");
  return {
    env: ctx.env,
    signal,
    onEvent: progress(ctx),
    ...(opts.config === undefined ? {} : { gatesConfig: path.resolve(ctx.cwd, opts.config) }),
    ...(opts.only === undefined
      ? {}
      : {
          only: opts.only
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== ""),
        }),
    ...(parallelism === undefined ? {} : { parallelism }),
    ...(opts.junit === undefined ? {} : { junitFile: path.resolve(ctx.cwd, opts.junit) }),
    ...(opts.markdown === undefined ? {} : { markdownFile: path.resolve(ctx.cwd, opts.markdown) }),
  };
}

/** Run `verify` with Ctrl-C stopping the gates (a second Ctrl-C kills every gate's process group now). */
async function withInterrupts<T>(verify: (signal: AbortSignal) => Promise<T>): Promise<T> {
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
  try {
    return await verify(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** `omk goal verify [id]`: run the wall in the goal's repo, keep logs and results under the goal, record the evidence as an event. */
export async function goalVerify(ctx: Context, id: string | undefined, opts: VerifyOptions): Promise<number> {
  if (opts.checkout !== undefined) return goalVerifyCheckout(ctx, id, opts);
  if (opts.out !== undefined)
    throw new UsageError(
      "--out writes the record of a verification without a goal",
      "add --checkout [dir], or drop --out (a goal keeps its record in its state)",
    );
  if (id === undefined && (await ctx.store.latestGoalId()) === undefined) {
    throw new UsageError(`no goal to verify under ${ctx.store.root}`, "verify a checkout without a goal: omk goal verify --checkout . --out proof.json");
  }
  const goalId = await resolveGoalId(ctx, id);
  const verified = await withInterrupts((signal) =>
    verifyGoal(ctx.store, goalId, {
      ...verifyInput(ctx, opts, signal),
      ...(opts.base === undefined ? {} : { base: opts.base }),
      ...(opts.baseline === undefined ? {} : { baseline: opts.baseline }),
    }),
  );
  if (!verified.ok) throw asCliError(verified.error);
  const { report, data, outDir, reportFile, seq } = verified.value;
  if (opts.json === true) printJson(ctx, { goalId, ...data, dir: outDir });
  else ctx.stdout(`${formatText(report)}recorded in goal ${goalId} (event ${seq}); report ${reportFile}\n`);
  return report.verdict === "passed" ? EXIT.ok : EXIT.notReady;
}

/**
 * `omk goal verify --checkout [dir] --out FILE`: no goal (plain CI use); the
 * record goes to FILE, the logs and report.json to the state dir.
 */
async function goalVerifyCheckout(ctx: Context, id: string | undefined, opts: VerifyOptions): Promise<number> {
  if (id !== undefined) throw new UsageError("--checkout verifies a checkout without a goal, so it takes no goal id", "drop the id, or drop --checkout");
  if (opts.out === undefined)
    throw new UsageError("--checkout needs --out FILE for the verification record", "e.g. omk goal verify --checkout . --out proof.json");
  const outFile = path.resolve(ctx.cwd, opts.out);
  const root = path.resolve(ctx.cwd, typeof opts.checkout === "string" ? opts.checkout : ".");
  const verified = await withInterrupts((signal) =>
    verifyCheckout(ctx.store.root, root, outFile, { ...verifyInput(ctx, opts, signal), ...(opts.base === undefined ? {} : { base: opts.base }) }),
  );
  if (!verified.ok) throw asCliError(verified.error);
  const { report, record } = verified.value;
  if (opts.json === true) printJson(ctx, record);
  else ctx.stdout(`${formatText(report)}verification record: ${outFile}\n`);
  return report.verdict === "passed" ? EXIT.ok : EXIT.notReady;
}
