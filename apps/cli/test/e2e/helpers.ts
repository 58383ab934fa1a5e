// Shared helpers of the end-to-end tests: run the built `omk` binary on a fixture repo with the
// scripted engine, read a goal's event log and outcome files, wait for events, kill the controller,
// and check that no task commit was lost.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EventSchema, type EventType, type Failure, FailureSchema, type GoalEvent, goalPaths, type Proof, ProofSchema } from "@omk/state";
import { cleanupTempDirs, gitIn, makeTempDir, omkBinPath, type OmkRun } from "@omk/test-fixtures";
import { execa } from "execa";
import { type ScriptBook, writeBook } from "./books.js";
import { greeterRepo } from "./repo.js";

/** Exit codes of `omk` by goal status (the CLI's contract). */
export const EXIT_BY_STATUS = { ready: 0, not_ready: 1, blocked_on_human: 3, needs_more_budget: 4, failed_infra: 6, cancelled: 7, paused: 8 } as const;

/** One end-to-end world: a fresh fixture repository and a state dir of its own. */
export type World = {
  repo: string;
  base: string;
  stateDir: string;
  /** Where the script books go. */
  booksDir: string;
  /** Runs `omk <args>` to completion in the repository. */
  omk: (...args: string[]) => Promise<OmkRun>;
  /** Starts `omk <args>` as the leader of its own process group (so the whole controller tree can be killed). */
  start: (...args: string[]) => Started;
  book: (name: string, book: ScriptBook) => string;
};

export type Started = {
  pid: number | undefined;
  output: () => string;
  /** SIGKILL the whole process group: the controller and every child that did not start a group of its own. */
  killGroup: () => void;
  done: Promise<OmkRun>;
};

const BASE_ENV = { NO_COLOR: "1", CI: "true" };
const HERE = path.dirname(fileURLToPath(import.meta.url));

let snapshot: string | undefined;

/**
 * The built binary, copied once per test file with its dist folder (bin.js, its chunks and
 * scripted-agent.js) into a folder beside this file (so its bare imports still resolve from
 * apps/cli/node_modules): other test runs of this package rebuild dist/ while these long tests run,
 * and a half-written dist must not fail a run halfway. Removed by cleanupE2e.
 */
export function omkBin(): Promise<string> {
  copying ??= copyDist();
  return copying;
}
let copying: Promise<string> | undefined;

async function copyDist(): Promise<string> {
  const dist = path.dirname(omkBinPath);
  for (let tries = 0; ; tries++) {
    const dir = mkdtempSync(path.join(HERE, ".dist-"));
    try {
      cpSync(dist, dir, { recursive: true });
      const files = readdirSync(dir).filter((f) => f.endsWith(".js"));
      const wanted = files.flatMap((f) => [...readFileSync(path.join(dir, f), "utf8").matchAll(/["']\.\/([\w.-]+\.js)["']/gu)].map((m) => m[1] ?? ""));
      if (files.includes("bin.js") && files.includes("scripted-agent.js") && wanted.every((f) => files.includes(f))) {
        snapshot = dir;
        return path.join(dir, "bin.js");
      }
    } catch {
      // dist/ changed while copying: try again
    }
    rmSync(dir, { recursive: true, force: true });
    if (tries >= 60) throw new Error(`no complete build of omk in ${dist}: run tsup in apps/cli`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Removes the temporary dirs and the binary's snapshot (call in afterAll). */
export function cleanupE2e(): void {
  cleanupTempDirs();
  if (snapshot !== undefined) rmSync(snapshot, { recursive: true, force: true });
  snapshot = undefined;
  copying = undefined;
}

/** Runs the built binary to completion (as @omk/test-fixtures' runOmk, on the snapshot). */
async function runBin(args: string[], options: { stateDir: string; cwd: string }): Promise<OmkRun> {
  const result = await execa(process.execPath, [await omkBin(), ...args], {
    reject: false,
    cwd: options.cwd,
    env: { ...BASE_ENV, OMK_STATE_DIR: options.stateDir },
    stdin: "ignore",
  });
  const stdout = String(result.stdout);
  return { exitCode: result.exitCode ?? -1, stdout, stderr: String(result.stderr), json: () => JSON.parse(stdout) };
}

export async function newWorld(): Promise<World> {
  const bin = await omkBin();
  const { repo, base } = await greeterRepo();
  const stateDir = makeTempDir("omk-e2e-state-");
  const booksDir = makeTempDir("omk-e2e-books-");
  const env = { ...BASE_ENV, OMK_STATE_DIR: stateDir };
  return {
    repo,
    base,
    stateDir,
    booksDir,
    omk: (...args) => runBin(args, { stateDir, cwd: repo }),
    start: (...args) => {
      const child = execa(process.execPath, [bin, ...args], { reject: false, detached: true, cwd: repo, env, stdin: "ignore", all: true });
      let out = "";
      child.all?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      const done = child.then((r) => ({
        exitCode: r.exitCode ?? -1,
        stdout: String(r.stdout),
        stderr: String(r.stderr),
        json: () => JSON.parse(String(r.stdout)),
      }));
      return {
        pid: child.pid,
        output: () => out,
        killGroup: () => {
          if (child.pid !== undefined) {
            try {
              process.kill(-child.pid, "SIGKILL");
            } catch {
              // already gone
            }
          }
        },
        done,
      };
    },
    book: (name, book) => writeBook(booksDir, name, book),
  };
}

/** The args that select the scripted engine with a book. */
export const scripted = (bookFile: string) => ["--engine", "scripted", "--script", bookFile];

/** The goal id `omk goal run` printed on its first line (`goal <id>`). */
export function goalIdOf(stdout: string): string {
  const m = /^goal (\S+)$/mu.exec(stdout);
  if (m?.[1] === undefined) throw new Error(`no "goal <id>" line in the output:\n${stdout}`);
  return m[1];
}

/** The only goal of a state dir (the kill tests cannot read stdout of a killed run reliably). */
export function onlyGoalId(stateDir: string): string | undefined {
  const dir = path.join(stateDir, "goals");
  if (!existsSync(dir)) return undefined;
  const ids = readdirSync(dir).filter((name) => !name.startsWith("."));
  return ids.length === 1 ? ids[0] : undefined;
}

export const goalDirOf = (stateDir: string, goalId: string) => goalPaths(stateDir, goalId).dir;

/** The goal's events, parsed; a torn last line (a killed writer) is left out. */
export function readEvents(stateDir: string, goalId: string): GoalEvent[] {
  const file = goalPaths(stateDir, goalId).events;
  if (!existsSync(file)) return [];
  const events: GoalEvent[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      events.push(EventSchema.parse(JSON.parse(line)));
    } catch {
      // a partial line or an event this test build does not know
    }
  }
  return events;
}

export function eventsOf<T extends EventType>(events: readonly GoalEvent[], type: T): Extract<GoalEvent, { type: T }>[] {
  return events.filter((e): e is Extract<GoalEvent, { type: T }> => e.type === type);
}

/** Polls the event log of the state dir's only goal until `match` holds; returns the goal id and the event. */
export async function waitForEvent(
  stateDir: string,
  match: (e: GoalEvent) => boolean,
  options: { timeoutMs?: number; started?: Started; what?: string } = {},
): Promise<{ goalId: string; event: GoalEvent }> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000); // generous: the callers' tests allow 150 s and more
  let exited = false;
  options.started?.done.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    const goalId = onlyGoalId(stateDir);
    if (goalId !== undefined) {
      const event = readEvents(stateDir, goalId).find(match);
      if (event !== undefined) return { goalId, event };
    }
    if (exited) break;
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  const goalId = onlyGoalId(stateDir);
  const seen = goalId === undefined ? [] : readEvents(stateDir, goalId).map((e) => e.type);
  throw new Error(
    `${exited ? "omk exited" : "timed out"} before ${options.what ?? "the awaited event"}; events: ${seen.join(", ")}\n${options.started?.output() ?? ""}`,
  );
}

export function readProof(file: string): Proof {
  return ProofSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

export function readFailure(file: string): Failure {
  return FailureSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

/** The `proof: <path>` or `failure: <path>` line of `omk goal run` (plain mode). */
export function outcomePathOf(stdout: string, kind: "proof" | "failure"): string {
  const m = new RegExp(`^${kind}: (.+)$`, "mu").exec(stdout);
  if (m?.[1] === undefined) throw new Error(`no "${kind}: <path>" line in the output:\n${stdout}`);
  return m[1].trim();
}

/** The `status: <status>` line of `omk goal run` (plain mode). */
export function statusOf(stdout: string): string | undefined {
  return /^status: (\S+)/mu.exec(stdout)?.[1];
}

/** What `omk goal show --json` says of the goal. */
export async function showGoal(world: World, goalId: string): Promise<{ status: string; phase: string | null; outcome: unknown }> {
  const shown = await world.omk("goal", "show", goalId, "--json");
  if (shown.exitCode !== 0) throw new Error(`omk goal show failed (${shown.exitCode}): ${shown.stderr}`);
  return shown.json() as { status: string; phase: string | null; outcome: unknown };
}

/** The omk branches of a goal in the repository (omk/<goal>/...). */
export async function branchesOf(repo: string, goalId: string): Promise<string[]> {
  const out = await gitIn(repo, "for-each-ref", "--format=%(refname:short)", `refs/heads/omk/${goalId}/`);
  return out.split("\n").filter((l) => l !== "");
}

/** The integration branch's head, or undefined when it does not exist. */
export async function integrationHead(repo: string, goalId: string): Promise<string | undefined> {
  try {
    return (await gitIn(repo, "rev-parse", "--verify", "--quiet", `refs/heads/omk/${goalId}/integration`)).trim();
  } catch {
    return undefined;
  }
}

/** Files of a commit's tree. */
export async function filesAt(repo: string, commit: string): Promise<string[]> {
  return (await gitIn(repo, "ls-tree", "-r", "--name-only", commit)).split("\n").filter((l) => l !== "");
}

/** The task commits recorded in attempt_captured events that no ref reaches (should be none). */
export async function lostTaskCommits(repo: string, events: readonly GoalEvent[]): Promise<string[]> {
  const refs = (await gitIn(repo, "for-each-ref", "--format=%(objectname)")).split("\n").filter((l) => l !== "");
  const lost: string[] = [];
  for (const captured of eventsOf(events, "attempt_captured")) {
    const commit = captured.data.commit;
    let reached = false;
    for (const tip of refs) {
      const r = await execa("git", ["merge-base", "--is-ancestor", commit, tip], { cwd: repo, reject: false });
      if (r.exitCode === 0) {
        reached = true;
        break;
      }
    }
    if (!reached) lost.push(commit);
  }
  return lost;
}

/** A compact description of a run, for assertion messages. */
export function describeRun(run: OmkRun): string {
  return `exit ${run.exitCode}\n--- stdout\n${run.stdout.slice(-4000)}\n--- stderr\n${run.stderr.slice(-4000)}`;
}
