// A reader that goes away (`omk goal status --json | true`): the write fails with EPIPE. Before issue 14
// that was a stack trace and exit 1; now the built binary stops writing to the closed stream, finishes,
// and exits with the command's own code, quietly (apps/cli/src/bin.ts handles it once for every command).
import { spawn } from "node:child_process";
import { cleanupTempDirs, makeTempDir, omkBinPath, runOmk } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { makeRepo } from "./cli-goal-fixture.js";

afterAll(cleanupTempDirs);

/** Run the built omk with its stdout (or stderr) a pipe whose reading end is closed before it writes. */
function withClosedReader(
  args: string[],
  options: { stateDir: string; cwd: string; close: "stdout" | "stderr" },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; other: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [omkBinPath, ...args], {
      cwd: options.cwd,
      env: { ...process.env, OMK_STATE_DIR: options.stateDir, NO_COLOR: "1", CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The reading end goes away at once, long before the child has started and written anything.
    child[options.close].destroy();
    let other = "";
    const keep = options.close === "stdout" ? child.stderr : child.stdout;
    keep.on("data", (chunk: Buffer) => {
      other += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, other }));
  });
}

describe("EPIPE: the reader of omk's output went away", () => {
  it("goal status --json, goal list --json, --help and a usage error end quietly with their own exit codes", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const created = await runOmk(["goal", "create", "Add a slugify helper", "--json"], { stateDir, cwd: repo });
    expect(created.exitCode, created.stderr).toBe(0);
    const cases: Array<[string[], "stdout" | "stderr", number]> = [
      [["goal", "status", "--json"], "stdout", 0],
      [["goal", "status"], "stdout", 0],
      [["goal", "list", "--json"], "stdout", 0],
      [["goal", "show", "--format", "md"], "stdout", 0],
      [["--help"], "stdout", 0],
      // The error line goes to stderr, whose reader is gone: still exit 2, and nothing else breaks.
      [["goal", "status", "no-such-goal"], "stderr", 2],
    ];
    for (const [args, close, expected] of cases) {
      const open = await runOmk(args, { stateDir, cwd: repo });
      expect(open.exitCode, args.join(" ")).toBe(expected);
      const r = await withClosedReader(args, { stateDir, cwd: repo, close });
      expect(r.signal, args.join(" ")).toBeNull();
      expect(r.code, `${args.join(" ")}: ${r.other}`).toBe(expected);
      expect(r.other, args.join(" ")).not.toMatch(/EPIPE|Error:|internal error|\n\s+at /);
    }
  }, 120_000);
});
