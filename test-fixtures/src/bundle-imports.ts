import { readFileSync } from "node:fs";
import path from "node:path";

/** The files a built module imports statically (relative chunks) and the bare specifiers it imports (packages, builtins). */
export function staticImports(file: string): { chunks: string[]; bare: string[] } {
  const specs = [...readFileSync(file, "utf8").matchAll(/^(?:import|export)\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
  return { chunks: specs.filter((s) => s.startsWith(".")).map((s) => path.resolve(path.dirname(file), s)), bare: specs.filter((s) => !s.startsWith(".")) };
}

/** Every file loaded before `file` runs, with it: the closure of its static imports (a bin's start-up). */
export function startUpClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const chunk of staticImports(file).chunks) startUpClosure(chunk, seen);
  return seen;
}
