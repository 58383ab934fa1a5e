import { accessSync, constants, existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { resolveStateRoot } from "@omk/state";
import { type DetectedEngine, detectEngines, ENGINE_PRESET_NAMES } from "@omk/wire";
import { execa } from "execa";
import { type Context, printJson } from "../context.js";
import { EXIT } from "../exit-codes.js";

/** One line of the report: fail stops omk from working (exit 6), warn limits what it can do. */
export type DoctorCheck = { name: string; status: "ok" | "warn" | "fail"; detail: string; fix?: string };

const NODE_MIN: readonly [number, number] = [20, 19];

/** How to install each known engine when it is not on PATH. */
const INSTALL: Record<string, string> = {
  kimi: "npm install -g @moonshot-ai/kimi-code",
  "kimi-wire": "install the legacy Kimi CLI (uv tool install kimi-cli) for `kimi --wire`",
  gemini: "npm install -g @google/gemini-cli",
  claude: "npm install -g @agentclientprotocol/claude-agent-acp (and log in to Claude Code)",
  codex: "npm install -g @zed-industries/codex-acp",
  qwen: "npm install -g @qwen-code/qwen-code",
  copilot: "npm install -g @github/copilot",
};

async function checkGit(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const run = await execa("git", ["--version"], { env, reject: false, stdin: "ignore", timeout: 10_000 });
  const version = String(run.stdout ?? "").trim();
  if (run.exitCode === 0 && version !== "") return { name: "git", status: "ok", detail: version };
  return { name: "git", status: "fail", detail: "git not found on PATH", fix: "install git (https://git-scm.com/downloads) and put it on PATH" };
}

function checkNode(): DoctorCheck {
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
  const fail = (why: string) => ({ name: "state dir", status: "fail" as const, detail: `${where} is not writable: ${why}`, fix, path: root, source, writable: false });
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
    return { name: "state dir", status: "ok", detail: `${where}, does not exist yet; it will be created (${parent} is writable)`, path: root, source, writable: true };
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

function engineCheck(engine: DetectedEngine): DoctorCheck {
  const name = `engine ${engine.name}`;
  const version = engine.version === undefined ? "" : `${engine.version}, `;
  const { handshake } = engine;
  const agent = handshake.agentName === undefined ? "" : ` with ${handshake.agentName}${handshake.agentVersion === undefined ? "" : ` ${handshake.agentVersion}`}`;
  const took = handshake.durationMs === undefined ? "" : ` in ${handshake.durationMs} ms`;
  if (!engine.found) return { name, status: "warn", detail: `not found (${engine.command})`, fix: INSTALL[engine.name] ?? `install ${engine.command} and put it on PATH` };
  switch (handshake.status) {
    case "ok":
      return { name, status: "ok", detail: `${version}handshake ok${agent}${took}` };
    case "auth_required":
      return { name, status: "warn", detail: `${version}handshake: needs a login${agent}`, fix: handshake.fix ?? `log in to ${engine.name}` };
    default:
      return { name, status: "warn", detail: `${version}handshake ${handshake.status}${handshake.detail === undefined ? "" : `: ${handshake.detail.split("\n")[0]}`}`, fix: `run ${engine.path ?? engine.command} by hand to see why it does not answer ${engine.protocol === "acp" ? "ACP" : "Kimi Wire"}` };
  }
}

function checkGithub(env: NodeJS.ProcessEnv): DoctorCheck & { token: "set" | "not set"; variable?: string } {
  // Never print the value: only which variable holds one.
  const variable = ["GITHUB_TOKEN", "GH_TOKEN"].find((v) => (env[v] ?? "").trim() !== "");
  return variable === undefined
    ? { name: "github token", status: "warn", detail: "not set (GITHUB_TOKEN, GH_TOKEN)", fix: "export GITHUB_TOKEN=<a token with repo scope> (or GH_TOKEN) to open pull requests and read issues", token: "not set" }
    : { name: "github token", status: "ok", detail: `set (${variable})`, token: "set", variable };
}

/** `omk doctor`: is this machine ready to run omk? Exit 0 when git, node and the state dir are fine (engines and token are warnings), 6 otherwise. */
export async function doctor(ctx: Context, opts: { json?: boolean }): Promise<number> {
  const git = await checkGit(ctx.env);
  const node = checkNode();
  const stateDir = checkStateDir(ctx.env);
  const engines = await detectEngines({ engines: ["scripted", ...ENGINE_PRESET_NAMES.filter((n) => n !== "scripted")], env: ctx.env });
  const github = checkGithub(ctx.env);
  const { path: statePath, source, writable, ...stateCheck } = stateDir;
  const { token, variable, ...githubCheck } = github;
  // `omk goal run` needs one real engine (or --engine scripted with a script book): say so once, with the fix.
  const usable = engines.filter((e) => e.name !== "scripted" && e.found && e.handshake.status === "ok");
  const engineSummary: DoctorCheck =
    usable.length > 0
      ? { name: "engines", status: "ok", detail: `omk goal run will use ${usable[0]?.name} (set OMK_ENGINE or pass --engine to choose)` }
      : {
          name: "engines",
          status: "warn",
          detail: "no real engine is ready: omk goal run needs one",
          fix: `install one (${INSTALL["kimi"]}, or see the lines above), or run goals with --engine scripted --script FILE`,
        };
  const checks: DoctorCheck[] = [git, node, stateCheck, ...engines.map(engineCheck), engineSummary, githubCheck];
  const failed = checks.filter((c) => c.status === "fail");
  const exitCode = failed.length === 0 ? EXIT.ok : EXIT.failedInfra;
  if (opts.json) {
    printJson(ctx, { ok: failed.length === 0, exitCode, checks, stateDir: { path: statePath, source, writable }, engines, github: { token, ...(variable === undefined ? {} : { variable }) } });
    return exitCode;
  }
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    ctx.stdout(`${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}${c.fix === undefined || c.status === "ok" ? "" : ` — fix: ${c.fix}`}\n`);
  }
  const warnings = checks.filter((c) => c.status === "warn").length;
  ctx.stdout(failed.length === 0 ? `omk is ready${warnings === 0 ? "" : ` (${warnings} warning${warnings === 1 ? "" : "s"})`}\n` : `omk is not ready: ${failed.map((c) => c.name).join(", ")} (exit ${exitCode})\n`);
  return exitCode;
}
