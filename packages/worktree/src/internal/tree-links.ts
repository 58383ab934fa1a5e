// Where a symlink leads inside a repository tree: resolved component by component, following the tree's own symlinks.
import path from "node:path";

/** Links followed before a destination counts as a loop (the kernel's limit). */
export const MAX_TREE_LINK_HOPS = 40;

export type TreeDestination =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly reason: "outside" | "absolute" | "loop"; readonly via: string };

function isAbsoluteText(target: string): boolean {
  return target === "" || path.posix.isAbsolute(target) || target.startsWith("\\") || /^[A-Za-z]:/.test(target);
}

/**
 * Where the symlink at repository path `file` (link text `target`) leads,
 * repository-relative ("." for the root). A component that is itself a
 * symlink in `links` (repository path to link text) is replaced by its
 * target before any later `..` applies, as the file system would do; so
 * `a -> .` plus `l -> a/a/../../x` leads to `../x`, not `x`. `via` names the
 * link whose text left the repository (or the one where the hop limit ran out).
 */
export function resolveInTree(file: string, target: string, links: ReadonlyMap<string, string>): TreeDestination {
  const dir = path.posix.dirname(file);
  const resolved = dir === "." ? [] : dir.split("/");
  if (isAbsoluteText(target)) return { ok: false, reason: "absolute", via: file };
  let rest = target.split("/");
  let via = file;
  let hops = 0;
  while (rest.length > 0) {
    const [part = "", ...tail] = rest;
    rest = tail;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (resolved.length === 0) return { ok: false, reason: "outside", via };
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, part].join("/");
    const link = links.get(candidate);
    if (link === undefined) {
      resolved.push(part);
      continue;
    }
    hops += 1;
    via = candidate;
    if (hops > MAX_TREE_LINK_HOPS) return { ok: false, reason: "loop", via };
    if (isAbsoluteText(link)) return { ok: false, reason: "absolute", via };
    rest = [...link.split("/"), ...rest];
  }
  return { ok: true, path: resolved.length === 0 ? "." : resolved.join("/") };
}
