#!/usr/bin/env node
/**
 * Guard for the boundary check (docs/decisions/boundaries.md):
 *
 *   node tooling/boundaries/guard.mjs [--root DIR]
 *
 * 1. The check must FAIL on tooling/boundaries/fixture, reporting exactly
 *    its one forbidden import (@omk/gates, L0, imports @omk/state) under the
 *    level rule. A check that passes there, crashes, or reports anything
 *    else is broken and proves nothing.
 * 2. The check must PASS on the real tree (or on --root DIR).
 * Exit 0 when both hold, 1 otherwise.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const check = path.join(here, "check.mjs");
const fixture = path.join(here, "fixture");
const EXPECTED = {
  file: "packages/gates/src/index.ts",
  line: /packages\/gates\/src\/index\.ts: imports "@omk\/state" \[level\] /,
  summary: /^boundaries: \d+ files checked, 1 violation$/m,
};

const args = process.argv.slice(2);
const rootIndex = args.indexOf("--root");
const realRoot = rootIndex >= 0 && args[rootIndex + 1] !== undefined ? path.resolve(args[rootIndex + 1]) : path.resolve(here, "../..");

function runCheck(root) {
  const result = spawnSync(process.execPath, [check, "--root", root], { encoding: "utf8" });
  return { code: result.status, out: `${result.stdout ?? ""}${result.stderr ?? ""}`.trimEnd(), error: result.error };
}

const indent = (text) => text.replace(/^/gm, "    ");
let failed = false;

// 1. The fixture must be rejected, for its one forbidden import only.
const bad = runCheck(fixture);
if (bad.code === 1 && EXPECTED.line.test(bad.out) && EXPECTED.summary.test(bad.out)) {
  console.log(`guard: ok, the fixture is rejected for its one forbidden import (${EXPECTED.file} -> @omk/state):`);
  console.log(indent(bad.out));
} else {
  failed = true;
  console.log(
    `guard: FAILED, the check must exit 1 on ${path.relative(process.cwd(), fixture)} naming exactly one violation, [level] in ${EXPECTED.file} importing "@omk/state"; it exited ${bad.code}${bad.error ? ` (${bad.error.message})` : ""} with:`,
  );
  console.log(indent(bad.out || "(no output)"));
  console.log("    fix: the check is broken (a rule, resolution or parsing no longer works); fix tooling/boundaries/check.mjs before trusting it");
}

// 2. The real tree must pass.
const good = runCheck(realRoot);
if (good.code === 0) {
  console.log(`guard: ok, the tree at ${path.relative(process.cwd(), realRoot) || "."} passes:`);
  console.log(indent(good.out));
} else {
  failed = true;
  console.log(`guard: FAILED, the tree at ${path.relative(process.cwd(), realRoot) || "."} breaks the boundaries (exit ${good.code}):`);
  console.log(indent(good.out || "(no output)"));
}

process.exitCode = failed ? 1 : 0;
