/**
 * What the guards of tooling/knip and tooling/boundaries share: run the
 * folder's check.mjs on its fixture (it must be rejected, for the planted
 * faults only) and on the real tree (it must pass), print both outcomes,
 * and set the exit code (0 when both hold, 1 otherwise).
 *
 * `dir` holds check.mjs and fixture/; the real tree is `--root DIR` from
 * the command line, else the repository root.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";

/**
 * @param {object} guard
 * @param {string} guard.dir the folder of check.mjs and fixture/
 * @param {(out: string) => boolean} guard.rejects whether the check's output on the fixture names exactly its planted faults
 * @param {string} guard.rejected the line printed when it does
 * @param {string} guard.expected what the check must name on the fixture, for the failure line
 * @param {string} guard.fix what to do when the check no longer rejects the fixture
 * @param {string} guard.treeFails what it means when the real tree fails
 */
export function runGuard({ dir, rejects, rejected, expected, fix, treeFails }) {
  const check = path.join(dir, "check.mjs");
  const fixture = path.join(dir, "fixture");
  const args = process.argv.slice(2);
  const rootIndex = args.indexOf("--root");
  const realRoot = rootIndex >= 0 && args[rootIndex + 1] !== undefined ? path.resolve(args[rootIndex + 1]) : path.resolve(dir, "../..");

  const runCheck = (root) => {
    const result = spawnSync(process.execPath, [check, "--root", root], { encoding: "utf8" });
    return { code: result.status, out: `${result.stdout ?? ""}${result.stderr ?? ""}`.trimEnd(), error: result.error };
  };
  const indent = (text) => text.replace(/^/gm, "    ");
  let failed = false;

  // 1. The fixture must be rejected, for its planted faults only.
  const bad = runCheck(fixture);
  if (bad.code === 1 && rejects(bad.out)) {
    console.log(rejected);
    console.log(indent(bad.out));
  } else {
    failed = true;
    console.log(
      `guard: FAILED, the check must exit 1 on ${path.relative(process.cwd(), fixture)} naming exactly ${expected}; it exited ${bad.code}${bad.error ? ` (${bad.error.message})` : ""} with:`,
    );
    console.log(indent(bad.out || "(no output)"));
    console.log(`    fix: ${fix}`);
  }

  // 2. The real tree must pass.
  const good = runCheck(realRoot);
  const tree = path.relative(process.cwd(), realRoot) || ".";
  if (good.code === 0) {
    console.log(`guard: ok, the tree at ${tree} passes:`);
    console.log(indent(good.out));
  } else {
    failed = true;
    console.log(`guard: FAILED, the tree at ${tree} ${treeFails} (exit ${good.code}):`);
    console.log(indent(good.out || "(no output)"));
  }

  process.exitCode = failed ? 1 : 0;
}
