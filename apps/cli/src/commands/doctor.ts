import { accessSync, constants, existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CONFIGURABLE_PRESETS, engineNames, type OmkConfig, resolveEngineSpec } from "@omk/config";
import { resolveStateRoot } from "@omk/state";
import { type DetectedEngine, detectEngines, probeConfinement } from "@omk/wire";
import { git } from "@omk/git";
import { parseTimeOption } from "../args.js";
import { type Context, printJson } from "../context.js";
import { firstInstalledPreset, readConfig } from "../engine.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { printable } from "../invocation.js";
import { INSTALL } from "../install-hints.js";
import { terminalSafe } from "../render/safe.js";

/** The handshake deadline when neither --handshake-timeout nor the engine's deadlines.handshakeMs sets one: generous, for a cold start on a loaded machine. */
export const DEFAULT_DOCTOR_HANDSHAKE_MS = 120_000;

/** One line of the report: fail stops omk from working (exit 6), warn limits what it can do. */
export type DoctorCheck = { name: string; status: "ok" | "warn" | "fail"; detail: string; fix?: string };

const NODE_MIN: readonly [number, number] = [20, 19];


async function checkGit(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  // Outside any repository: `git --version` needs none, and a refused repository must not read as "git not found".
  const run = await git(os.tmpdir(), ["--version"], { baseEnv: env, timeoutMs: 10_000 });
  const version = run.stdout.trim();
  if (run.exitCode === 0 && version !== "") return { name: "git", status: "ok", detail: version };
  return { name: "git", status: "fail", detail: "git not found on PATH", fix: "install git (https://git-scm.com/downloads) and put it on PATH" };
}

/** Whether agents can be confined here (the probe `goal run` makes at start): without it goals need --unconfined. */
async function checkSandbox(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const probe = await probeConfinement(env);
  if (probe.ok) return { name: "sandbox", status: "ok", detail: `${probe.value.version} (${probe.value.bwrap}): agents run confined` };
  return { name: "sandbox", status: "warn", detail: `${probe.error.message}; goals refuse to run (exit 9) unless --unconfined`, ...(probe.error.fix === undefined ? {} : { fix: probe.error.fix }) };
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
    default: {
      const first = handshake.detail === undefined ? "" : handshake.detail.split("\n")[0];
      const slow = /timed? ?out|deadline/iu.test(first ?? "");
      // A kimi that speaks the other protocol (Kimi Code 2.x under kimi-wire): the wire's fix names the engine to use.
      const mismatch = engine.binary !== undefined && engine.binary.speaks !== engine.protocol && handshake.fix !== undefined;
      const fix = mismatch
        ? (handshake.fix as string)
        : slow
        ? `give it longer: omk doctor --handshake-timeout 300s (for sessions: engines.${engine.name}.deadlines.handshakeMs in the config), or run ${engine.path ?? engine.command} by hand to see why it is slow`
        : `run ${engine.path ?? engine.command} by hand to see why it does not answer ${engine.protocol === "acp" ? "ACP" : "Kimi Wire"}`;
      return { name, status: "warn", detail: `${version}handshake ${handshake.status}${first === "" ? "" : `: ${first}`}`, fix };
    }
  }
}

/** An engine that cannot even be started as configured (an unset `{ from }` variable): found or not, no handshake. */
function unresolvedEngine(name: string, message: string): DetectedEngine {
  return { name, protocol: "acp", command: name, found: false, handshake: { status: "skipped", detail: message } };
}

/**
 * The engines doctor checks: the bundled scripted engine, every preset (with
 * the config's overrides) and every custom engine of the config, each with
 * its own handshake deadline (the flag, else its deadlines.handshakeMs, else
 * 120 s). Engines are probed one after the other.
 */
async function checkEngines(ctx: Context, config: OmkConfig | undefined, handshakeFlagMs: number | undefined): Promise<{ engines: DetectedEngine[]; checks: DoctorCheck[] }> {
  const engines: DetectedEngine[] = [];
  const checks: DoctorCheck[] = [];
  const scripted = (await detectEngines({ engines: ["scripted"], env: ctx.env, handshakeMs: handshakeFlagMs ?? DEFAULT_DOCTOR_HANDSHAKE_MS }))[0];
  if (scripted !== undefined) {
    engines.push(scripted);
    checks.push(engineCheck(scripted));
  }
  for (const name of config === undefined ? CONFIGURABLE_PRESETS : engineNames(config)) {
    if (config === undefined) {
      const [found] = await detectEngines({ engines: [name], env: ctx.env, handshakeMs: handshakeFlagMs ?? DEFAULT_DOCTOR_HANDSHAKE_MS });
      if (found !== undefined) {
        engines.push(found);
        checks.push(engineCheck(found));
      }
      continue;
    }
    const resolved = resolveEngineSpec(config, name, { env: ctx.env, requireCommand: false });
    if (!resolved.ok) {
      engines.push(unresolvedEngine(name, resolved.error.message));
      checks.push({ name: `engine ${name}`, status: "warn", detail: `cannot start: ${resolved.error.message}`, fix: resolved.error.fix });
      continue;
    }
    const { spec, command } = resolved.value;
    // The config's own deadline, not the spec's (which carries the session default).
    const handshakeMs = handshakeFlagMs ?? config.engines[name]?.entry.deadlines?.handshakeMs ?? DEFAULT_DOCTOR_HANDSHAKE_MS;
    const [found] = await detectEngines({ engines: [{ ...spec, command }], env: ctx.env, handshakeMs });
    if (found === undefined) continue;
    engines.push(found);
    const check = engineCheck(found);
    // "run X by hand": the whole command line, as configured.
    if (check.fix?.startsWith(`run ${found.path ?? found.command} by hand`) === true && spec.args.length > 0) {
      check.fix = check.fix.replace(`run ${found.path ?? found.command} by hand`, `run ${[found.path ?? found.command, ...spec.args].join(" ")} by hand`);
    }
    if (!found.found && config.engines[name]?.entry.command !== undefined) check.fix = `install it, or correct engines.${name}.command in ${resolved.value.files.at(-1)}`;
    checks.push(check);
  }
  return { engines, checks };
}

/** Which engine `omk goal run` picks with no --engine, and why (as resolveEngine does). */
function defaultEngine(ctx: Context, config: OmkConfig | undefined): { name: string; why: string } | undefined {
  const fromEnv = (ctx.env["OMK_ENGINE"] ?? "").trim();
  if (fromEnv !== "") return { name: fromEnv, why: "OMK_ENGINE" };
  if (config?.defaultEngine !== undefined) return { name: config.defaultEngine.name, why: `defaultEngine in ${config.defaultEngine.file}` };
  const first = config === undefined ? undefined : firstInstalledPreset(ctx, config);
  return first === undefined ? undefined : { name: first, why: "the first preset installed" };
}

/**
 * One line on what `omk goal run` can use: the engines that completed a
 * handshake, and whether the one it picks by default is among them. The fixes
 * of the single engines are on their own lines above and not repeated.
 */
function engineSummary(ctx: Context, config: OmkConfig | undefined, engines: readonly DetectedEngine[]): DoctorCheck {
  const usable = engines.filter((e) => e.name !== "scripted" && e.found && e.handshake.status === "ok").map((e) => e.name);
  const unusable = engines.filter((e) => e.name !== "scripted" && !usable.includes(e.name)).map((e) => e.name);
  if (usable.length === 0) {
    return {
      name: "engines",
      status: "warn",
      detail: `no real engine completed a handshake (${unusable.join(", ")}): omk goal run needs one`,
      fix: "make one work (each engine's line above says how), or run goals with --engine scripted --script FILE",
    };
  }
  const chosen = defaultEngine(ctx, config);
  const others = unusable.length === 0 ? "" : `; not usable: ${unusable.join(", ")}`;
  if (config === undefined) {
    // The invalid config (its own check above) is why: omk goal run stops at it before choosing any engine.
    return {
      name: "engines",
      status: "warn",
      detail: `usable: ${usable.join(", ")}${others}; but omk goal run stops at the invalid config file (see the config line above) before it picks an engine`,
      fix: "correct the config file as the config line says",
    };
  }
  if (chosen !== undefined && !usable.includes(chosen.name)) {
    return {
      name: "engines",
      status: "warn",
      detail: `usable: ${usable.join(", ")}${others}; but omk goal run picks ${chosen.name} (${chosen.why}), which did not complete a handshake`,
      fix: `pass --engine ${usable[0]}, or set defaultEngine: ${usable[0]} in a config file (or OMK_ENGINE=${usable[0]})`,
    };
  }
  if (chosen === undefined) {
    return {
      name: "engines",
      status: "warn",
      detail: `usable: ${usable.join(", ")}${others}; but omk goal run has no default engine (none named, no preset on PATH)`,
      fix: `pass --engine ${usable[0]}, or set defaultEngine: ${usable[0]} in a config file (or OMK_ENGINE=${usable[0]})`,
    };
  }
  return { name: "engines", status: "ok", detail: `usable: ${usable.join(", ")}${others} (omk goal run uses ${chosen.name}: ${chosen.why}; --engine NAME chooses another)` };
}

function checkGithub(env: NodeJS.ProcessEnv): DoctorCheck & { token: "set" | "not set"; variable?: string } {
  // Never print the value: only which variable holds one.
  const variable = ["GITHUB_TOKEN", "GH_TOKEN"].find((v) => (env[v] ?? "").trim() !== "");
  return variable === undefined
    ? { name: "github token", status: "warn", detail: "not set (GITHUB_TOKEN, GH_TOKEN)", fix: "export GITHUB_TOKEN=<a token with repo scope> (or GH_TOKEN) to open pull requests and read issues", token: "not set" }
    : { name: "github token", status: "ok", detail: `set (${variable})`, token: "set", variable };
}

/**
 * `omk doctor`: is this machine ready to run omk? Checks git, node, the state
 * dir, the config files, every engine (version and a real handshake) and the
 * GitHub token. The headline says "ready" only when at least one real engine
 * completed a handshake. Exit 0 when git, node and the state dir are fine
 * (engines and token are warnings), 2 when a config file is invalid, 6 otherwise.
 */
export async function doctor(ctx: Context, opts: { json?: boolean; handshakeTimeout?: string; trustRepoConfig?: boolean }): Promise<number> {
  const handshakeFlagMs = opts.handshakeTimeout === undefined ? undefined : parseTimeOption("--handshake-timeout", opts.handshakeTimeout);
  const git = await checkGit(ctx.env);
  const node = checkNode();
  const sandbox = await checkSandbox(ctx.env);
  const stateDir = checkStateDir(ctx.env);
  let config: OmkConfig | undefined;
  let configCheck: DoctorCheck;
  try {
    // An untrusted repo file is a failed check (exit 2); its engines are not started (the presets are checked as they are).
    config = readConfig(ctx, undefined, { trustRepo: opts.trustRepoConfig });
    const files = [config.files.user, config.files.repo].flatMap((f) => (f === undefined ? [] : [`${f.scope} ${f.path}${f.exists ? "" : " (none)"}`]));
    configCheck = { name: "config", status: "ok", detail: files.join(", ") };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    configCheck = { name: "config", status: "fail", detail: error.message, ...(error.fix === undefined ? {} : { fix: error.fix }) };
  }
  const { engines, checks: engineChecks } = await checkEngines(ctx, config, handshakeFlagMs);
  const github = checkGithub(ctx.env);
  const { path: statePath, source, writable, ...stateCheck } = stateDir;
  const { token, variable, ...githubCheck } = github;
  const summary = engineSummary(ctx, config, engines);
  const checks: DoctorCheck[] = [git, node, sandbox, stateCheck, configCheck, ...engineChecks, summary, githubCheck];
  const failed = checks.filter((c) => c.status === "fail");
  const exitCode = configCheck.status === "fail" ? EXIT.usage : failed.length === 0 ? EXIT.ok : EXIT.failedInfra;
  const usable = engines.filter((e) => e.name !== "scripted" && e.found && e.handshake.status === "ok").map((e) => e.name);
  if (opts.json) {
    printJson(ctx, {
      ok: failed.length === 0,
      ready: failed.length === 0 && usable.length > 0,
      usableEngines: usable,
      exitCode,
      checks,
      stateDir: { path: statePath, source, writable },
      engines,
      github: { token, ...(variable === undefined ? {} : { variable }) },
    });
    return exitCode;
  }
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    // A detail carries an agent's own words (its version, a handshake error): one line, escapes visible.
    ctx.stdout(`${terminalSafe(`${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}${c.fix === undefined || c.status === "ok" ? "" : ` — fix: ${printable(c.fix)}`}`)}\n`);
  }
  const warnings = checks.filter((c) => c.status === "warn").length;
  const warned = warnings === 0 ? "" : ` (${warnings} warning${warnings === 1 ? "" : "s"})`;
  if (failed.length > 0) ctx.stdout(`omk is not ready: ${failed.map((c) => c.name).join(", ")} (exit ${exitCode})\n`);
  else if (usable.length === 0) ctx.stdout(`omk is not ready for real goals: no engine completed a handshake; only scripted goals run (--engine scripted --script FILE)${warned}\n`);
  else ctx.stdout(`omk is ready: ${usable.join(", ")} completed a handshake${warned}\n`);
  return exitCode;
}
