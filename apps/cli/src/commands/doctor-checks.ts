/** The machine checks of `omk doctor` (git, node, the sandbox, the state dir, the config, the GitHub token), as data. */
import { accessSync, constants, existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { OmkConfig } from "@omk/config";
import { git } from "@omk/git";
import { resolveStateRoot } from "@omk/state";
import { probeConfinement } from "@omk/wire";
import type { Context } from "../context.js";
import { readConfig } from "../engine.js";
import { UsageError } from "../errors.js";

/** One line of the report: fail stops omk from working (exit 6), warn limits what it can do. */
export type DoctorCheck = { name: string; status: "ok" | "warn" | "fail"; detail: string; fix?: string };

const NODE_MIN: readonly [number, number] = [20, 19];

export async function checkGit(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  // Outside any repository: `git --version` needs none, and a refused repository must not read as "git not found".
  const run = await git(os.tmpdir(), ["--version"], { baseEnv: env, timeoutMs: 10_000 });
  const version = run.stdout.trim();
  if (run.exitCode === 0 && version !== "") return { name: "git", status: "ok", detail: version };
  return { name: "git", status: "fail", detail: "git not found on PATH", fix: "install git (https://git-scm.com/downloads) and put it on PATH" };
}

/** Whether agents can be confined here (the probe `goal run` makes at start): without it goals need --unconfined. */
export async function checkSandbox(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const probe = await probeConfinement(env);
  if (probe.ok) return { name: "sandbox", status: "ok", detail: `${probe.value.version} (${probe.value.bwrap}): agents run confined` };
  return {
    name: "sandbox",
    status: "warn",
    detail: `${probe.error.message}; goals refuse to run (exit 9) unless --unconfined`,
    ...(probe.error.fix === undefined ? {} : { fix: probe.error.fix }),
  };
}

export function checkNode(): DoctorCheck {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const good = major > NODE_MIN[0] || (major === NODE_MIN[0] && minor >= NODE_MIN[1]);
  const need = `>= ${NODE_MIN.join(".")}`;
  return good
    ? { name: "node", status: "ok", detail: `${process.version} (needs ${need})` }
    : { name: "node", status: "fail", detail: `${process.version} is too old (needs ${need})`, fix: `install Node.js ${need} (https://nodejs.org)` };
}

/** Whether omk can write its state: the folder itself when it exists, else the nearest existing parent (nothing is created). */
export function checkStateDir(env: NodeJS.ProcessEnv): DoctorCheck & { path: string; source: string; writable: boolean } {
  const { root, source } = resolveStateRoot(env);
  const where = `${root} (from ${source === "default" ? "the default" : source})`;
  const fix = `set OMK_STATE_DIR to a writable folder, or make ${root} writable`;
  const fail = (why: string) => ({
    name: "state dir",
    status: "fail" as const,
    detail: `${where} is not writable: ${why}`,
    fix,
    path: root,
    source,
    writable: false,
  });
  try {
    if (existsSync(root)) {
      if (!statSync(root).isDirectory()) return fail("it is not a folder");
      const probe = path.join(root, `.omk-doctor-${process.pid}`);
      writeFileSync(probe, "");
      rmSync(probe, { force: true });
      return { name: "state dir", status: "ok", detail: `${where}, writable`, path: root, source, writable: true };
    }
    let parent = path.dirname(root);
    while (!existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
    if (!statSync(parent).isDirectory()) return fail(`${parent} is a file, not a folder`);
    accessSync(parent, constants.W_OK);
    return {
      name: "state dir",
      status: "ok",
      detail: `${where}, does not exist yet; it will be created (${parent} is writable)`,
      path: root,
      source,
      writable: true,
    };
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

export function checkGithub(env: NodeJS.ProcessEnv): DoctorCheck & { token: "set" | "not set"; variable?: string } {
  // Never print the value: only which variable holds one.
  const variable = ["GITHUB_TOKEN", "GH_TOKEN"].find((v) => (env[v] ?? "").trim() !== "");
  return variable === undefined
    ? {
        name: "github token",
        status: "warn",
        detail: "not set (GITHUB_TOKEN, GH_TOKEN)",
        fix: "export GITHUB_TOKEN=<a token with repo scope> (or GH_TOKEN) to open pull requests and read issues",
        token: "not set",
      }
    : { name: "github token", status: "ok", detail: `set (${variable})`, token: "set", variable };
}

/** The config files (user, then repo) as read; an invalid or untrusted one is a failed check (its engines are not started). */
export function checkConfig(ctx: Context, trustRepo: boolean | undefined): { config: OmkConfig | undefined; check: DoctorCheck } {
  try {
    const config = readConfig(ctx, undefined, { trustRepo });
    const files = [config.files.user, config.files.repo].flatMap((f) => (f === undefined ? [] : [`${f.scope} ${f.path}${f.exists ? "" : " (none)"}`]));
    return { config, check: { name: "config", status: "ok", detail: files.join(", ") } };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { config: undefined, check: { name: "config", status: "fail", detail: error.message, ...(error.fix === undefined ? {} : { fix: error.fix }) } };
  }
}
