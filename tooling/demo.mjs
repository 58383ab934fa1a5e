#!/usr/bin/env node
// `pnpm demo` (the README's first command): build only what `omk demo` needs, quietly, then run it.
//
// The CLI bundle compiles every workspace package from source (the `@omk/source` condition, no
// declarations), so the demo needs apps/cli's own tsup build and nothing else: no other package's
// dist, no .d.ts (those come from `pnpm build` and on publish). The build is skipped when
// apps/cli/dist/bin.js is newer than every input of the bundle. One line is printed before the
// demo's own output; tsup's output is shown only when it fails. docs/decisions/first-run.md.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "apps", "cli");
const bin = path.join(cli, "dist", "bin.js");

/** The newest modification time under the bundle's inputs (sources, configs, manifests, lockfile). */
function newestInput() {
  let newest = 0;
  const visit = (file) => {
    let st;
    try {
      st = statSync(file);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(file)) if (name !== "node_modules" && name !== "dist") visit(path.join(file, name));
    } else if (st.mtimeMs > newest) newest = st.mtimeMs;
  };
  for (const dir of ["packages", "apps"]) {
    for (const pkg of readdirSync(path.join(root, dir))) {
      for (const input of ["src", "package.json", "tsconfig.json", "tsup.config.ts"]) visit(path.join(root, dir, pkg, input));
    }
  }
  for (const input of ["tooling/tsup.base.ts", "tooling/tsconfig.base.json", "pnpm-lock.yaml", "package.json"]) visit(path.join(root, input));
  return newest;
}

function upToDate() {
  return existsSync(bin) && existsSync(path.join(cli, "dist", "scripted-agent.js")) && statSync(bin).mtimeMs > newestInput();
}

/** apps/cli's tsup, run as tsup's own CLI file under this node (no shell, no .bin shim). */
function buildCli() {
  const tsupCli = path.join(path.dirname(createRequire(path.join(cli, "package.json")).resolve("tsup/package.json")), "dist", "cli-default.js");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsupCli], { cwd: cli, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    const output = [];
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    child.on("error", (error) => resolve({ code: 1, output: String(error) }));
    child.on("close", (code) => resolve({ code: code ?? 1, output: Buffer.concat(output).toString() }));
  });
}

if (upToDate()) {
  process.stderr.write("omk demo: the CLI build (apps/cli/dist) is up to date\n");
} else {
  const started = Date.now();
  process.stderr.write("omk demo: building the CLI (apps/cli/dist; `pnpm build` builds every package with types) ... ");
  const built = await buildCli();
  if (built.code !== 0) {
    process.stderr.write(`failed\n${built.output}\nomk demo: the CLI build failed (output above) — fix: run \`npx -y pnpm@10 --filter omk build\` to see it again\n`);
    process.exit(built.code);
  }
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

const demo = spawn(process.execPath, [bin, "demo", ...process.argv.slice(2)], { stdio: "inherit" });
// Ctrl-C reaches the demo from the terminal itself (same process group): wait for it to stop.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => demo.kill("SIGTERM"));
demo.on("close", (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1);
});
