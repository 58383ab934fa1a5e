#!/usr/bin/env node
/**
 * Dead-code check (docs/decisions/knip.md):
 *
 *   node tooling/knip/check.mjs [--root DIR] [--list] [--write-allowed]
 *
 * Runs knip (config: knip.jsonc at the root) and compares its findings with
 * the allow-list tooling/knip/allowed.txt (at DIR, the same relative path).
 * A finding is one line `<kind> <file> <name>` (e.g. `exports
 * packages/config/src/load.ts keyPath`; no line numbers, so an edit elsewhere
 * in the file does not move it). It fails on
 *   - a NEW finding: not in the allow-list (a dead export, type, file or
 *     dependency that this change made), and on
 *   - a STALE allow-list line: no longer a finding (the export was cut or is
 *     now used): the line must go, so the list only ever shrinks.
 * Exit 0 when the findings equal the allow-list, 1 when they differ, 2 when
 * knip itself could not run.
 *
 *   --list            print today's findings in allow-list form and exit 0
 *   --write-allowed   rewrite the allow-list to today's findings (for the lead
 *                     after cutting or moving exports; review the diff: a
 *                     line added there is dead code accepted on purpose)
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ALLOWED = "tooling/knip/allowed.txt";
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function parseArgs(argv) {
  const options = { root: REPO_ROOT, list: false, write: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--root" && argv[i + 1] !== undefined) options.root = path.resolve(argv[++i]);
    else if (arg === "--list") options.list = true;
    else if (arg === "--write-allowed") options.write = true;
    else {
      console.error(`knip-check: unknown argument ${arg} — usage: node tooling/knip/check.mjs [--root DIR] [--list] [--write-allowed]`);
      process.exit(2);
    }
  }
  return options;
}

/** knip's bin: knip is a root devDependency, so pnpm links it at node_modules/knip. */
function knipBin() {
  const dir = path.join(REPO_ROOT, "node_modules", "knip");
  const manifest = path.join(dir, "package.json");
  if (!existsSync(manifest)) return undefined;
  return path.join(dir, JSON.parse(readFileSync(manifest, "utf8")).bin.knip);
}

/** Runs knip on `root` and returns its JSON report, or a one-line problem. */
function runKnip(root) {
  const bin = knipBin();
  if (bin === undefined) return { problem: "knip is not installed (no node_modules/knip at the root)" };
  const args = [bin, "--directory", root, "--reporter", "json", "--no-exit-code", "--no-progress"];
  const result = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { problem: `could not start knip: ${result.error.message}` };
  if (result.status !== 0) return { problem: `knip exited ${result.status}: ${(result.stderr || result.stdout).trim().split("\n").slice(0, 8).join(" | ")}` };
  try {
    return { report: JSON.parse(result.stdout) };
  } catch (error) {
    return { problem: `knip printed no JSON report (${error.message}): ${result.stdout.slice(0, 200)}` };
  }
}

const nameOf = (item) => (item.namespace ? `${item.namespace}.${item.name}` : item.name);

/** knip's JSON report -> sorted unique `<kind> <file> <name>` lines. */
function findings(report) {
  const lines = new Set();
  for (const issue of report.issues ?? []) {
    for (const [kind, items] of Object.entries(issue)) {
      if (!Array.isArray(items)) continue;
      for (const item of items) {
        // Duplicates come as groups of names exported twice.
        const name = Array.isArray(item) ? item.map(nameOf).join("|") : kind === "files" ? "" : nameOf(item);
        lines.add(`${kind} ${issue.file}${name ? ` ${name}` : ""}`);
      }
    }
  }
  return [...lines].sort();
}

function readAllowed(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** What to do about a new finding, by knip's kind. */
const FIX = {
  files: "import it where it is needed, make it an entry in knip.jsonc if it is run by path, or delete the file",
  dependencies: "import it, or remove it from that package.json",
  devDependencies: "import it, or remove it from that package.json",
  unlisted: "add the package to the importing package's package.json",
  unresolved: "fix the import path",
  binaries: "add the package that provides it, or list an operating-system program in knip.jsonc ignoreBinaries",
};
const DEFAULT_FIX = "use it, delete it (or just its `export`), or tag a name kept on purpose as public API /** @public */";
const fixFor = (line) => FIX[line.slice(0, line.indexOf(" "))] ?? DEFAULT_FIX;

const HEADER = `# knip findings accepted for now (docs/decisions/knip.md): one \`<kind> <file> <name>\` a line.
# \`pnpm knip\` fails on a finding missing here and on a line here that is no longer a finding.
# Cut the export (or file, or dependency), then delete its line. Never add a line to silence a new finding:
# use it, delete it, or tag a deliberate public name \`/** @public */\`.
`;

function main() {
  const options = parseArgs(process.argv.slice(2));
  const { report, problem } = runKnip(options.root);
  if (problem) {
    console.error(`knip-check: ${problem} — fix: run \`npx knip\` at the root to see knip's own error (config: knip.jsonc)`);
    process.exit(2);
  }
  const found = findings(report);
  const allowedFile = path.join(options.root, ALLOWED);
  if (options.list) {
    for (const line of found) console.log(line);
    return;
  }
  if (options.write) {
    writeFileSync(allowedFile, `${HEADER}${found.join("\n")}\n`);
    console.log(`knip-check: wrote ${found.length} findings to ${path.relative(process.cwd(), allowedFile)}`);
    return;
  }
  const allowed = new Set(readAllowed(allowedFile));
  const foundSet = new Set(found);
  const fresh = found.filter((line) => !allowed.has(line));
  const stale = [...allowed].filter((line) => !foundSet.has(line)).sort();
  for (const line of fresh) console.log(`knip: NEW ${line} — fix: ${fixFor(line)}`);
  for (const line of stale) console.log(`knip: STALE ${line} — fix: no longer a finding; delete this line from ${ALLOWED}`);
  const summary = `knip: ${found.length} findings, ${allowed.size} allowed, ${fresh.length} new, ${stale.length} stale`;
  if (fresh.length === 0 && stale.length === 0) {
    console.log(summary);
    return;
  }
  console.log(`${summary} (docs/decisions/knip.md: how to read a failure)`);
  process.exitCode = 1;
}

main();
