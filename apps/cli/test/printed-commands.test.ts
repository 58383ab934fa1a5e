// Every command omk prints runs when pasted into the same shell (issue 15; docs/decisions/printed-commands.md).
// The built CLI runs as `node <bin>` with a PATH that has no `omk` (and no package runner's env): the demo, a
// paused run, a not_ready run and a failed_infra run, plus error fixes. Every `next:` line with no `<placeholder>`,
// whole (its `  # explanation` is a shell comment), and the demo's "the goal:" / "re-check:" lines, accept's merge
// hint, commander's `see … --help`, is pasted into `bash -c` with the same PATH and folder but WITHOUT
// OMK_STATE_DIR (the user ran `OMK_STATE_DIR=… omk …` or the demo, and never exported it): each names the state
// dir itself, so it finds the goal; none may be "command not found" (127/126) or a usage error (2). The lines a
// pasted command prints name the state dir too, and are pasted in turn. No output may name a bare
// `omk <command>` there. With `omk` on PATH (a symlink to the bin), plain `omk` is printed, and pasting it runs.
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { makeTempDir } from "@omk/test-fixtures";
import { shellWord } from "../src/invocation.js";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOAL_TEXT, makeRepo, readyBook, writeBook } from "./cli-goal-fixture.js";
import { cleanupE2e, omkBin } from "./e2e/helpers.js";

afterAll(cleanupE2e);

type Book = { version: number; sessions: Record<string, { turns: { steps: Record<string, unknown>[] }[] }> };
type Run = { exitCode: number; stdout: string; stderr: string };

/** A PATH as a user's shell has it: node's own dir, the rest of PATH without package-runner dirs and without any `omk`. */
function pathWithoutOmk(): string {
  const dirs = [path.dirname(process.execPath), ...(process.env["PATH"] ?? "").split(path.delimiter)];
  const kept = dirs.filter((d) => path.isAbsolute(d) && !/node_modules[\\/]\.bin$|node-gyp-bin$/.test(d) && !existsSync(path.join(d, "omk")));
  return [...new Set(kept)].join(path.delimiter);
}

/** The environment of a user's shell: this one without what npm/pnpm/npx/vitest put in it. */
function shellEnv(PATH: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|pnpm_|PNPM_|OMK_|VITEST|INIT_CWD|NODE_OPTIONS)/i.test(k)) env[k] = v;
  return { ...env, NO_COLOR: "1", CI: "true", PATH, ...extra };
}

let bin = "";
let PATH = "";
/** How omk names itself where `omk` is not on PATH: the form that ran it. */
let cli = "";

beforeAll(async () => {
  bin = await omkBin();
  PATH = pathWithoutOmk();
  cli = `node ${bin}`;
  expect((await execa("bash", ["-c", "command -v omk"], { env: shellEnv(PATH), reject: false })).exitCode, "the test PATH must have no omk").toBe(1);
}, 300_000);

async function omk(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const r = await execa(process.execPath, [bin, ...args], { cwd, env, extendEnv: false, reject: false, stdin: "ignore" });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A bare `omk <command>` as printed text (what fails where omk is not on PATH). */
const BARE_OMK = /(^|[\s(`"'])omk (goal|proof|demo|doctor|engines|config|--help)(?=$|[\s`"')])/m;

/** A `<placeholder>` the user fills in (bash would read it as a redirection): such a line is not pasted as printed. */
const PLACEHOLDER = /<\w+>/;

/**
 * The commands a run printed: `next: <command>` (whole, with its `  # explanation`), the indented line under it,
 * the demo's `the code:` / `the goal:` / `re-check:` lines, and commander's `see \`…\``; not those with a placeholder.
 */
function printedCommands(output: string): string[] {
  const commands: string[] = [];
  let afterNext = false;
  for (const line of output.split("\n")) {
    const next = /^next: +(.+)$/.exec(line);
    const more: RegExpExecArray | null = afterNext ? /^ {6}(\S.*)$/.exec(line) : null;
    const demo = /^ {2}(?:the code|the goal|re-check): +(.+)$/.exec(line);
    const see = /— fix: see `([^`]+)`$/.exec(line);
    const found = next?.[1] ?? more?.[1] ?? demo?.[1] ?? see?.[1];
    if (found !== undefined && !found.startsWith("the same command") && !PLACEHOLDER.test(found)) commands.push(found);
    afterNext = next !== null || (afterNext && more !== null);
  }
  return commands;
}

/** Paste one command into `bash -c` with the same env and folder; it must run (not 127/126, not a usage error). */
async function paste(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  expect(command, "a placeholder would be read by bash as a redirection").not.toMatch(PLACEHOLDER);
  expect(env["OMK_STATE_DIR"], "the paste runs in a shell that never exported OMK_STATE_DIR").toBeUndefined();
  const r = await execa("bash", ["-c", command], { cwd, env, extendEnv: false, reject: false, stdin: "ignore", timeout: 240_000 });
  const run = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  const why = `pasted: ${command}\nexit ${run.exitCode}\n${run.stdout}\n${run.stderr}`;
  expect(run.stderr, why).not.toMatch(/command not found|No such file or directory/);
  expect([2, 126, 127], why).not.toContain(run.exitCode);
  return run;
}

const reEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * Every printed command names the CLI as it ran, after `OMK_STATE_DIR=<the state dir> ` (`state`, or any
 * shell-quoted dir for the demo's own), and none says bare `omk` (unless that is the name).
 */
function expectNamedAsRun(run: Run, commands: string[], state?: string, name = cli): void {
  const all = `${run.stdout}\n${run.stderr}`;
  // Where omk is on PATH (name "omk") the bare form is the right one.
  if (name !== "omk") expect(all, all).not.toMatch(BARE_OMK);
  const prefix = state === undefined ? "OMK_STATE_DIR=(?:'(?:[^']|'\\\\'')*'|\\S+) " : reEscape(`OMK_STATE_DIR=${shellWord(state)} `);
  for (const c of commands.filter((c) => !c.startsWith("cd ") && !c.startsWith("git "))) expect(c).toMatch(new RegExp(`^${prefix}${reEscape(name)} `));
}

/** Paste each command, then each command that one printed (named with the state dir too); all exit `code` when given. */
async function pasteAll(commands: string[], cwd: string, shell: NodeJS.ProcessEnv, state: string | undefined, code?: number): Promise<void> {
  for (const command of commands) {
    const pasted = await paste(command, cwd, shell);
    if (code !== undefined) expect(pasted.exitCode, `${command}\n${pasted.stdout}\n${pasted.stderr}`).toBe(code);
    const then = printedCommands(`${pasted.stdout}\n${pasted.stderr}`);
    expectNamedAsRun(pasted, then, state);
    for (const next of then) {
      const again = await paste(next, cwd, shell);
      if (code !== undefined) expect(again.exitCode, `${next}\n${again.stdout}\n${again.stderr}`).toBe(code);
    }
  }
}

describe("printed commands where omk is not on PATH (run as node <bin>)", () => {
  it("the demo (its temp folder's path with a space and a quote): every next step, the goal and re-check lines, and accept's merge hint run as pasted", async () => {
    const cwd = makeTempDir("omk-paste-demo-");
    // A hostile temp folder: every path the demo prints must stay one shell word.
    const tmp = path.join(cwd, "a dir's $(tmp)");
    mkdirSync(tmp);
    const env = shellEnv(PATH, { TMPDIR: tmp });
    const run = await omk(["demo"], cwd, env);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    const commands = printedCommands(run.stdout);
    expect(commands.some((c) => c.includes(" proof verify "))).toBe(true);
    expect(commands.some((c) => c.includes(" goal accept "))).toBe(true);
    expect(run.stdout).toContain(`OMK_STATE_DIR=${"'"}${tmp.replaceAll("'", "'\\''")}/omk-demo-`);
    expectNamedAsRun(run, commands);
    // Each runs as pasted, and so does what it prints (accept's merge command; goal show's next line, with the state dir).
    await pasteAll(commands, cwd, env, undefined, 0);
  }, 600_000);

  it("a not_ready run and a failed_infra run: the next line runs as pasted; a fix naming omk names it as run", async () => {
    const { repo } = await makeRepo();
    const state = makeTempDir("omk-paste-state-");
    const env = shellEnv(PATH, { OMK_STATE_DIR: state });
    const shell = shellEnv(PATH);
    const buggy = readyBook() as Book;
    for (const step of buggy.sessions["task:slugify"]?.turns[0]?.steps ?? []) {
      const w = step["write"] as { path: string; content: string } | undefined;
      if (w?.path === "src/slugify.js") w.content = "export function slugify(text) {\n  return text;\n}\n";
    }
    const notReady = await omk(["goal", "run", GOAL_TEXT, "--script", writeBook(buggy)], repo, env);
    expect(notReady.exitCode, `${notReady.stdout}\n${notReady.stderr}`).toBe(1);
    const broken = readyBook() as Book;
    delete broken.sessions["task:slugify"];
    const failed = await omk(["goal", "run", GOAL_TEXT, "--script", writeBook(broken)], repo, env);
    expect(failed.exitCode, `${failed.stdout}\n${failed.stderr}`).toBe(6);

    // A fix that names omk commands (accept on a not_ready goal) names them as run.
    const id = (notReady.stdout.match(/^goal (\S+)$/m) ?? [])[1] ?? "";
    const accept = await omk(["goal", "accept", id], repo, env);
    expect(accept.exitCode).toBe(2);
    expect(accept.stderr).toContain(`(OMK_STATE_DIR=${shellWord(state)} ${cli} goal resume ${id})`);
    // Commander's own usage error points at the command's help, named as run; that runs as pasted.
    const usage = await omk(["proof", "verify", "--repo"], repo, env);
    expect(usage.exitCode).toBe(2);

    for (const run of [notReady, failed, accept, usage]) {
      const commands = printedCommands(`${run.stdout}\n${run.stderr}`);
      expectNamedAsRun(run, commands, state);
      if (run === notReady || run === failed) {
        expect(commands.length, run.stdout).toBeGreaterThan(0);
        // The explanation is a shell comment, pasted with the command.
        expect(
          commands.some((c) => / {2}# \S/.test(c)),
          run.stdout,
        ).toBe(true);
      }
      for (const command of commands) await paste(command, repo, shell);
    }
    // goal status, pasted from a shell without OMK_STATE_DIR, finds the goal; its own next line names the state dir.
    const status = await paste(`OMK_STATE_DIR=${shellWord(state)} ${cli} goal status ${id}`, repo, shell);
    expect(status.exitCode, status.stderr).toBe(0);
    const statusNext = printedCommands(status.stdout);
    expect(statusNext.length, status.stdout).toBe(1);
    expectNamedAsRun(status, statusNext, state);
  }, 600_000);

  it("a paused run (Ctrl-C): its next line resumes it as pasted, and the ready run's next lines run too", async () => {
    const { repo } = await makeRepo();
    const state = makeTempDir("omk-paste-state-");
    const env = shellEnv(PATH, { OMK_STATE_DIR: state });
    const shell = shellEnv(PATH);
    const child = execa(process.execPath, [bin, "goal", "run", GOAL_TEXT, "--plain", "--script", writeBook(readyBook(4_000))], {
      cwd: repo,
      env,
      extendEnv: false,
      reject: false,
      stdin: "ignore",
    });
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    let ended = false;
    void child.finally(() => {
      ended = true;
    });
    const deadline = Date.now() + 180_000;
    while (!/task slugify running/.test(out) && !ended && Date.now() < deadline) await sleep(100);
    child.kill("SIGINT");
    const r = await child;
    const run = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(8);
    const commands = printedCommands(run.stdout);
    expect(commands).toHaveLength(1);
    expectNamedAsRun(run, commands, state);
    // The resume, pasted where OMK_STATE_DIR is not exported, finds the goal; its own next lines (proof verify, accept) name the state dir and run.
    const resumed = await paste(commands[0] as string, repo, shell);
    expect(resumed.exitCode, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    const then = printedCommands(resumed.stdout);
    expect(then.length).toBe(2);
    expectNamedAsRun(resumed, then, state);
    for (const command of then) expect((await paste(command, repo, shell)).exitCode, command).toBe(0);
  }, 600_000);
});

describe("printed commands where omk is on PATH", () => {
  it("a symlink to the bin on PATH: plain `omk` is printed, and runs as pasted; under a package runner its injected node_modules/.bin does not count", async () => {
    const links = makeTempDir("omk-paste-links-");
    symlinkSync(bin, path.join(links, "omk"));
    const { repo } = await makeRepo();
    const state = makeTempDir("omk-paste-state-");
    const env = shellEnv(`${links}${path.delimiter}${PATH}`, { OMK_STATE_DIR: state });
    const shell = shellEnv(`${links}${path.delimiter}${PATH}`);
    const created = await omk(["goal", "create", GOAL_TEXT], repo, env);
    expect(created.exitCode, created.stderr).toBe(0);
    const commands = printedCommands(created.stdout);
    const prefix = `OMK_STATE_DIR=${shellWord(state)} `;
    expect(commands).toEqual([expect.stringMatching(new RegExp(`^${reEscape(prefix)}omk goal status \\S+$`))]);
    // Pasted where OMK_STATE_DIR is not exported: it finds the goal, and its own next line names the state dir.
    const status = await paste(commands[0] as string, repo, shell);
    expect(status.exitCode, status.stderr).toBe(0);
    expectNamedAsRun(status, printedCommands(status.stdout), state, "omk");
    const usage = await omk(["goal", "show", "--format"], repo, env);
    expect(usage.stderr).toContain(`fix: see \`${prefix}omk goal show --help\``);
    expect((await paste(`${prefix}omk goal show --help`, repo, shell)).exitCode).toBe(0);

    // The same omk only in a node_modules/.bin a runner (pnpm run) put on PATH: the user's shell lacks it.
    const injected = path.join(makeTempDir("omk-paste-project-"), "node_modules", ".bin");
    mkdirSync(injected, { recursive: true });
    symlinkSync(bin, path.join(injected, "omk"));
    const underPnpm = shellEnv(`${injected}${path.delimiter}${PATH}`, {
      OMK_STATE_DIR: state,
      npm_lifecycle_event: "omk",
      npm_config_user_agent: "pnpm/10.34.9 npm/? node/v20 linux x64",
    });
    const viaRunner = await omk(["goal", "create", GOAL_TEXT], repo, underPnpm);
    expect(printedCommands(viaRunner.stdout)).toEqual([expect.stringMatching(new RegExp(`^${reEscape(prefix)}node ${reEscape(bin)} goal status \\S+$`))]);
  }, 300_000);
});
