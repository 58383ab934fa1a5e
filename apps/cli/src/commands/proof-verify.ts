import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { type ProofCheck, type ProofProblem, verifyProof } from "@omk/proof";
import type { Result } from "@omk/core";
import { probeConfinement } from "@omk/wire";
import { type Context, printJson } from "../context.js";
import { terminalSafe } from "../render/safe.js";
import { CommandFailed, UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { createPlainSink } from "../render/live/plain.js";

/** Problems that are a verdict (the proof was not made against the oracle beside it): exit 1, not bad input. */
const BROKEN = new Set(["oracle_tampered", "oracle_mismatch"]);
/** Problems of the machine (git, processes, the file system), not of the proof or the input: exit 6. Every other problem is the user's to fix: exit 2. */
const INFRA = new Set(["infra", "infra_error"]);

/** The proof file to check: the path given (a file, or a goal dir holding proof.json), else the latest goal's. */
async function proofFileOf(ctx: Context, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    const file = path.resolve(ctx.cwd, given);
    if (!existsSync(file)) throw new UsageError(`${file} does not exist`, "pass the path of a proof.json (omk goal proof <id> shows where it is)");
    if (statSync(file).isDirectory()) {
      const inside = path.join(file, "proof.json");
      if (!existsSync(inside)) throw new UsageError(`${file} holds no proof.json`, "pass the path of a proof.json, or a goal dir that has one");
      return inside;
    }
    return file;
  }
  const latest = await ctx.store.latestGoalId();
  if (latest === undefined)
    throw new UsageError(`no goals under ${ctx.store.root}, so no proof to verify`, "pass the path of a proof.json: omk proof verify path/to/proof.json");
  const paths = ctx.store.paths(latest);
  if (!existsSync(paths.proof)) {
    const goal = await ctx.store.readGoal(latest);
    throw new UsageError(
      `the latest goal ${latest} has no proof.json (status ${goal.status})`,
      `pass the path of a proof.json, or run the goal to ready: omk goal run ${latest} --until-ready`,
    );
  }
  return paths.proof;
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

/** `omk proof verify [path]`: re-run the proof's gates and oracle checks on a clean checkout of its head; exit 0 when the verdict holds, 1 when not. */
export async function proofVerify(ctx: Context, given: string | undefined, opts: { json?: boolean; repo?: string }): Promise<number> {
  const proofFile = await proofFileOf(ctx, given);
  let repo: string | undefined;
  if (opts.repo !== undefined) {
    repo = path.resolve(ctx.cwd, opts.repo);
    if (!existsSync(repo) || !statSync(repo).isDirectory())
      throw new UsageError(`--repo ${repo} is not a directory`, "pass the repository (a git checkout) that holds the proof's commits");
  }
  // The re-run runs the agent's code (setup, gates, oracle checks): in the agents' sandbox when this machine has one (docs/decisions/confinement.md).
  const probe = await probeConfinement(ctx.env);
  if (!probe.ok) ctx.stderr(`omk: ${probe.error.message}: the proof's setup, gates and checks run unconfined (fix: ${probe.error.fix})\n`);
  const confinement = probe.ok ? { mode: "bwrap" as const, bwrap: probe.value.bwrap } : { mode: "unconfined" as const };
  const abort = new AbortController();
  const onSignal = () => abort.abort("interrupted");
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let checked: Result<ProofCheck, ProofProblem>;
  try {
    checked = await verifyProof({
      proofFile,
      ...(repo === undefined ? {} : { repo }),
      store: ctx.store,
      env: ctx.env,
      confinement,
      signal: abort.signal,
      onEvent: createPlainSink(ctx.stderr, ctx.now),
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (!checked.ok) {
    const { code, message, fix } = checked.error;
    if (abort.signal.aborted || code === "aborted")
      throw new CommandFailed(EXIT.cancelled, `verification of ${proofFile} interrupted`, `run it again: omk proof verify ${proofFile}`);
    if (BROKEN.has(code)) {
      if (opts.json === true) printJson(ctx, { proofFile, holds: false, problems: [message] });
      else ctx.stdout(`${terminalSafe(`the proof does not hold: ${message}`)}\n`);
      return EXIT.notReady;
    }
    // The proof file, its oracle, its evidence or its repository are not usable (exit 2 with the fix); git or process trouble is infra (exit 6).
    throw new CommandFailed(INFRA.has(code) ? EXIT.failedInfra : EXIT.usage, message, fix);
  }
  const check = checked.value;
  if (opts.json === true) {
    printJson(ctx, { proofFile, ...check });
    return check.holds ? EXIT.ok : EXIT.notReady;
  }
  const mark = (holds: boolean) => (holds ? "holds" : "DOES NOT HOLD");
  const rows = [
    ...check.gates.map((g) => [`gate ${g.name}`, g.recorded, g.now, mark(g.holds)]),
    ...check.criteria.map((c) => [`criterion ${c.id}`, c.recorded, c.now, mark(c.holds)]),
  ];
  const lines = [`proof ${proofFile}`, `head  ${check.headCommit}`, "", ...table(["check", "recorded", "now", ""], rows), ""];
  if (check.holds) lines.push("the proof holds");
  else {
    const failing = [
      ...check.gates.filter((g) => !g.holds).map((g) => `gate ${g.name} was ${g.recorded}, now ${g.now}`),
      ...check.criteria.filter((c) => !c.holds).map((c) => `criterion ${c.id} was ${c.recorded}, now ${c.now}`),
      ...check.problems,
    ];
    lines.push(`the proof does not hold: ${failing.join("; ") || "see above"}`);
  }
  ctx.stdout(`${lines.map(terminalSafe).join("\n")}\n`);
  return check.holds ? EXIT.ok : EXIT.notReady;
}
