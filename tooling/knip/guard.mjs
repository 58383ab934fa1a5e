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
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runGuard } from "../guard-lib.mjs";

const EXPECTED = [
  /^knip: NEW exports src\/lib\.ts dead — fix: /,
  /^knip: NEW files src\/orphan\.ts — fix: /,
  /^knip: STALE exports src\/lib\.ts gone — fix: /,
  /^knip: 3 findings, 2 allowed, 2 new, 1 stale /,
];

runGuard({
  dir: path.dirname(fileURLToPath(import.meta.url)),
  rejects: (out) => {
    const lines = out.split("\n");
    return lines.length === EXPECTED.length && EXPECTED.every((pattern, i) => pattern.test(lines[i]));
  },
  rejected: "guard: ok, the fixture is rejected for its dead export, its dead file and its stale allow-list line:",
  expected: "NEW src/lib.ts dead, NEW src/orphan.ts and STALE src/lib.ts gone",
  fix: "the check is broken (knip's config, its JSON report or the comparison no longer works); fix tooling/knip/check.mjs before trusting it",
  treeFails: "has dead code knip did not expect",
});
