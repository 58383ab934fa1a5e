// Helpers of the session, script book and task runner tests: script books on disk, waiting, engine processes.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "@omk/test-fixtures";
import { stringify } from "yaml";
import type { ScriptBookInput } from "../src/script-book.js";

/** Writes a script book (YAML) to a fresh temp dir; returns its path. */
export function writeBook(book: ScriptBookInput, name = "book.yaml"): string {
  const file = path.join(makeTempDir("omk-book-"), name);
  writeFileSync(file, name.endsWith(".json") ? JSON.stringify(book) : stringify(book));
  return file;
}

/** Polls until `check` holds (or throws after `ms`). */
export async function until(check: () => boolean, ms = 15_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Pids of live processes whose command line mentions `needle` (Linux /proc). */
export function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/u.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
      if (cmdline.includes(needle) && state !== "Z" && state !== "X") found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
