import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { z } from "zod";
import { EngineAuthRequiredError } from "./errors.js";
import { protocolMismatch } from "./session.js";
import { findCommand } from "./internal/find-command.js";
import { engineEnv } from "./internal/isolation.js";
import { identifyKimi } from "./internal/kimi-binary.js";
import { ENGINE_PRESET_NAMES, enginePreset, scriptedEngine } from "./presets.js";
import type { EngineSpec, EngineSpecInput } from "./schemas/engine.js";
import { openSession } from "./session.js";

export { findCommand };

export const DetectedEngineSchema = z.object({
  name: z.string(),
  protocol: z.enum(["acp", "kimi-wire"]),
  command: z.string(),
  /** Absolute path of the command, when found. */
  path: z.string().optional(),
  found: z.boolean(),
  version: z.string().optional(),
  /**
   * Which program the command is, for commands two programs install (`kimi`:
   * Kimi Code 2.x speaks ACP, the Python kimi CLI speaks Kimi Wire), and the
   * protocol it speaks. Absent when OMK cannot tell.
   */
  binary: z.object({ kind: z.enum(["kimi-code", "kimi-cli"]), speaks: z.enum(["acp", "kimi-wire"]), description: z.string() }).optional(),
  handshake: z.object({
    /** ok: a session opened; auth_required: it runs but needs a login; failed: it did not speak the protocol; skipped: not found. */
    status: z.enum(["ok", "auth_required", "failed", "skipped"]),
    detail: z.string().optional(),
    agentName: z.string().optional(),
    agentVersion: z.string().optional(),
    durationMs: z.number().optional(),
    /** How to make it work (auth_required: how to log in). */
    fix: z.string().optional(),
  }),
});
export type DetectedEngine = z.infer<typeof DetectedEngineSchema>;

/** detectEngines' default handshake deadline per engine. */
export const DEFAULT_DETECT_HANDSHAKE_MS = 120_000;

export type DetectOptions = {
  /** Engines to look for (default: every preset but scripted). `scripted` handshakes the bundled scripted agent with an empty scenario. */
  engines?: ReadonlyArray<string | EngineSpec>;
  /** Per-preset overrides (e.g. a command path in a cache folder). */
  overrides?: Record<string, Partial<EngineSpecInput>>;
  /** Environment used to find commands (PATH) and to run them (default: this process's). */
  env?: Record<string, string | undefined>;
  /** Deadline of each engine's handshake (default DEFAULT_DETECT_HANDSHAKE_MS, 120 s: a loaded machine can take a minute to start an agent). */
  handshakeMs?: number;
  /** Skip the handshake: only find the command and its version. */
  versionOnly?: boolean;
};

/**
 * Finds installed engines with their version and the result of a real
 * handshake (initialize and session/new in a scratch folder), for `omk
 * doctor`. Each engine runs as its spec's `home` says (default: with the
 * user's own login and config, so the answer is what a goal would meet).
 * Engines are probed one after the other.
 */
export async function detectEngines(options: DetectOptions = {}): Promise<DetectedEngine[]> {
  const env = options.env ?? process.env;
  const wanted = options.engines ?? ENGINE_PRESET_NAMES.filter((n) => n !== "scripted");
  const out: DetectedEngine[] = [];
  for (const entry of wanted) {
    let spec: EngineSpec;
    if (entry === "scripted") {
      out.push(await detectScripted(env, options));
      continue;
    }
    if (typeof entry === "string") {
      const preset = enginePreset(entry, options.overrides?.[entry] ?? {});
      if (!preset.ok) {
        out.push({ name: entry, protocol: "acp", command: entry, found: false, handshake: { status: "failed", detail: preset.error.message } });
        continue;
      }
      spec = preset.value;
    } else {
      spec = entry;
    }
    out.push(await detectOne(spec, env, options));
  }
  return out;
}

/** The scripted engine (bundled with OMK) handshaking with an empty scenario. */
async function detectScripted(env: Record<string, string | undefined>, options: DetectOptions): Promise<DetectedEngine> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omk-detect-scenario-"));
  try {
    const file = path.join(dir, "scenario.json");
    writeFileSync(file, `${JSON.stringify({ version: 1, name: "omk doctor handshake", turns: [] })}\n`);
    let spec: EngineSpec;
    try {
      spec = scriptedEngine(file, options.overrides?.["scripted"] ?? {});
    } catch (cause) {
      return {
        name: "scripted",
        protocol: "acp",
        command: "omk-scripted-agent",
        found: false,
        handshake: { status: "skipped", detail: `the scripted agent is not available: ${cause instanceof Error ? cause.message : String(cause)}` },
      };
    }
    return await detectOne(spec, env, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function detectOne(spec: EngineSpec, env: Record<string, string | undefined>, options: DetectOptions): Promise<DetectedEngine> {
  const found = findCommand(spec.command, env);
  const base = { name: spec.name, protocol: spec.protocol, command: spec.command };
  if (found === undefined) return { ...base, found: false, handshake: { status: "skipped", detail: `${spec.command} not found on PATH` } };
  const scratch = mkdtempSync(path.join(os.tmpdir(), "omk-detect-"));
  try {
    const runDir = path.join(scratch, "run");
    const cwd = path.join(scratch, "work");
    const built = engineEnv(env, runDir, spec);
    if (!built.ok)
      return {
        ...base,
        path: found,
        found: true,
        handshake: { status: "failed", detail: built.error.message, ...(built.error.fix ? { fix: built.error.fix } : {}) },
      };
    const childEnv = built.value;
    const version = await execa(found, spec.versionArgs, { env: childEnv, extendEnv: false, reject: false, timeout: 15_000, cwd: scratch, stdin: "ignore" });
    const versionText = `${version.stdout ?? ""}`.trim().split("\n")[0]?.trim();
    const result: DetectedEngine = { ...base, path: found, found: true, ...(versionText ? { version: versionText } : {}), handshake: { status: "skipped" } };
    const binary = isKimiCommand(spec, found) ? await identifyKimi(found, spec.args, childEnv) : undefined;
    if (binary !== undefined) result.binary = binary;
    if (binary !== undefined && binary.speaks !== spec.protocol) {
      const mismatch = protocolMismatch(spec, found, binary);
      result.handshake = { status: "failed", detail: mismatch.message, ...(mismatch.fix ? { fix: mismatch.fix } : {}) };
      return result;
    }
    if (options.versionOnly) return result;
    mkdirSync(cwd, { recursive: true });
    const started = Date.now();
    const session = await openSession({
      engine: { ...spec, command: found },
      cwd,
      env,
      runDir,
      deadlines: { handshakeMs: options.handshakeMs ?? DEFAULT_DETECT_HANDSHAKE_MS, killGraceMs: 1_000 },
    });
    const durationMs = Date.now() - started;
    if (session.ok) {
      const agent = session.value.agent;
      await session.value.close();
      result.handshake = {
        status: "ok",
        durationMs,
        ...(agent.name ? { agentName: agent.name } : {}),
        ...(agent.version ? { agentVersion: agent.version } : {}),
      };
    } else {
      const agent = session.error instanceof EngineAuthRequiredError ? session.error.agent : undefined;
      result.handshake = {
        status: session.error.code === "OMK_WIRE_AUTH_REQUIRED" ? "auth_required" : "failed",
        detail: session.error.message,
        durationMs,
        ...(agent?.name ? { agentName: agent.name } : {}),
        ...(agent?.version ? { agentVersion: agent.version } : {}),
        ...(session.error.fix ? { fix: session.error.fix } : {}),
      };
    }
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A `kimi` command (by name, or a Kimi preset): two different programs install one. */
function isKimiCommand(spec: EngineSpec, found: string): boolean {
  return (
    path.basename(spec.command) === "kimi" ||
    path.basename(found) === "kimi" ||
    spec.name === "kimi" ||
    spec.name === "kimi-wire" ||
    spec.usageLog === "kimi_session_log"
  );
}
