import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { GateInput } from "../../schemas/config.js";

/** One detector's findings: the project it recognized, gates with reasons, candidates left out. */
export type Found = {
  project: { type: "node" | "python" | "rust" | "go" | "make" | "git"; marker: string; reason: string };
  gates: Array<{ gate: GateInput; reason: string }>;
  skipped: Array<{ name: string; reason: string }>;
};

export const has = (dir: string, file: string) => existsSync(path.join(dir, file));

export function read(dir: string, file: string): string | undefined {
  try {
    return readFileSync(path.join(dir, file), "utf8");
  } catch {
    return undefined;
  }
}

export function readJson(dir: string, file: string): Record<string, unknown> | undefined {
  const text = read(dir, file);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The names in `dir`, or none when it cannot be read. */
export function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDir(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** Expand workspace globs of the simple kinds (`packages/*`, `apps/**`, `tools/cli`) to package dirs. */
export function expandWorkspaces(dir: string, patterns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of patterns) {
    if (raw.startsWith("!")) continue;
    const pattern = raw.replace(/\/+$/, "");
    const star = pattern.indexOf("*");
    if (star === -1) {
      if (has(dir, path.join(pattern, "package.json"))) out.add(pattern);
      continue;
    }
    const parent = pattern.slice(0, star).replace(/\/+$/, "");
    const deep = pattern.slice(star).startsWith("**");
    const walk = (rel: string, depth: number) => {
      let entries: string[];
      try {
        entries = readdirSync(path.join(dir, rel));
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry === "node_modules" || entry.startsWith(".")) continue;
        const child = rel === "" ? entry : path.join(rel, entry);
        if (!isDir(path.join(dir, child))) continue;
        if (has(dir, path.join(child, "package.json"))) out.add(child);
        if (deep && depth < 4) walk(child, depth + 1);
      }
    };
    walk(parent, 0);
  }
  return [...out].sort();
}

/** Whether `dir` is inside a git work tree (a `.git` entry here or above). */
export function inGitRepo(dir: string): string | undefined {
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(path.join(current, ".git"))) return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
