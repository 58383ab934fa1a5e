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
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runGuard } from "../guard-lib.mjs";

const EXPECTED = {
  file: "packages/gates/src/index.ts",
  line: /packages\/gates\/src\/index\.ts: imports "@omk\/state" \[level\] /,
  summary: /^boundaries: \d+ files checked, 1 violation$/m,
};

runGuard({
  dir: path.dirname(fileURLToPath(import.meta.url)),
  rejects: (out) => EXPECTED.line.test(out) && EXPECTED.summary.test(out),
  rejected: `guard: ok, the fixture is rejected for its one forbidden import (${EXPECTED.file} -> @omk/state):`,
  expected: `one violation, [level] in ${EXPECTED.file} importing "@omk/state"`,
  fix: "the check is broken (a rule, resolution or parsing no longer works); fix tooling/boundaries/check.mjs before trusting it",
  treeFails: "breaks the boundaries",
});
