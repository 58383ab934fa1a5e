#!/usr/bin/env node
// `pnpm bench <name>` runs bench/<name>/run.ts (TypeScript, workspace packages
// resolved to source). A benchmark compares against the reference it names in
// the same run and prints as its last line: `<name> ratio <value> (target <t>)`.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "package.json"));
const names = existsSync(path.join(root, "bench"))
  ? readdirSync(path.join(root, "bench")).filter((n) => existsSync(path.join(root, "bench", n, "run.ts")))
  : [];
// --quick: the short mode (OMK_BENCH_QUICK=1: few runs, small sizes; a smoke run, not a measurement).
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const [name, ...rest] = args.filter((a) => a !== "--quick");
if (name === undefined || !names.includes(name)) {
  process.stderr.write(
    `usage: pnpm bench <name> [--quick] [args]\n       pnpm bench:smoke [name...]   (each once in the short mode)\nbenchmarks: ${names.join(", ") || "(none yet)"}\n`,
  );
  process.exit(2);
}
const run = spawnSync(process.execPath, ["--conditions=@omk/source", "--import", require.resolve("tsx"), path.join(root, "bench", name, "run.ts"), ...rest], {
  cwd: root,
  stdio: "inherit",
  env: quick ? { ...process.env, OMK_BENCH_QUICK: "1" } : process.env,
});
process.exit(run.status ?? 1);
