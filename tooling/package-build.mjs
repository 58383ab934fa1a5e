// Whether a package's built files are newer than everything they are built from, and its tsup build,
// quiet, when they are not. One answer for `pnpm demo` (tooling/demo.mjs) and the benchmarks that time
// the built binaries (bench/cold-start, bench/status-100k). Modification times only: a deleted input
// does not count as a change (docs/decisions/first-run.md).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "apps", "cli");
const PACKAGE_INPUTS = ["src", "package.json", "tsconfig.json", "tsup.config.ts"];
const SHARED_INPUTS = ["tooling/tsup.base.ts", "tooling/tsconfig.base.json", "pnpm-lock.yaml", "package.json"];

/** The newest modification time under the given files and folders (node_modules and dist skipped). */
function newestMtime(paths) {
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
  for (const p of paths) visit(p);
  return newest;
}

/** What a package's build reads: its own sources and configs; the CLI bundles every workspace package from source. */
function inputsOf(dir) {
  const packages = path.resolve(dir) === CLI ? ["packages", "apps"].flatMap((d) => readdirSync(path.join(ROOT, d)).map((p) => path.join(ROOT, d, p))) : [dir];
  return [...packages.flatMap((p) => PACKAGE_INPUTS.map((input) => path.join(p, input))), ...SHARED_INPUTS.map((input) => path.join(ROOT, input))];
}

/** Every one of `outputs` (relative to `dir`) exists and is newer than every input of the package's build. */
export function isBuilt(dir, outputs) {
  const files = outputs.map((o) => path.join(dir, o));
  if (!files.every((f) => existsSync(f))) return false;
  return Math.min(...files.map((f) => statSync(f).mtimeMs)) > newestMtime(inputsOf(dir));
}

/** The package's tsup build, run as tsup's own CLI file under this node (no shell, no .bin shim); its output is kept, not shown. */
export function buildPackage(dir) {
  const tsupCli = path.join(path.dirname(createRequire(path.join(dir, "package.json")).resolve("tsup/package.json")), "dist", "cli-default.js");
  const run = spawnSync(process.execPath, [tsupCli], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: run.status ?? 1, output: `${run.stdout ?? ""}${run.stderr ?? ""}${run.error === undefined ? "" : String(run.error)}` };
}
