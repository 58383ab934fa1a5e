import { lstat, readdir, realpath } from "node:fs/promises";
import path from "node:path";

/** Real path of `p`, or null when it does not exist. */
export async function realpathOrNull(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch {
    return null;
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether `child` is `parent` or lies below it (both absolute and normalized). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel));
}

/** The path of `child` relative to `parent` with "/" separators. */
export function relativePosix(parent: string, child: string): string {
  return path.relative(parent, child).split(path.sep).join("/");
}

export async function isEmptyDir(p: string): Promise<boolean> {
  try {
    return (await readdir(p)).length === 0;
  } catch {
    return false;
  }
}
