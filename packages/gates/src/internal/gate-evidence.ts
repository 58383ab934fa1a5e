/**
 * Evidence a gate run leaves beyond its logs: the hold on node:test's report
 * file (a report renamed over it during the run is not read as the
 * runner's), and a golden gate's digests (exit code, stdout, output files)
 * that only a comparison with the baseline judges.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sha256 } from "@omk/core";
import type { GoldenResult } from "../schemas/result.js";

/**
 * node:test's report file (named in NODE_OPTIONS, which the code under test
 * can read): made empty before the run and its identity (dev, inode) kept;
 * the returned check says why the report is not the runner's when the path
 * names another file afterwards (a forged report renamed over it while the
 * reporter went on writing the old inode). Nothing for other runners.
 */
export function holdReport(plan: { runner: string } | undefined, file: string | undefined): (() => string | undefined) | undefined {
  if (plan?.runner !== "node:test" || file === undefined) return undefined;
  writeFileSync(file, "");
  const made = statSync(file);
  return () => {
    try {
      const now = statSync(file);
      if (now.dev === made.dev && now.ino === made.ino) return now.size === 0 ? `the JUnit report ${path.basename(file)} was not written` : undefined;
    } catch {
      // removed: not the runner's report either
    }
    return `the JUnit report ${path.basename(file)} was replaced during the run (not the file the runner wrote): its cases are not read`;
  };
}

export function goldenDigest(cwd: string, exitCode: number | null, stdoutSha256: string, outputs: readonly string[]): Omit<GoldenResult, "checks"> {
  return {
    exitCode,
    stdoutSha256,
    outputs: outputs.map((rel) => {
      try {
        const buf = readFileSync(path.resolve(cwd, rel));
        return { path: rel, sha256: sha256(buf), bytes: buf.length };
      } catch {
        return { path: rel, sha256: null, bytes: null };
      }
    }),
  };
}
