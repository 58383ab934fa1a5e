/**
 * The host's unix sockets a sandbox must not reach: the folders where hosts
 * keep them (HOST_SOCKET_DIRS, $XDG_RUNTIME_DIR: hidden whole), the sockets
 * an environment names or that sit in HOME's known socket folders or in the
 * kernel's table (each masked with /dev/null), and the /etc links into a
 * socket folder (shown again, so name resolution still works). Used by
 * sandboxPolicy (./confine-policy.ts). See docs/decisions/confinement.md.
 */
import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { isWithin, real } from "./internal/real-path.js";

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
export function etcLinksInto(dirs: readonly string[]): string[] {
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
