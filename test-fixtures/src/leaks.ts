// Leak checks for process-running code: processes left alive, secrets left in files.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * Whether a process is running. A zombie counts as gone: killed orphans wait
 * for init to reap them, and in some containers init reaps them late, so
 * `kill(pid, 0)` alone would report a dead process as alive.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
  if (process.platform !== "linux") return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Pids written one per line by a fixture script. */
export function readPids(file: string): number[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map(Number);
}

/** Every file under `dir`, recursively (absolute paths). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

/** Files under `dir` whose bytes contain `needle` (e.g. a secret that must not be written anywhere). */
export function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle);
  return listFiles(dir).filter((file) => readFileSync(file).includes(bytes));
}
