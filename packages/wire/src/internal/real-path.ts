/**
 * Path helpers of the sandbox policy: a path with its symbolic links
 * resolved (or as given when it does not resolve), whether a path exists,
 * and whether one path is inside another.
 */
import { realpathSync } from "node:fs";
import path from "node:path";

/** The path with its symbolic links followed; a path that does not resolve, as given (absolute). */
export function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** Whether the path resolves (through its symbolic links). */
export function exists(p: string): boolean {
  try {
    realpathSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether `child` is `parent` or inside it. */
export const isWithin = (parent: string, child: string) => {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
};
