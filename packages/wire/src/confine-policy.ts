/**
 * The standard sandbox policy (sandboxPolicy): from the folders a session
 * hides, shows read-only, makes writable and read-only again, to the
 * ordered mounts bwrap applies, with the host's socket folders hidden and
 * its remaining sockets masked (./confine-sockets.ts). See
 * docs/decisions/confinement.md ("The policy").
 */
import path from "node:path";
import { type ConfinementPolicy, ConfinementPolicySchema, type Mount } from "./confine.js";
import { etcLinksInto, hostSocketDirs, hostSockets } from "./confine-sockets.js";
import { exists, isWithin, real } from "./internal/real-path.js";

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
