#!/usr/bin/env node
/**
 * Fetches the corpus of real third-party projects (test-fixtures/corpus/projects.json) that the
 * real-projects suite (apps/cli/test/real-projects/) turns into git repositories: each project's
 * published npm tarball, which includes its tests, pinned by version and checked against the
 * manifest's sha512 integrity. From the npm registry only; nothing else is downloaded (no binary,
 * no install script runs). A failed fetch exits non-zero: CI must fail, not skip.
 *
 *   node tooling/fetch-corpus.mjs [DIR]     (default: $OMK_CORPUS_DIR, else ~/.cache/omk-corpus)
 *
 * For each project, at fetch time:
 *   - DIR/tarballs/<slug>-<version>.tgz, checked by integrity;
 *   - DIR/projects/<slug>/: the tarball's files plus the lockfile its package manager makes
 *     (package-lock.json with `npm install --package-lock-only`, pnpm-lock.yaml with
 *     `pnpm install --lockfile-only`), resolved as of the manifest's `resolvedBefore` for npm;
 *   - the npm cache (or pnpm's store) warmed by one install from that lockfile in a scratch copy,
 *     so the tests' installs work with --prefer-offline.
 * pnpm itself is the npm package `pnpm` (pinned below), installed into DIR/tools.
 * Writes DIR/corpus.json: {"pnpm": ".../pnpm", "projects": {"<slug>": {"dir", "packageManager", "lockfile", ...}}}.
 * A project's optional `lockPins` ({"dep": "version"}) holds a dependency at a version inside its published
 * range in the lockfile (package.json is left as published).
 * Re-running with the same manifest is a no-op (DIR/pins.json records it).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MANIFEST = path.join(ROOT, "test-fixtures", "corpus", "projects.json");
/** pnpm for the pnpm project, as the npm package (its JS entry runs on this Node). */
const PNPM_VERSION = "10.34.9";

const dir = path.resolve(process.argv[2] ?? process.env.OMK_CORPUS_DIR ?? path.join(os.homedir(), ".cache", "omk-corpus"));
const manifestText = readFileSync(MANIFEST, "utf8");
const manifest = JSON.parse(manifestText);
const wanted = createHash("sha256").update(manifestText).update(PNPM_VERSION).digest("hex");
const pinsFile = path.join(dir, "pins.json");
const indexFile = path.join(dir, "corpus.json");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const quietEnv = { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };

function fail(message) {
  console.error(`fetch-corpus: ${message}`);
  process.exit(1);
}

function run(command, args, cwd, what) {
  const r = spawnSync(command, args, { cwd, env: quietEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0)
    fail(
      `${what} failed (exit ${r.status ?? r.signal}): ${command} ${args.join(" ")}\n${(r.stderr || r.stdout || "").trim().split("\n").slice(-15).join("\n")}`,
    );
  return r.stdout;
}

if (existsSync(pinsFile) && readFileSync(pinsFile, "utf8") === wanted && existsSync(indexFile)) {
  console.log(`fetch-corpus: ${manifest.projects.length} projects up to date in ${dir}`);
  process.exit(0);
}

for (const sub of ["tarballs", "projects", "tools"]) mkdirSync(path.join(dir, sub), { recursive: true });

// pnpm, from the registry as an npm package.
const tools = path.join(dir, "tools");
if (!existsSync(path.join(tools, "package.json")))
  writeFileSync(path.join(tools, "package.json"), `${JSON.stringify({ name: "omk-corpus-tools", private: true }, null, 2)}\n`);
run(npm, ["install", "--ignore-scripts", "--no-save", "--prefix", tools, `pnpm@${PNPM_VERSION}`], tools, "installing pnpm");
const pnpm = path.join(tools, "node_modules", ".bin", "pnpm");
if (run(pnpm, ["--version"], tools, "pnpm --version").trim() !== PNPM_VERSION) fail(`${pnpm} is not pnpm ${PNPM_VERSION}`);

function sha512(file) {
  return `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
}

const index = { pnpm, resolvedBefore: manifest.resolvedBefore, projects: {} };
for (const p of manifest.projects) {
  const started = Date.now();
  const tarball = path.join(dir, "tarballs", `${p.slug}-${p.version}.tgz`);
  const project = path.join(dir, "projects", p.slug);
  const lockfile = p.packageManager === "pnpm" ? "pnpm-lock.yaml" : "package-lock.json";
  // A project already fetched with the same pins keeps its lockfile (the manifest's other fields, e.g. a goal's wording, do not matter here).
  const pinFile = path.join(dir, "projects", `${p.slug}.pin.json`);
  const pin = JSON.stringify({
    name: p.name,
    version: p.version,
    integrity: p.integrity,
    packageManager: p.packageManager,
    resolvedBefore: manifest.resolvedBefore,
    pnpm: PNPM_VERSION,
    ...(p.lockPins ? { lockPins: p.lockPins } : {}),
  });
  if (
    existsSync(pinFile) &&
    readFileSync(pinFile, "utf8") === pin &&
    existsSync(path.join(project, lockfile)) &&
    existsSync(tarball) &&
    sha512(tarball) === p.integrity
  ) {
    index.projects[p.slug] = { name: p.name, version: p.version, dir: project, packageManager: p.packageManager, lockfile, tarball };
    console.log(`fetch-corpus: ${p.name}@${p.version} (${p.packageManager}) already fetched`);
    continue;
  }
  if (!existsSync(tarball) || sha512(tarball) !== p.integrity) {
    const scratch = mkdtempSync(path.join(os.tmpdir(), "omk-corpus-pack-"));
    const out = run(npm, ["pack", `${p.name}@${p.version}`, "--json", "--pack-destination", scratch], scratch, `npm pack ${p.name}@${p.version}`);
    const filename = JSON.parse(out)[0]?.filename;
    if (typeof filename !== "string") fail(`npm pack ${p.name}@${p.version} named no file`);
    cpSync(path.join(scratch, path.basename(filename)), tarball);
    rmSync(scratch, { recursive: true, force: true });
  }
  const got = sha512(tarball);
  if (got !== p.integrity) fail(`${p.name}@${p.version}: integrity ${got} is not the pinned ${p.integrity}`);

  rmSync(pinFile, { force: true });
  rmSync(project, { recursive: true, force: true });
  mkdirSync(project, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", project, "--strip-components=1", "--no-same-owner", "--warning=no-unknown-keyword"], project, `unpacking ${tarball}`);
  if (!existsSync(path.join(project, "package.json"))) fail(`${tarball} has no package.json at its root`);

  if (p.packageManager === "npm") {
    // lockPins: a dependency held at an older version that still satisfies the package's own range, as
    // the project's lockfile of its day had it (a later release inside the range broke the project).
    // Only the lockfile says so: package.json must stay byte for byte as published.
    const pins = Object.entries(p.lockPins ?? {}).map(([dep, version]) => `${dep}@${version}`);
    const published = readFileSync(path.join(project, "package.json"), "utf8");
    run(
      npm,
      ["install", "--package-lock-only", "--ignore-scripts", `--before=${manifest.resolvedBefore}`, ...pins],
      project,
      `the lockfile of ${p.name}${pins.length > 0 ? ` (pinning ${pins.join(", ")})` : ""}`,
    );
    if (readFileSync(path.join(project, "package.json"), "utf8") !== published)
      fail(`${p.name}: pinning ${pins.join(", ")} changed package.json; a lock pin must stay inside the published range`);
  } else if (p.packageManager === "pnpm") {
    run(pnpm, ["install", "--lockfile-only", "--ignore-scripts"], project, `the lockfile of ${p.name}`);
  } else {
    fail(`${p.name}: unknown package manager ${p.packageManager}`);
  }
  if (!existsSync(path.join(project, lockfile))) fail(`${p.name}: no ${lockfile} was made`);

  // Warm the cache: one install from the lockfile in a scratch copy (the project dir stays without node_modules).
  const warm = mkdtempSync(path.join(os.tmpdir(), "omk-corpus-warm-"));
  cpSync(project, warm, { recursive: true });
  if (p.packageManager === "npm") run(npm, ["ci", "--ignore-scripts", "--prefer-offline"], warm, `warming the npm cache for ${p.name}`);
  else run(pnpm, ["install", "--frozen-lockfile", "--ignore-scripts", "--prefer-offline"], warm, `warming the pnpm store for ${p.name}`);
  rmSync(warm, { recursive: true, force: true });

  writeFileSync(pinFile, pin);
  index.projects[p.slug] = { name: p.name, version: p.version, dir: project, packageManager: p.packageManager, lockfile, tarball };
  console.log(`fetch-corpus: ${p.name}@${p.version} (${p.packageManager}) ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

writeFileSync(indexFile, `${JSON.stringify(index, null, 2)}\n`);
writeFileSync(pinsFile, wanted);
console.log(`fetch-corpus: ${manifest.projects.length} projects ready in ${dir} (corpus.json written)`);
