#!/usr/bin/env node
// Runs every package's tests through turbo, then prints one plain summary line
// ("N passed, N failed") summed from each package's vitest JSON report.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dirs = ["packages", "apps"].flatMap((group) => {
  const base = path.join(root, group);
  return existsSync(base) ? readdirSync(base).map((name) => path.join(base, name)) : [];
});
dirs.push(path.join(root, "test-fixtures"));
const reports = dirs.map((dir) => path.join(dir, ".vitest-report.json"));
// Without a cache hit, a report from an earlier run must not be counted.
if (process.env.CI === "true") for (const file of reports) rmSync(file, { force: true });

const turbo = path.join(root, "node_modules", ".bin", "turbo");
const args = ["run", "test", ...process.argv.slice(2)];
if (process.env.CI === "true") args.push("--cache=local:w,remote:");
const run = spawnSync(turbo, args, { cwd: root, stdio: "inherit", env: { TURBO_TELEMETRY_DISABLED: "1", ...process.env } });

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of reports) {
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, "utf8"));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  // A test file that failed without a failing test (it did not load, or a hook threw) counts once.
  for (const file of report.testResults ?? []) {
    if (file.status === "failed" && !(file.assertionResults ?? []).some((a) => a.status === "failed")) failed += 1;
  }
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
const code = run.status ?? 1;
if (code !== 0 && failed === 0) failed = 1; // a package failed before reporting: never print a clean line
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(code);
