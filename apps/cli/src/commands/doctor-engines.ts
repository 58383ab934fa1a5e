/** The engine checks of `omk doctor`: each engine's version and a real handshake, and which one `omk goal run` would use. */
import { CONFIGURABLE_PRESETS, engineNames, type OmkConfig, resolveEngineSpec } from "@omk/config";
import { type DetectedEngine, detectEngines } from "@omk/wire";
import type { Context } from "../context.js";
import { firstInstalledPreset } from "../engine.js";
import { INSTALL } from "../install-hints.js";
import type { DoctorCheck } from "./doctor-checks.js";

/** The handshake deadline when neither --handshake-timeout nor the engine's deadlines.handshakeMs sets one: generous, for a cold start on a loaded machine. */
const DEFAULT_DOCTOR_HANDSHAKE_MS = 120_000;

function engineCheck(engine: DetectedEngine): DoctorCheck {
  const name = `engine ${engine.name}`;
  const version = engine.version === undefined ? "" : `${engine.version}, `;
  const { handshake } = engine;
  const agent =
    handshake.agentName === undefined ? "" : ` with ${handshake.agentName}${handshake.agentVersion === undefined ? "" : ` ${handshake.agentVersion}`}`;
  const took = handshake.durationMs === undefined ? "" : ` in ${handshake.durationMs} ms`;
  if (!engine.found)
    return { name, status: "warn", detail: `not found (${engine.command})`, fix: INSTALL[engine.name] ?? `install ${engine.command} and put it on PATH` };
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
export async function checkEngines(
  ctx: Context,
  config: OmkConfig | undefined,
  handshakeFlagMs: number | undefined,
): Promise<{ engines: DetectedEngine[]; checks: DoctorCheck[] }> {
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
    if (!found.found && config.engines[name]?.entry.command !== undefined)
      check.fix = `install it, or correct engines.${name}.command in ${resolved.value.files.at(-1)}`;
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
export function engineSummary(ctx: Context, config: OmkConfig | undefined, engines: readonly DetectedEngine[]): DoctorCheck {
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
  return {
    name: "engines",
    status: "ok",
    detail: `usable: ${usable.join(", ")}${others} (omk goal run uses ${chosen.name}: ${chosen.why}; --engine NAME chooses another)`,
  };
}
