/**
 * Confinement of engine processes and the commands OMK runs for them through
 * its ACP terminal: a bubblewrap (bwrap) sandbox described by an ordered,
 * typed list of mounts. The caller (@omk/sessions, through @omk/proof's
 * sessionConfinement) builds the policy and
 * passes it in the session options; wire only turns it into bwrap's argv.
 * This file holds the policy's schemas, the argv, and the engines' own
 * folders; the standard policy is ./confine-policy.ts, the host's sockets
 * ./confine-sockets.ts, probing bwrap and what an engine must see
 * ./confine-probe.ts. See docs/decisions/confinement.md.
 */
import path from "node:path";
import { z } from "zod";
import { WireError } from "./errors.js";
import { ENGINE_HOME_VARS } from "./internal/isolation.js";
import { RefusalWatchSchema } from "./refusals.js";

const AbsolutePathSchema = z.string().refine((p) => path.isAbsolute(p) && !p.split("/").includes(".."), "an absolute path without ..");

/**
 * One mount, applied in list order (a later mount covers an earlier one at
 * the same or an enclosing path):
 * - `ro-bind`: `source` visible read-only at `target` (default: the same path);
 * - `bind`: `source` writable at `target`;
 * - `tmpfs`: an empty private folder over `target` (hides what was there);
 * - `dev`: a minimal /dev; `proc`: a /proc of the sandbox's own pid namespace;
 * - `remount-ro`: makes the mount at `target` read-only (a tmpfs that hides
 *   a folder, once the mounts inside it are made, so nothing can be written there).
 */
export const MountSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("ro-bind"), source: AbsolutePathSchema, target: AbsolutePathSchema.optional() }).strict(),
  z.object({ kind: z.literal("bind"), source: AbsolutePathSchema, target: AbsolutePathSchema.optional() }).strict(),
  z.object({ kind: z.literal("tmpfs"), target: AbsolutePathSchema }).strict(),
  z.object({ kind: z.literal("dev"), target: AbsolutePathSchema }).strict(),
  z.object({ kind: z.literal("proc"), target: AbsolutePathSchema }).strict(),
  z.object({ kind: z.literal("remount-ro"), target: AbsolutePathSchema }).strict(),
]);
export type Mount = z.infer<typeof MountSchema>;

/** The sandbox of one process: bwrap's path, the ordered mounts, and whether it shares the host's network. */
export const ConfinementPolicySchema = z
  .object({
    /** Absolute path of bwrap (the one probeConfinement found): nothing is looked up or downloaded at run time. */
    bwrap: AbsolutePathSchema,
    mounts: z.array(MountSchema).min(1),
    /** `shared`: the host's network (an engine reaching its model endpoint); `none`: a private network namespace with only loopback. */
    network: z.enum(["shared", "none"]),
  })
  .strict();
export type ConfinementPolicy = z.infer<typeof ConfinementPolicySchema>;

/** A session's confinement: the engine process's sandbox and the sandbox of each command OMK runs for it. */
export const SessionConfinementSchema = z
  .object({
    engine: ConfinementPolicySchema,
    commands: ConfinementPolicySchema,
    /** What the session's refusal watch judges (src/refusals.ts): a refused write it names becomes a scope event (`source: "sandbox"`). */
    watch: RefusalWatchSchema.optional(),
  })
  .strict();
export type SessionConfinement = z.infer<typeof SessionConfinementSchema>;

/** The confinement mode a run records (proof.json, failure.json). */
export const ConfinementModeSchema = z.enum(["bwrap", "unconfined"]);
export type ConfinementMode = z.infer<typeof ConfinementModeSchema>;

/** This machine cannot run a sandbox: bwrap missing or unable to create namespaces. */
export class ConfinementUnavailableError extends WireError {
  readonly reason: "bwrap_missing" | "namespaces_unavailable";
  constructor(reason: "bwrap_missing" | "namespaces_unavailable", message: string, options: { cause?: unknown; fix?: string } = {}) {
    super("OMK_WIRE_CONFINEMENT_UNAVAILABLE", message, options);
    this.reason = reason;
  }
}

/** The argv that runs `command args` in the policy's sandbox with `cwd` as its working folder. */
export function confinedArgv(policy: ConfinementPolicy, cwd: string, command: string, args: readonly string[]): { command: string; args: string[] } {
  const out: string[] = ["--die-with-parent", "--unshare-all"];
  if (policy.network === "shared") out.push("--share-net");
  for (const mount of policy.mounts) {
    switch (mount.kind) {
      case "ro-bind":
        out.push("--ro-bind", mount.source, mount.target ?? mount.source);
        break;
      case "bind":
        out.push("--bind", mount.source, mount.target ?? mount.source);
        break;
      case "tmpfs":
        out.push("--tmpfs", mount.target);
        break;
      case "dev":
        out.push("--dev", mount.target);
        break;
      case "proc":
        out.push("--proc", mount.target);
        break;
      case "remount-ro":
        out.push("--remount-ro", mount.target);
        break;
    }
  }
  out.push("--chdir", cwd, "--", command, ...args);
  return { command: policy.bwrap, args: out };
}

/**
 * The engines' folders and files in the user's real HOME, by preset name
 * (their login, config, hooks, MCP servers, sessions). In the sandbox they
 * are read-only like the rest of HOME: each engine session has a HOME of its
 * own (wire's isolation.ts), and a refused write to one of these is named as
 * a finding (a hook or MCP server planted there would run unconfined the
 * next time the user starts that agent). See docs/decisions/confinement.md.
 */
export const ENGINE_HOME_FOLDERS: Readonly<Record<string, readonly string[]>> = {
  kimi: [".kimi-code", ".kimi"],
  "kimi-wire": [".kimi"],
  claude: [".claude", ".claude.json"],
  gemini: [".gemini"],
  codex: [".codex"],
  qwen: [".qwen"],
  copilot: [".copilot"],
};
/** Variables that name an engine's own folder: when the engine spec's own `env` sets one, that folder is writable (the user's base environment's are dropped: see wire's isolation.ts). */
export const ENGINE_DIR_VARS: readonly string[] = ENGINE_HOME_VARS;
