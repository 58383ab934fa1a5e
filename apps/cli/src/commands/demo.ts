import { existsSync, mkdtempSync, renameSync } from "node:fs";
import { cp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { RunConfinement } from "@omk/controller";
import { openStore } from "@omk/state";
import { probeConfinement } from "@omk/wire";
import { initRepoWithCommit } from "@omk/worktree";
import { DEFAULT_LIMITS } from "../args.js";
import type { Context } from "../context.js";
import { CommandFailed } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { printable, shellWord } from "../invocation.js";
import { findExampleDir } from "../shipped.js";

/** The demo's goal: a feature (acceptance tests tagged [oracle:acceptance-tests], the test gate, a review). */
export const DEMO_GOAL = "Add slugify and title-case helpers to textkit";

/** A fixed identity for the demo's one commit, whatever the user's git config says. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: "omk demo",
  GIT_AUTHOR_EMAIL: "demo@omk.invalid",
  GIT_COMMITTER_NAME: "omk demo",
  GIT_COMMITTER_EMAIL: "demo@omk.invalid",
};

export type DemoOptions = { json?: boolean; plain?: boolean; unconfined?: boolean };

/**
 * The demo's sandbox: bubblewrap where it can run. Where it cannot (no bwrap,
 * no user namespaces) the demo still runs, unconfined, saying so: its agent is
 * OMK's own scripted engine playing the shipped script, not a model, and the
 * README promises the demo on a machine with only Node and git. A real goal on
 * such a machine is refused (exit 9) unless --unconfined; proof.json records
 * `unconfined` either way.
 */
async function demoConfinement(ctx: Context, opts: DemoOptions): Promise<RunConfinement> {
  if (opts.unconfined === true) return { mode: "unconfined" };
  const probe = await probeConfinement(ctx.env);
  if (probe.ok) return { mode: "bwrap", bwrap: probe.value.bwrap };
  ctx.stderr(
    `omk demo: no sandbox here (${probe.error.message}); the demo's agent is OMK's scripted engine, so it runs unconfined (recorded in proof.json). A real goal here needs the fix or --unconfined — fix: ${probe.error.fix ?? "install bubblewrap"}\n`,
  );
  return { mode: "unconfined" };
}

export { findExampleDir };

/**
 * `omk demo`: copies the example project to a temporary directory, makes it
 * a git repository with one commit, creates the demo goal there and runs it
 * to the end with the scripted engine (`omk goal run --until-ready`): two
 * tasks in parallel, a gate failing in round 1, the follow-up `fix-r2` in
 * round 2, ready with a proof. The state lives in the temporary directory
 * unless OMK_STATE_DIR is set.
 */
export async function demo(ctx: Context, opts: DemoOptions = {}): Promise<number> {
  const example = findExampleDir();
  if (example === undefined) {
    throw new CommandFailed(
      EXIT.failedInfra,
      "the demo's example project is missing from this installation of omk",
      "reinstall omk (npm i -g omk); the package ships examples/demo",
    );
  }
  const root = mkdtempSync(path.join(os.tmpdir(), "omk-demo-"));
  const repo = path.join(root, "textkit");
  const script = path.join(root, "script.yaml");
  await cp(path.join(example, "repo"), repo, { recursive: true });
  await cp(path.join(example, "script.yaml"), script);
  // npm never packs a file named .gitignore, so the example ships it without the dot.
  if (existsSync(path.join(repo, "gitignore"))) renameSync(path.join(repo, "gitignore"), path.join(repo, ".gitignore"));
  const committed = await initRepoWithCommit(repo, { branch: "main", message: "textkit: truncate", env: GIT_ENV });
  if (!committed.ok) throw new CommandFailed(EXIT.failedInfra, committed.error.message, "check that git works (omk doctor)");
  const base = committed.value;

  const explicitState = (ctx.env["OMK_STATE_DIR"] ?? "").trim() !== "";
  const store = explicitState ? ctx.store : openStore({ root: path.join(root, "state") });
  const created = await store.createGoal({
    text: DEMO_GOAL,
    repoRoot: repo,
    baseCommit: base,
    constraints: [],
    terminalCriteria: [],
    limits: DEFAULT_LIMITS,
    maxAgents: 2,
  });
  if (!created.ok) throw new CommandFailed(EXIT.internal, `the demo goal could not be created: ${created.error.message}`);
  const goalId = created.value.id;
  // With --json, stdout carries only the controller's events: the demo's own lines go to stderr.
  const say = (line: string) => (opts.json === true ? ctx.stderr : ctx.stdout)(`${line}\n`);
  say(`omk demo: a real goal on a copy of the example project, played by the scripted engine`);
  say(`  repository  ${repo} (base ${base.slice(0, 12)})`);
  say(`  state       ${store.root}`);
  say(`  script      ${script}`);
  say(`  goal        "${DEMO_GOAL}"`);

  // Loaded on use, like the other commands that pull in the controller.
  const { driveGoal } = await import("./drive.js");
  const runCtx: Context = { ...ctx, store, cwd: repo };
  // The demo's state dir is its own (unless OMK_STATE_DIR is set, which printable names by itself): every printed `omk …` command names it, so it runs as printed.
  const prefix = explicitState ? undefined : `OMK_STATE_DIR=${shellWord(store.root)} `;
  const confinement = await demoConfinement(ctx, opts);
  const code = await driveGoal(runCtx, goalId, {
    engine: "scripted",
    script,
    untilReady: true,
    json: opts.json,
    plain: opts.plain,
    confinement,
    commandPrefix: prefix,
  });

  // driveGoal printed the status, the proof (or failure) path and what to do next; add where the demo's things are.
  say("");
  say(`demo ${code === EXIT.ok ? "finished" : `stopped (exit ${code})`}; everything is under ${root}`);
  say(`  the code:  git -C ${shellWord(repo)} log --oneline --all`);
  say(`  the goal:  ${printable(`omk goal show ${goalId}`, { prefix })}`);
  if (existsSync(store.paths(goalId).proof)) say(`  re-check:  ${printable(`omk proof verify ${shellWord(store.paths(goalId).proof)}`, { prefix })}`);
  return code;
}
