import { accessSync, constants, readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";

/**
 * How to name the CLI in every command OMK prints (`next:` lines, fixes,
 * hints), so that a printed command runs when pasted into the user's shell.
 * One module decides; every printer goes through {@link printable}. The
 * choice and why: docs/decisions/printed-commands.md.
 *
 * - `omk` only where `omk`, looked up on PATH as the shell would, resolves
 *   (realpath, or a package manager's shell shim naming the file) to the very
 *   bin file that is running. PATH entries a package runner injected
 *   (`node_modules/.bin`, npm's node-gyp-bin) do not count when the process
 *   runs under npm, pnpm or npx: the user's shell does not have them.
 * - `npx --no omk` under npx / `npm exec` (npm_command=exec with npm's user
 *   agent), when the omk that npx put on PATH is this bin file, installed in a
 *   project (not in npx's own cache: `npx --no` would not find it there, and a
 *   bare `npx omk` could fetch another package from the registry).
 * - otherwise the form that was used: `node /abs/path/to/bin.js` (with the
 *   node flags it ran with), each word shell-quoted; `node` is spelled out
 *   as its absolute path when the `node` on PATH is another one.
 *
 * Records (proof.json's recheck, failure.json's resume.command) keep the
 * canonical `omk …`: they outlive this shell. Only printing renders them.
 */

/** What the choice depends on: the process's environment and how node ran the bin. */
export type CliSource = {
  env: NodeJS.ProcessEnv;
  /** The bin file node ran (process.argv[1]). */
  script: string | undefined;
  /** The node binary (process.execPath). */
  execPath: string;
  /** Node's own flags (process.execArgv), e.g. `--import tsx` when run from source. */
  execArgv: readonly string[];
  cwd: string;
};

/**
 * A word as the shell reads it back unchanged (quoted only when it needs to be). The same rule as
 * @omk/core's shellWord, kept here on purpose: `omk --help` loads this module, and its start-up
 * closure loads no @omk package (test/start-up.test.ts); bundling @omk/core's one chunk would.
 */
export function shellWord(value: string): string {
  return /^[\w./@%+=:,-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

function real(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether a package runner (npm run, npx / npm exec, pnpm, yarn) started this process: it puts its own dirs first on PATH. */
function underRunner(env: NodeJS.ProcessEnv): boolean {
  return ["npm_lifecycle_event", "npm_command", "npm_config_user_agent"].some((name) => (env[name] ?? "") !== "");
}

/** A PATH entry a package runner injected: a `node_modules/.bin` dir (npm, pnpm, npx's cache) or npm's node-gyp-bin. */
function runnerDir(dir: string): boolean {
  const normal = dir.replaceAll("\\", "/").replace(/\/+$/, "");
  return normal.endsWith("node_modules/.bin") || normal.endsWith("/node-gyp-bin");
}

/**
 * Whether `candidate` (an `omk` found on PATH) runs `bin`: the same file once
 * symlinks are resolved (npm's links, `ln -s`), or a shell wrapper that execs
 * it by a quoted path: pnpm's and cmd-shim's `"$basedir/…"`, or an absolute
 * `exec node "/abs/bin.js" "$@"` written by hand.
 */
function runsBin(candidate: string, bin: string): boolean {
  const resolved = real(candidate);
  if (resolved === undefined) return false;
  if (resolved === bin) return true;
  let head: string;
  try {
    head = readFileSync(resolved, "utf8").slice(0, 4096);
  } catch {
    return false;
  }
  if (!head.startsWith("#!/bin/sh") && !head.startsWith("#!/usr/bin/env sh") && !head.startsWith("#!/bin/bash")) return false;
  const dir = path.dirname(candidate);
  // Only a line that execs the file counts (pnpm's and cmd-shim's `exec "$basedir/node" "$basedir/…js" "$@"`,
  // a hand-written `exec node "/abs/…js" "$@"`): a path in a comment, an echo or a string runs nothing.
  for (const line of head.split("\n")) {
    if (!/^\s*exec\s/.test(line)) continue;
    for (const match of line.matchAll(/"((?:\$basedir\/|\/)[^"$]+\.[cm]?js)"/g)) {
      const file = (match[1] as string).replace(/^\$basedir\//, `${dir}/`);
      if (real(file) === bin) return true;
    }
  }
  return false;
}

/** The first executable `name` on PATH, as the shell finds it (relative entries from `cwd`), skipping the dirs `skip` says. */
function whichFirst(name: string, env: NodeJS.ProcessEnv, cwd: string, skip: (dir: string) => boolean): string | undefined {
  for (const entry of (env["PATH"] ?? "").split(path.delimiter)) {
    if (entry === "" || skip(entry)) continue;
    const candidate = path.resolve(cwd, entry, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Whether a bin file lives in npx's package cache (`<npm cache>/_npx/<hash>/node_modules/…`). */
function inNpxCache(bin: string): boolean {
  return bin.replaceAll("\\", "/").includes("/_npx/");
}

/** The words that run this CLI again in the user's shell: `omk`, `npx --no omk` or `node /abs/bin.js` (see the module comment). */
export function detectCli(source: CliSource): string {
  const { env, cwd } = source;
  const script = source.script === undefined ? undefined : path.resolve(cwd, source.script);
  const bin = script === undefined ? undefined : real(script);
  if (script === undefined || bin === undefined) return "omk";
  const runner = underRunner(env);
  const onPath = whichFirst("omk", env, cwd, (dir) => runner && runnerDir(dir));
  if (onPath !== undefined && runsBin(onPath, bin)) return "omk";
  const npx = env["npm_command"] === "exec" && (env["npm_config_user_agent"] ?? "").startsWith("npm/");
  if (npx) {
    // npx put the package's bin dir on PATH; `npx --no omk` finds it again only if that omk is this bin and it is
    // installed in the project (npx --no runs a local install, and never fetches). A bin in npx's own cache
    // (`npx omk` outside a project) is not found again by `npx --no omk` (npm 11 refuses: "missing packages"), and a
    // plain `npx omk` there would fetch whatever `omk` the registry has: the node form runs this very file instead.
    const injected = whichFirst("omk", env, cwd, (dir) => !runnerDir(dir));
    if (injected !== undefined && runsBin(injected, bin) && !inNpxCache(bin)) return "npx --no omk";
  }
  const node = whichFirst("node", env, cwd, () => false);
  const nodeWord = node !== undefined && real(node) === real(source.execPath) ? "node" : shellWord(source.execPath);
  return [nodeWord, ...source.execArgv.map(shellWord), shellWord(script)].join(" ");
}

let cached: string | undefined;

/** {@link detectCli} for this process (decided once). */
function cliName(): string {
  cached ??= detectCli({ env: process.env, script: process.argv[1], execPath: process.execPath, execArgv: process.execArgv, cwd: process.cwd() });
  return cached;
}

/** The top-level commands (and flags) a printed `omk …` starts with. */
const COMMAND = "(?:goal|proof|demo|doctor|engines|config|help|--help|--version|-v)";
/** `omk` where it starts a command: at the start, after a space, `(`, a backtick or a quote, and followed by one of the commands. */
const OMK_COMMAND = new RegExp(`(^|[\\s(\`"'])omk(?= ${COMMAND}(?=$|[\\s\`"')]))`, "g");

/**
 * `OMK_STATE_DIR=<dir> ` (its absolute path, shell-quoted) when `env` sets
 * OMK_STATE_DIR, else "": the state dir a printed command must name so it
 * finds the goal when pasted into a shell that did not export the variable
 * (`OMK_STATE_DIR=/x omk goal status <id>` prints its own next steps with it).
 */
export function statePrefix(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env["OMK_STATE_DIR"];
  return dir === undefined || dir.trim() === "" ? "" : `OMK_STATE_DIR=${shellWord(path.resolve(dir))} `;
}

/**
 * A single-quoted shell word as {@link shellWord} writes it (`'…'`, a quote inside as `'\''`), where a word
 * starts: at the start, after whitespace or `=`. A prose apostrophe ("the goal's") starts no word. Captured,
 * so `split` keeps it (odd parts).
 */
const QUOTED_WORD = /(?<=^|[\s=])('[^']*'(?:\\''[^']*')*)/;

/**
 * A text OMK prints (a next step, a fix, a hint) with every `omk <command>`
 * in it named as `cli` says (default: {@link cliName}), each preceded by
 * `prefix` (default: {@link statePrefix} of this process, so a command run
 * with OMK_STATE_DIR set prints commands that name it; the demo passes its
 * own state dir). Prose such as "omk is ready" or "omk demo:" is left alone.
 */
export function printable(text: string, options: { cli?: string; prefix?: string | undefined } = {}): string {
  const cli = options.cli ?? cliName();
  const words = `${options.prefix ?? statePrefix()}${cli}`;
  if (words === "omk") return text;
  // Text inside a single-quoted shell word (as shellWord writes it: a goal's text) is data, never rewritten.
  return text
    .split(QUOTED_WORD)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(OMK_COMMAND, (_match, before: string) => `${before}${words}`)))
    .join("");
}
