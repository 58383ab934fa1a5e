/**
 * Confinement of engine processes and the commands OMK runs for them through
 * its ACP terminal: a bubblewrap (bwrap) sandbox described by an ordered,
 * typed list of mounts. The caller (the controller) builds the policy and
 * passes it in the session options; wire only turns it into bwrap's argv.
 * See docs/decisions/confinement.md.
 */
import { type Dirent, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { z } from "zod";
import { WireError } from "./errors.js";
import { findCommand } from "./internal/find-command.js";
import { RefusalWatchSchema } from "./refusals.js";
import { err, ok, type Result } from "@omk/core";

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

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

const isWithin = (parent: string, child: string) => {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
};

export type PolicyInput = {
  bwrap: string;
  /** Folders made empty (tmpfs): OMK's state root, the repository's `.git`. */
  hidden: readonly string[];
  /**
   * Folders inside a hidden one shown again read-only: the
   * repository's `.git/objects` (checkouts borrow objects through alternates),
   * the engine's command and PATH folders, the user's HOME, the repository.
   * One that is not inside a hidden folder is visible read-only already and left out.
   */
  shownReadOnly: readonly string[];
  /** Folders writable (the task checkout, the engine's run folder, its config and cache folders). */
  writable: readonly string[];
  /** Folders read-only again inside a writable one (a checkout's own git dir). */
  readOnlyAfter: readonly string[];
  network: "shared" | "none";
  /**
   * The sandboxed process's environment (default: this process's; both are
   * read): its `XDG_RUNTIME_DIR` is hidden with the other host socket
   * folders, and the unix sockets its variables name (`SSH_AUTH_SOCK`,
   * `DBUS_SESSION_BUS_ADDRESS`, `DOCKER_HOST`, ...) or that sit in its HOME's
   * known socket folders are masked (see hostSocketDirs, hostSockets).
   */
  env?: Readonly<Record<string, string | undefined>>;
};

/**
 * Folders where a host keeps its unix sockets (docker.sock, dbus, systemd,
 * ssh-agent, X11, tmux, databases). A read-only bind does not stop
 * `connect()` on a socket, so each is an empty tmpfs in the sandbox, sealed
 * read-only like the hidden folders (a write there fails with EROFS and is
 * named, rather than vanishing in memory). `/var/tmp` is not among them:
 * services rarely put sockets there, and it stays the host's, read-only.
 */
export const HOST_SOCKET_DIRS: readonly string[] = ["/tmp", "/run", "/var/run"];

/** The host socket folders for an environment: HOST_SOCKET_DIRS and its `XDG_RUNTIME_DIR` (when set and absolute). */
export function hostSocketDirs(env: Readonly<Record<string, string | undefined>>): string[] {
  const runtime = env["XDG_RUNTIME_DIR"];
  return [...HOST_SOCKET_DIRS, ...(runtime !== undefined && path.isAbsolute(runtime) ? [runtime] : [])];
}

/** HOME folders where tools keep sockets outside the socket folders: ssh ControlMaster, gpg-agent, Docker Desktop, colima, lima, Rancher Desktop, 1Password's agent. */
const HOME_SOCKET_DIRS = [".ssh", ".gnupg", ".docker", ".colima", ".lima", ".rd", ".1password"];

const isSocket = (p: string) => {
  try {
    return statSync(p).isSocket();
  } catch {
    return false;
  }
};

/** The most bound unix sockets taken from the kernel's table (a host with more masks the first ones and says so in the docs). */
const MAX_TABLE_SOCKETS = 4096;

/**
 * Every path-bound unix socket the host's kernel lists in `/proc/net/unix`
 * (listening stream sockets and bound datagram sockets alike), wherever it
 * lives: `/var/snap/lxd/common/lxd/unix.socket`, `/nix/var/nix/daemon-socket/socket`,
 * `/var/lib/<service>/…`, a socket in HOME. Abstract sockets (`@name`) are
 * left out: they live in the network namespace, which agent commands do not
 * share. Paths that no longer name a socket are dropped. Empty where
 * /proc/net/unix cannot be read (not Linux).
 */
function tableSockets(table = "/proc/net/unix"): string[] {
  let text: string;
  try {
    text = readFileSync(table, "latin1");
  } catch {
    return [];
  }
  const out = new Set<string>();
  // "Num: RefCount Protocol Flags Type St Inode Path": the path, when bound, is the rest of the line after the 7th field.
  for (const line of text.split("\n").slice(1)) {
    const m = /^\s*\S+:\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\/.*)$/u.exec(line);
    if (m?.[1] === undefined) continue;
    if (isSocket(m[1])) out.add(real(m[1]));
    if (out.size >= MAX_TABLE_SOCKETS) break;
  }
  return [...out];
}

/**
 * Unix sockets outside the socket folders that the environment points at
 * (any absolute path in a variable's value: `SSH_AUTH_SOCK=/home/u/.1password/agent.sock`,
 * `DOCKER_HOST=unix:///home/u/.docker/run/docker.sock`) or that sit in
 * HOME's known socket folders (two levels deep). Real paths. The sandbox
 * masks each one that it would otherwise show with /dev/null (`connect()`
 * is refused). A socket created after the sandbox starts in a shown folder
 * is not masked (docs/decisions/confinement.md, "Unix sockets").
 */
export function hostSockets(env: Readonly<Record<string, string | undefined>>): string[] {
  const found = new Set<string>();
  const consider = (p: string) => {
    if (isSocket(p)) found.add(real(p));
  };
  for (const value of Object.values(env)) {
    if (value === undefined || value.length > 8192) continue;
    for (const m of value.matchAll(/\/[^\s,;:=]+/g)) consider(m[0]);
  }
  const home = env["HOME"] !== undefined && path.isAbsolute(env["HOME"]) ? env["HOME"] : os.homedir();
  const walk = (dir: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.slice(0, 500)) {
      const p = path.join(dir, entry.name);
      if (entry.isSocket()) found.add(real(p));
      else if (entry.isDirectory() && depth > 0) walk(p, depth - 1);
    }
  };
  for (const rel of HOME_SOCKET_DIRS) walk(path.join(home, rel), 2);
  for (const socket of tableSockets()) found.add(socket);
  return [...found];
}

/** Files `/etc` links into a socket folder (`/etc/resolv.conf` -> `/run/systemd/resolve/stub-resolv.conf`): shown read-only again, so name resolution still works. */
function etcLinksInto(dirs: readonly string[]): string[] {
  const out: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync("/etc", { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!entry.isSymbolicLink()) continue;
    const target = real(path.join("/etc", entry.name));
    if (dirs.some((d) => isWithin(d, target)) && !isSocket(target)) out.push(target);
  }
  return out;
}

/**
 * The standard policy: the whole filesystem read-only, a minimal /dev, a
 * private /proc, then `hidden` and the host's socket folders (hostSocketDirs:
 * /tmp, /run, $XDG_RUNTIME_DIR) covered by empty read-only folders,
 * `shownReadOnly` bound back read-only, `writable` bound writable,
 * `readOnlyAfter` bound read-only, and the host sockets still shown masked. Mounts are ordered by depth (a
 * deeper path is mounted after the folder that holds it, so it is not
 * covered); at the same path the later category wins. Paths are resolved
 * (symbolic links followed); a missing path is left out.
 */
export function sandboxPolicy(input: PolicyInput): ConfinementPolicy {
  const existing = (list: readonly string[]) => [...new Set(list.map(real))].filter((p) => path.isAbsolute(p) && exists(p));
  // The host's socket folders (/tmp, /run, $XDG_RUNTIME_DIR) are hidden like OMK's state: empty, sealed read-only (a write to /tmp fails with EROFS and is named);
  // the paths the policy grants inside them (a checkout or state root under /tmp, the engine's TMPDIR) are bound again below. One of them granted whole is not.
  const envs = [process.env, ...(input.env === undefined ? [] : [input.env])];
  // A runtime folder inside a granted writable one (an engine's own XDG_RUNTIME_DIR in its run folder) is the engine's, not the host's.
  const granted = existing(input.writable);
  const socketDirs = existing(envs.flatMap(hostSocketDirs)).filter((d) => !granted.some((w) => w !== d && isWithin(w, d)));
  const topSocketDirs = socketDirs.filter((d) => !socketDirs.some((o) => o !== d && isWithin(o, d)));
  const notSocketDir = (p: string) => !socketDirs.includes(p);
  const hidden = existing([...input.hidden, ...topSocketDirs]).filter((p) => p !== "/");
  const layers: Array<{ rank: number; mount: Mount }> = [];
  for (const target of hidden) layers.push({ rank: 0, mount: { kind: "tmpfs", target } });
  for (const source of existing([...input.shownReadOnly, ...etcLinksInto(topSocketDirs)]).filter(notSocketDir))
    if (hidden.some((h) => isWithin(h, source))) layers.push({ rank: 1, mount: { kind: "ro-bind", source } });
  for (const source of existing(input.writable).filter(notSocketDir)) layers.push({ rank: 2, mount: { kind: "bind", source } });
  for (const source of existing(input.readOnlyAfter).filter(notSocketDir)) layers.push({ rank: 3, mount: { kind: "ro-bind", source } });
  const at = (m: Mount) => ("target" in m && m.target !== undefined ? m.target : (m as { source: string }).source);
  const depth = (p: string) => p.split("/").filter((s) => s !== "").length;
  // The same path twice: only the last category's mount is kept.
  const byPath = new Map<string, { rank: number; mount: Mount }>();
  for (const layer of layers) byPath.set(at(layer.mount), layer);
  const ordered = [...byPath.values()].sort((a, b) => depth(at(a.mount)) - depth(at(b.mount)) || a.rank - b.rank).map((l) => l.mount);
  // Hidden folders become read-only once everything inside them is mounted: a write there fails (EROFS) instead of landing in memory.
  const sealed: Mount[] = ordered.flatMap((m): Mount[] => (m.kind === "tmpfs" ? [{ kind: "remount-ro", target: m.target }] : []));
  // A host socket the sandbox would still show (in HOME, the repository, a granted folder) is masked with /dev/null: connect() is refused. Before sealing: the mask's target must exist.
  const shownBy = (p: string) => ordered.filter((m) => isWithin(at(m), p)).sort((a, b) => depth(at(b)) - depth(at(a)))[0];
  const masks: Mount[] = [...new Set(envs.flatMap(hostSockets))]
    .filter((s) => shownBy(s)?.kind !== "tmpfs")
    .map((s) => ({ kind: "ro-bind", source: "/dev/null", target: s }));
  const mounts: Mount[] = [
    { kind: "ro-bind", source: "/" },
    { kind: "dev", target: "/dev" },
    { kind: "proc", target: "/proc" },
    ...ordered,
    ...masks,
    ...sealed,
  ];
  return ConfinementPolicySchema.parse({ bwrap: input.bwrap, mounts, network: input.network });
}

function exists(p: string): boolean {
  try {
    realpathSync(p);
    return true;
  } catch {
    return false;
  }
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
export const ENGINE_DIR_VARS: readonly string[] = [
  "KIMI_CODE_HOME",
  "KIMI_SHARE_DIR",
  "CLAUDE_CONFIG_DIR",
  "CODEX_HOME",
  "GEMINI_CLI_HOME",
  "QWEN_HOME",
  "QWEN_RUNTIME_DIR",
];

export type ProbeResult = { bwrap: string; version: string };

/**
 * Whether this machine can sandbox: bwrap found on PATH (of `env`) and able
 * to create the namespaces OMK uses (one real sandboxed `true`). Run once at
 * start. Failures say what to do: install bubblewrap, enable user namespaces,
 * or pass --unconfined.
 */
export async function probeConfinement(
  env: Record<string, string | undefined> = process.env,
  timeoutMs = 20_000,
): Promise<Result<ProbeResult, ConfinementUnavailableError>> {
  const bwrap = findCommand("bwrap", env);
  if (bwrap === undefined) {
    return err(
      new ConfinementUnavailableError("bwrap_missing", "cannot confine agents: bubblewrap (bwrap) is not on PATH", {
        fix: "install bubblewrap (apt-get install bubblewrap), or pass --unconfined to run agents without a sandbox",
      }),
    );
  }
  const trueCmd = findCommand("true", env) ?? "/bin/true";
  const run = await execa(
    bwrap,
    ["--die-with-parent", "--unshare-all", "--share-net", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--", trueCmd],
    {
      env: { PATH: env["PATH"] ?? "/usr/bin:/bin" },
      extendEnv: false,
      reject: false,
      stdin: "ignore",
      timeout: timeoutMs,
    },
  );
  if (run.exitCode !== 0) {
    const why = `${run.stderr ?? ""}`.trim().split("\n")[0] ?? "";
    return err(
      new ConfinementUnavailableError(
        "namespaces_unavailable",
        `cannot confine agents: ${bwrap} cannot create a sandbox here${why === "" ? ` (exit ${run.exitCode ?? run.signal})` : `: ${why}`}`,
        {
          fix: "enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0), or pass --unconfined",
        },
      ),
    );
  }
  const version = await execa(bwrap, ["--version"], { reject: false, stdin: "ignore", timeout: timeoutMs });
  return ok({ bwrap, version: `${version.stdout ?? ""}`.trim() });
}

/**
 * What an engine must see to start, for `shownReadOnly`: the folder of its
 * command (symbolic links followed: a wrapper and what it points at), of
 * each absolute path among its arguments (an entry script, a scenario
 * file), and each folder on its PATH. Only those inside a hidden folder
 * are bound; the rest are visible read-only already.
 */
export function engineVisiblePaths(command: string, args: readonly string[], env: Record<string, string | undefined>): string[] {
  const out = new Set<string>();
  const show = (file: string) => {
    for (const p of [file, real(file)]) {
      out.add(path.dirname(p));
      for (const dir of packageDirs(path.dirname(p))) out.add(dir);
    }
  };
  const found = findCommand(command, env);
  if (found !== undefined) show(found);
  for (const arg of args) {
    if (!path.isAbsolute(arg) || !exists(arg)) continue;
    show(arg);
  }
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) if (path.isAbsolute(dir)) out.add(dir);
  return [...out];
}

/**
 * What a script in `dir` loads besides its own folder: the package it belongs
 * to (the nearest folder up with a package.json: its dist/ imports ../package.json,
 * ../examples) and every `node_modules` folder on the way up, as Node resolves
 * them. Needed where an ancestor is hidden (a package installed under /tmp,
 * which the sandbox empties): `npm pack`ed CLIs in tests, `npx` caches with TMPDIR=/tmp.
 */
function packageDirs(dir: string): string[] {
  const out: string[] = [];
  let packageRoot: string | undefined;
  for (let at = dir; ; at = path.dirname(at)) {
    if (packageRoot === undefined && exists(path.join(at, "package.json"))) packageRoot = at;
    if (exists(path.join(at, "node_modules"))) out.push(path.join(at, "node_modules"));
    if (path.dirname(at) === at) break;
  }
  if (packageRoot !== undefined && packageRoot !== "/") out.push(packageRoot);
  return out;
}
