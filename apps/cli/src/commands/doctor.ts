import { parseTimeOption } from "../args.js";
import { type Context, printJson } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { doctorText } from "../render/doctor.js";
import { checkConfig, checkGit, checkGithub, checkNode, checkSandbox, checkStateDir, type DoctorCheck } from "./doctor-checks.js";
import { checkEngines, engineSummary } from "./doctor-engines.js";

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
  // An untrusted repo file is a failed check (exit 2); its engines are not started (the presets are checked as they are).
  const { config, check: configCheck } = checkConfig(ctx, opts.trustRepoConfig);
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
  ctx.stdout(doctorText(checks, usable, exitCode));
  return exitCode;
}
