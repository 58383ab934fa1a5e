import { existsSync, realpathSync } from "node:fs";
import path from "node:path";

export type ScopeAccess = "read" | "write";
export type ScopeVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Decides whether the engine may read or write a path. `rel` is relative to
 * the session root, with `/` separators, already known to be inside the root
 * (OMK refuses anything outside the root before asking). The caller passes
 * its own rule (for OMK: the task's read and write sets).
 */
export type ScopeCheck = (rel: string, access: ScopeAccess) => ScopeVerdict;

/** Everything inside the root may be read and written. */
export const allowAllInRoot: ScopeCheck = () => ({ allowed: true });

/**
 * A simple scope from path prefixes relative to the root: a folder covers what
 * it contains. Reads are allowed everywhere in the root unless `read` is given.
 */
export function scopeFromPaths(options: { write: readonly string[]; read?: readonly string[] }): ScopeCheck {
  const norm = (p: string) =>
    p
      .replace(/\\/g, "/")
      .replace(/^\.\/+/, "")
      .replace(/\/+$/, "");
  const covers = (prefixes: readonly string[], rel: string) =>
    prefixes.some((prefix) => {
      const p = norm(prefix);
      return p === "" || p === "." || rel === p || rel.startsWith(`${p}/`);
    });
  return (rel, access) => {
    if (access === "write" && !covers(options.write, rel))
      return { allowed: false, reason: `${rel} is outside the write scope (${options.write.join(", ") || "nothing"})` };
    if (access === "read" && options.read !== undefined && !covers([...options.read, ...options.write], rel))
      return { allowed: false, reason: `${rel} is outside the read scope` };
    return { allowed: true };
  };
}

/** The real path of `p`, resolving symlinks of the part that exists (a file being created does not exist yet). */
function realPathOf(p: string): string {
  let head = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    if (existsSync(head)) {
      try {
        return path.join(realpathSync(head), ...rest.reverse());
      } catch {
        // fall through: treat as not existing
      }
    }
    const parent = path.dirname(head);
    if (parent === head) return path.join(head, ...rest.reverse());
    rest.push(path.basename(head));
    head = parent;
  }
}

export type RootCheck = { inside: true; real: string; rel: string } | { inside: false; real: string; reason: string };

/**
 * Whether `target` (absolute, or relative to the root) lies inside `realRoot`
 * once symlinks are resolved, so a link pointing out of the root cannot be
 * used to escape it.
 */
export function checkInRoot(realRoot: string, target: string): RootCheck {
  if (target.includes("\0")) return { inside: false, real: target, reason: `${JSON.stringify(target)} contains a NUL byte` };
  const real = realPathOf(path.isAbsolute(target) ? target : path.join(realRoot, target));
  const rel = path.relative(realRoot, real);
  if (rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))) return { inside: true, real, rel: rel === "" ? "." : rel.split(path.sep).join("/") };
  return { inside: false, real, reason: `${target} is outside the session root ${realRoot}` };
}
