#!/usr/bin/env node
// The consumer test (docs/decisions/publishing.md): pack every published package, install the tarballs
// with npm into an empty folder outside the workspace (npm `overrides` point every @omk/* and omk at its
// local tarball, so nothing of OMK comes from the registry; third-party dependencies do), then, as a user would:
//   - `npx --no omk demo --json` ends ready, and `npx --no omk proof verify <its proof.json>` holds;
//   - `npx --no omk-gates detect` in that folder (a small git repo with a test script) finds the test gate;
//   - the usage example (```js block) of every package's packed README runs;
//   - TypeScript consumers type-check an import of every library: moduleResolution nodenext, bundler and
//     node (node10, through the `types` field).
// Needs the full build (`pnpm build`, with declarations). Usage: node tooling/packages/consumer.mjs [--keep]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { packAll, readTarball, root } from "./published.mjs";

const require = createRequire(import.meta.url);
const keep = process.argv.includes("--keep");
const work = realpathSync(mkdtempSync(path.join(os.tmpdir(), "omk-consumer-")));
if (work.startsWith(`${root}${path.sep}`)) throw new Error(`the consumer folder ${work} is inside the workspace`);
const packDir = path.join(work, "tarballs");
const app = path.join(work, "app");
mkdirSync(packDir);
mkdirSync(app);

let failures = 0;
function step(title, fn) {
  const started = Date.now();
  try {
    fn();
    process.stdout.write(`ok   ${title} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
  } catch (error) {
    failures += 1;
    process.stdout.write(`FAIL ${title}: ${error.message}\n`);
  }
}

/** Runs a command in the consumer app; throws with its output unless it exits `expect`. */
function run(command, args, { cwd = app, env = {}, expect = 0, timeout = 600_000 } = {}) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout, env: { ...process.env, ...env } });
  if (r.status !== expect)
    throw new Error(`\`${command} ${args.join(" ")}\` exited ${r.status ?? r.signal} (expected ${expect})\n${`${r.stdout}\n${r.stderr}`.trim().slice(-4000)}`);
  return r;
}

// No npm or pnpm setting of a parent npm/pnpm process (the workspace's) may leak into the consumer; the
// user's own npm config (registry, proxy) applies, as it would for a user.
const npmEnv = { npm_config_fund: "false", npm_config_audit: "false", npm_config_update_notifier: "false" };
for (const key of Object.keys(process.env)) if (/^npm_(config|package|lifecycle)_/i.test(key) && !(key in npmEnv)) npmEnv[key] = undefined;
const clean = (env) => Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined));

let packed = [];
step("pack every published package", () => {
  packed = packAll(packDir);
});
const libraries = packed.filter((p) => p.name.startsWith("@omk/"));

step("npm install the tarballs into an empty folder (overrides: every OMK package from its tarball)", () => {
  const local = Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`]));
  const manifest = {
    name: "omk-consumer",
    version: "1.0.0",
    private: true,
    type: "module",
    scripts: { test: "node --test" },
    dependencies: local,
    devDependencies: { "@types/node": "^20.19.0" },
    overrides: local,
  };
  writeFileSync(path.join(app, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    path.join(app, "sum.test.js"),
    'import test from "node:test";\nimport assert from "node:assert/strict";\ntest("sum", () => assert.equal(1 + 1, 2));\n',
  );
  writeFileSync(path.join(app, ".gitignore"), "node_modules/\n");
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: app, encoding: "utf8", env: clean(npmEnv), timeout: 600_000 });
  if (r.status !== 0) throw new Error(`npm install exited ${r.status}\n${r.stderr.slice(-4000)}`);
  // Every copy of an OMK package in the tree came from a tarball here, none from the registry.
  const lock = JSON.parse(readFileSync(path.join(app, "package-lock.json"), "utf8"));
  const names = new Set(packed.map((p) => p.name));
  const seen = new Set();
  for (const [where, entry] of Object.entries(lock.packages ?? {})) {
    const name = where.replace(/^.*node_modules\//, "");
    if (!names.has(name)) continue;
    seen.add(name);
    const from = entry.resolved ?? "";
    if (!from.startsWith("file:") && !from.startsWith("../tarballs/")) throw new Error(`${where} resolved to ${from || entry.version}, not a local tarball`);
  }
  const absent = [...names].filter((name) => !seen.has(name));
  if (absent.length > 0) throw new Error(`not installed: ${absent.join(", ")}`);
});

step("git repo: the consumer folder with one commit", () => {
  run("git", ["init", "-q"]);
  run("git", ["add", "-A"]);
  run("git", ["-c", "user.name=omk-consumer", "-c", "user.email=omk-consumer@localhost", "commit", "-q", "-m", "init"]);
});

// `npx --no`: the bin must be installed here; never fetched from the registry.
step("npx omk demo (ready) and omk proof verify on its proof", () => {
  const state = path.join(work, "state");
  const env = clean({ ...npmEnv, OMK_STATE_DIR: state });
  const demo = spawnSync("npx", ["--no", "omk", "demo", "--json"], { cwd: app, encoding: "utf8", env, timeout: 600_000 });
  if (demo.status !== 0) throw new Error(`omk demo exited ${demo.status}\n${`${demo.stdout}\n${demo.stderr}`.trim().slice(-4000)}`);
  // --json: one event per line; the last, run_finished, names the outcome file.
  const events = demo.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
  const finished = events.findLast((e) => e.type === "run_finished");
  if (finished?.status !== "ready" || !String(finished.outcomeFile).endsWith("proof.json"))
    throw new Error(`omk demo did not end ready with a proof.json: ${JSON.stringify(finished ?? demo.stdout.slice(-2000))}`);
  const proof = finished.outcomeFile;
  const verify = spawnSync("npx", ["--no", "omk", "proof", "verify", proof], { cwd: app, encoding: "utf8", env, timeout: 600_000 });
  if (verify.status !== 0) throw new Error(`omk proof verify ${proof} exited ${verify.status}\n${`${verify.stdout}\n${verify.stderr}`.trim().slice(-3000)}`);
});

step("npx omk-gates detect in the consumer's repo finds its test script", () => {
  const r = spawnSync("npx", ["--no", "omk-gates", "detect", "--json"], { cwd: app, encoding: "utf8", env: clean(npmEnv), timeout: 300_000 });
  if (r.status !== 0) throw new Error(`omk-gates detect exited ${r.status}\n${`${r.stdout}\n${r.stderr}`.trim().slice(-3000)}`);
  const detection = JSON.parse(r.stdout);
  const names = (detection.gates ?? []).map((g) => g.name);
  if (!names.some((n) => /test/.test(n))) throw new Error(`no test gate detected: ${JSON.stringify(names)}`);
});

for (const pkg of packed) {
  const readme = readTarball(pkg.tarball).get("README.md")?.toString("utf8") ?? "";
  const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  if (!pkg.name.startsWith("@omk/")) continue; // the CLI's README shows commands, run above
  step(`${pkg.name}: the README's usage example runs`, () => {
    if (blocks.length === 0) throw new Error("the packed README has no ```js usage example");
    const file = path.join(app, `readme-${pkg.name.split("/")[1]}.mjs`);
    writeFileSync(file, blocks[0]);
    run(process.execPath, [file], { env: { OMK_STATE_DIR: path.join(work, "readme-state") } });
  });
}

// TypeScript: the workspace's compiler (the consumer's own would do as well); @types/node is the consumer's.
const tsc = path.join(path.dirname(require.resolve("typescript/package.json")), "bin", "tsc");
const typesFile = path.join(app, "consumer.ts");
writeFileSync(
  typesFile,
  `${libraries.map((p, i) => `import * as m${i} from "${p.name}";`).join("\n")}\nexport const loaded: object[] = [${libraries.map((_, i) => `m${i}`).join(", ")}];\n`,
);
for (const [resolution, module] of [
  ["nodenext", "nodenext"],
  ["bundler", "esnext"],
  ["node", "esnext"],
]) {
  step(`TypeScript consumer, moduleResolution ${resolution}: every library's types resolve`, () => {
    const config = path.join(app, `tsconfig.${resolution}.json`);
    const compilerOptions = { module, moduleResolution: resolution, target: "es2022", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] };
    writeFileSync(config, JSON.stringify({ compilerOptions, files: ["consumer.ts"] }, null, 2));
    run(process.execPath, [tsc, "-p", config]);
  });
}

if (keep) process.stdout.write(`consumer folder kept: ${work}\n`);
else rmSync(work, { recursive: true, force: true });
process.stdout.write(failures === 0 ? "\nthe packed packages install and run outside the workspace\n" : `\n${failures} consumer check(s) failed\n`);
process.exitCode = failures === 0 ? 0 : 1;
