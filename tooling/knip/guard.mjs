#!/usr/bin/env node
/**
 * Guard for the dead-code check (docs/decisions/knip.md):
 *
 *   node tooling/knip/guard.mjs [--root DIR]
 *
 * 1. The check must FAIL on tooling/knip/fixture, reporting exactly its
 *    new dead export, its new dead file and its stale allow-list line
 *    (tooling/knip/fixture/README.md). A check that passes there, crashes,
 *    or reports anything else is broken and proves nothing.
 * 2. The check must PASS on the real tree (or on --root DIR): its findings
 *    equal tooling/knip/allowed.txt.
 * Exit 0 when both hold, 1 otherwise.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const check = path.join(here, "check.mjs");
const fixture = path.join(here, "fixture");
const EXPECTED = [
  /^knip: NEW exports src\/lib\.ts dead — fix: /,
  /^knip: NEW files src\/orphan\.ts — fix: /,
  /^knip: STALE exports src\/lib\.ts gone — fix: /,
  /^knip: 3 findings, 2 allowed, 2 new, 1 stale /,
];

const args = process.argv.slice(2);
const rootIndex = args.indexOf("--root");
const realRoot = rootIndex >= 0 && args[rootIndex + 1] !== undefined ? path.resolve(args[rootIndex + 1]) : path.resolve(here, "../..");

function runCheck(root) {
  const result = spawnSync(process.execPath, [check, "--root", root], { encoding: "utf8" });
  return { code: result.status, out: `${result.stdout ?? ""}${result.stderr ?? ""}`.trimEnd(), error: result.error };
}

const indent = (text) => text.replace(/^/gm, "    ");
let failed = false;

// 1. The fixture must be rejected, for its three planted faults only.
const bad = runCheck(fixture);
const lines = bad.out.split("\n");
const exact = lines.length === EXPECTED.length && EXPECTED.every((pattern, i) => pattern.test(lines[i]));
if (bad.code === 1 && exact) {
  console.log("guard: ok, the fixture is rejected for its dead export, its dead file and its stale allow-list line:");
  console.log(indent(bad.out));
} else {
  failed = true;
  console.log(
    `guard: FAILED, the check must exit 1 on ${path.relative(process.cwd(), fixture)} naming exactly NEW src/lib.ts dead, NEW src/orphan.ts and STALE src/lib.ts gone; it exited ${bad.code}${bad.error ? ` (${bad.error.message})` : ""} with:`,
  );
  console.log(indent(bad.out || "(no output)"));
  console.log("    fix: the check is broken (knip's config, its JSON report or the comparison no longer works); fix tooling/knip/check.mjs before trusting it");
}

// 2. The real tree must pass.
const good = runCheck(realRoot);
if (good.code === 0) {
  console.log(`guard: ok, the tree at ${path.relative(process.cwd(), realRoot) || "."} passes:`);
  console.log(indent(good.out));
} else {
  failed = true;
  console.log(`guard: FAILED, the tree at ${path.relative(process.cwd(), realRoot) || "."} has dead code knip did not expect (exit ${good.code}):`);
  console.log(indent(good.out || "(no output)"));
}

process.exitCode = failed ? 1 : 0;
