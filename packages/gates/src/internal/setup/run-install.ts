/**
 * Running an install step's commands: each in its own process group with
 * the setup environment (no secrets, npm settings pinned over the
 * project's .npmrc), output interleaved and capped, the named `npm rebuild`
 * of the dependencies with install scripts, and the log tail, first error
 * and fix a failed install is reported with. See docs/decisions/gates.md
 * ("Setup security").
 */
import os from "node:os";
import path from "node:path";
import type { ConfineCommand } from "../../confine.js";
import { allowedEnv } from "../../env.js";
import type { SetupStep } from "../../schemas/setup.js";
import { readJson } from "../detect/common.js";
import { type ProcessSpec, runProcess } from "../process.js";
import { managerCachesMade, setupCacheEnv } from "./cache-dirs.js";

const TAIL_LINES = 30;
/** Per command, unless the caller says otherwise. */
export const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000;

type RunOutput = { exitCode: number | null; output: string; durationMs: number; error?: string };

const OUTPUT_CAP = 4 * 1024 * 1024;
const OUTPUT_HEAD = 256 * 1024;
const OUTPUT_TAIL = 2 * 1024 * 1024;

/**
 * One install command in its own process group (the gates' runner: a
 * timeout or an abort kills the whole tree, and killAllGatesNow reaches it),
 * stdout and stderr interleaved as they came, capped (head and tail kept).
 */
async function runCommand(
  argv: readonly string[],
  shell: boolean,
  cwd: string,
  env: Record<string, string | undefined>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  confine: ProcessSpec["confine"],
): Promise<RunOutput> {
  let output = "";
  const take = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > OUTPUT_CAP) output = `${output.slice(0, OUTPUT_HEAD)}\n… (output cut) …\n${output.slice(-OUTPUT_TAIL)}`;
  };
  const clean = setupEnv(env);
  const [file, ...args] = argv as [string, ...string[]];
  const p = await runProcess({
    file,
    args: shell ? [] : args,
    shell,
    cwd,
    env: clean,
    timeoutMs,
    graceMs: 3000,
    signal,
    onStdout: take,
    onStderr: take,
    confine,
  });
  const error =
    p.spawnError ??
    (p.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)}s` : p.aborted ? "was aborted" : p.signal !== null ? `was killed by ${p.signal}` : undefined);
  return { exitCode: p.exitCode, output, durationMs: Math.round(p.durationMs), ...(error === undefined ? {} : { error }) };
}

/**
 * The environment every setup command runs with: the gates' environment
 * (every variable whose name does not look secret, see looksSecretName:
 * tokens, passwords, keys never reach an install or its dependencies'
 * install scripts), then npm settings pinned over any project .npmrc (env
 * beats the project's config file): the script shell is /bin/sh, git is
 * `git` from PATH, no node-options, the user's own userconfig. A project
 * .npmrc can still name registries; it can no longer pick the program npm
 * runs scripts or git with. See docs/decisions/gates.md ("Setup security").
 */
function setupEnv(env: Record<string, string | undefined>): Record<string, string> {
  const clean = allowedEnv(env);
  const home = env["HOME"] ?? os.homedir();
  const userconfig = env["npm_config_userconfig"] ?? env["NPM_CONFIG_USERCONFIG"] ?? path.join(home, ".npmrc");
  Object.assign(clean, {
    npm_config_update_notifier: "false",
    npm_config_script_shell: "/bin/sh",
    npm_config_git: "git",
    // Empty would count as unset (the project's node-options would win): the caller's own NODE_OPTIONS, else a blank.
    npm_config_node_options: env["NODE_OPTIONS"] !== undefined && env["NODE_OPTIONS"].trim() !== "" ? env["NODE_OPTIONS"] : " ",
    npm_config_userconfig: userconfig,
  });
  return clean;
}

const ERRORISH = /\b(error|ERR!|fatal|failed)\b/i;

/**
 * The last lines of an install log, led by its first error lines when they
 * scrolled off (npm prints the cause, then pages of usage).
 */
export function logTail(text: string): string[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !/^\$ /.test(l));
  const last = lines.slice(-TAIL_LINES);
  const earlier = lines
    .slice(0, -TAIL_LINES)
    .filter((l) => ERRORISH.test(l) && !/^npm error\s*$/.test(l))
    .slice(0, 6);
  return earlier.length > 0 ? [...earlier, "…", ...last] : last;
}

export const firstError = (tail: readonly string[]) =>
  tail
    .find((l) => ERRORISH.test(l) && l.replace(/^npm error\s*/, "").trim() !== "")
    ?.trim()
    .slice(0, 240);

/**
 * `npm rebuild <the installed packages that have install scripts>`, from the
 * hidden lockfile npm just wrote (node_modules/.package-lock.json), or
 * undefined when none has one. Named: a bare `npm rebuild` also runs the
 * project's own install script, which the setup leaves out.
 */
function rebuildArgv(cwd: string, listed: readonly string[]): string[] | undefined {
  const hidden = readJson(cwd, path.join("node_modules", ".package-lock.json"));
  const packages = (hidden?.["packages"] ?? {}) as Record<string, { hasInstallScript?: boolean }>;
  const names = [
    ...new Set(
      Object.entries(packages).flatMap(([key, value]) =>
        key.includes("node_modules/") && value.hasInstallScript === true ? [key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length)] : [],
      ),
    ),
  ].sort();
  return names.length === 0 ? undefined : [...listed.slice(0, 2), ...names, ...listed.slice(2)];
}

export async function runSteps(
  step: SetupStep,
  cwd: string,
  baseEnv: Record<string, string | undefined>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  confine: ConfineCommand | undefined,
  managerCaches: string | undefined,
): Promise<{ ok: boolean; exitCode: number | null; output: string; durationMs: number; failed?: string; error?: string }> {
  const env = managerCaches === undefined ? baseEnv : { ...baseEnv, ...setupCacheEnv(managerCaches) };
  let output = "";
  let durationMs = 0;
  for (const [i, listed] of [step.command, ...step.after].entries()) {
    const argv = i > 0 && listed[0] === "npm" && listed[1] === "rebuild" ? rebuildArgv(cwd, listed) : listed;
    if (argv === undefined) continue;
    const r = await runCommand(
      argv,
      i === 0 && step.shell,
      cwd,
      env,
      timeoutMs,
      signal,
      confine === undefined
        ? undefined
        : { run: confine, root: cwd, purpose: "setup", writable: managerCaches === undefined ? [] : managerCachesMade(managerCaches) },
    );
    output += `$ ${argv.join(" ")}\n${r.output}\n`;
    durationMs += r.durationMs;
    if (r.exitCode !== 0)
      return { ok: false, exitCode: r.exitCode, output, durationMs, failed: argv.join(" "), ...(r.error === undefined ? {} : { error: r.error }) };
  }
  return { ok: true, exitCode: 0, output, durationMs };
}

export function fixFor(step: SetupStep, failed: string): string {
  if (step.manager === "command") return "correct `setup:` in .omk/gates.yaml (or set `setup: none`), then run again";
  const lockfile = step.inputs.find((f) => /lock|shrinkwrap/.test(f));
  return `run \`${failed}\` in the project to see the problem; ${lockfile === undefined ? "fix the manifest" : `bring ${lockfile} in line with the manifest (re-run the install and commit the lockfile)`}, or set \`setup:\` in .omk/gates.yaml (a command, or \`none\`)`;
}
