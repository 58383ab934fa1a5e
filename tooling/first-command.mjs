#!/usr/bin/env node
// The README's first command on a fresh clone, timed (issue 15; docs/benchmarks/first-command.md).
//
// Reads the first command from README.md (its first code line), clones this repository's HEAD
// into a temporary folder, runs the command there with bash, and prints the seconds it took with
// the machine's load. Fails when the command fails, when it prints a warning, when more than a
// few lines come between the install and the demo's own output, or when it takes over twice the
// budget (2 minutes on 2 cores). `node tooling/first-command.mjs [--keep]` (--keep or
// OMK_KEEP_TMP=1 keeps the clone and the demo's folder).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const BUDGET_S = 120;
const LIMIT_S = 2 * BUDGET_S;
/** Lines allowed between pnpm install's last line and the demo's first (pnpm's script banner and the build line). */
const MAX_LINES_BEFORE_DEMO = 6;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const keep = process.argv.includes("--keep") || process.env.OMK_KEEP_TMP === "1";

/** The README's first code line: an indented (4 spaces) or fenced code line. */
function firstCommand(readme) {
  let fenced = false;
  for (const line of readme.split("\n")) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced && line.trim() !== "") return line.trim();
    if (/^ {4}\S/.test(line)) return line.trim();
  }
  return undefined;
}

const command = firstCommand(readFileSync(path.join(root, "README.md"), "utf8"));
if (command === undefined || !command.includes("demo")) {
  process.stderr.write(`first-command: README.md's first code line is not the install + demo command (${command ?? "none"})\n`);
  process.exit(1);
}

const head = spawnSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout.trim();
const tmp = mkdtempSync(path.join(os.tmpdir(), "omk-first-command-"));
const clone = path.join(tmp, "omk");
const cloned = spawnSync("git", ["clone", "-q", root, clone], { stdio: "inherit" });
if (cloned.status !== 0) process.exit(1);

const loadBefore = os.loadavg()[0];
process.stdout.write(`first-command: \`${command}\` in a fresh clone of ${head} (${clone})\n`);
const started = process.hrtime.bigint();
// The environment is the caller's, minus CI-only switches that a user would not have set.
const env = { ...process.env };
delete env.TURBO_FORCE;
const child = spawn("bash", ["-c", command], { cwd: clone, env, stdio: ["ignore", "pipe", "pipe"] });
const chunks = [];
for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => chunks.push(chunk));
const code = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? 1)));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const loadAfter = os.loadavg()[0];
const output = Buffer.concat(chunks).toString();
const lines = output.split("\n");

const problems = [];
if (code !== 0) problems.push(`the command exited ${code}`);
// pnpm's ` WARN `, npm's `npm warn`, Node's `Warning:`; not the demo's own event lines (timestamped), and not
// npx's one-time notice that it is fetching pnpm on a machine that never ran it (not ours to silence).
const warnings = lines.filter((l) => /\bWARN\b|^npm warn|Warning:/.test(l) && !/^\d\d:\d\d:\d\d /.test(l) && !/^npm warn exec The following package/.test(l));
if (warnings.length > 0) problems.push(`${warnings.length} warning line(s): ${warnings[0].trim()}`);
const installDone = lines.findIndex((l) => /^Done in .* using pnpm/.test(l));
const demoStart = lines.findIndex((l) => l.startsWith("omk demo: a real goal"));
if (installDone < 0 || demoStart < 0) problems.push("could not find the end of the install or the start of the demo in the output");
else if (demoStart - installDone - 1 > MAX_LINES_BEFORE_DEMO)
  problems.push(
    `${demoStart - installDone - 1} lines between the install and the demo (at most ${MAX_LINES_BEFORE_DEMO}):\n${lines.slice(installDone + 1, demoStart).join("\n")}`,
  );
if (!/status: ready/.test(output)) problems.push("the demo did not end ready");
if (seconds > LIMIT_S) problems.push(`${seconds.toFixed(1)}s is over twice the budget (${LIMIT_S}s)`);

const logFile = path.join(tmp, "output.log");
writeFileSync(logFile, output);
const cores = os.availableParallelism?.() ?? os.cpus().length;
process.stdout.write(
  `first-command: ${seconds.toFixed(1)}s (budget ${BUDGET_S}s, fails over ${LIMIT_S}s); ${lines.length} output lines, ${installDone >= 0 && demoStart >= 0 ? demoStart - installDone - 1 : "?"} between install and demo; ` +
    `load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, ${cores} cores; node ${process.version}\n`,
);
if (problems.length > 0) {
  process.stderr.write(`${output}\nfirst-command: FAILED\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
}
const demoDir = /everything is under (\S+)/.exec(output)?.[1];
if (keep) process.stdout.write(`first-command: kept ${tmp}${demoDir ? ` and ${demoDir}` : ""}\n`);
else {
  rmSync(tmp, { recursive: true, force: true });
  if (demoDir?.startsWith(os.tmpdir())) rmSync(demoDir, { recursive: true, force: true });
}
process.exit(problems.length > 0 ? 1 : 0);
