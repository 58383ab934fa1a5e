// cold-start: how long the `omk` binary takes to start and answer a cheap
// command (`omk --version`, `omk goal list --json` on an empty state dir),
// against bare `node` running an empty script (the reference), in the same
// run. It guards the lazy loading of the CLI: the controller, the engine
// clients and the gate runner load only for the commands that need them.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

// OMK_BENCH_QUICK=1: the short mode (a smoke run, docs/benchmarks/README.md).
const QUICK = process.env["OMK_BENCH_QUICK"] === "1";
const RUNS = Number(process.env["OMK_BENCH_RUNS"] ?? (QUICK ? 2 : 25));
const TARGET = 3;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = path.join(root, "apps/cli/dist/bin.js");
execFileSync(path.join(root, "apps/cli/node_modules/.bin/tsup"), ["--silent"], { cwd: path.join(root, "apps/cli"), stdio: "ignore" });

const scratch = mkdtempSync(path.join(os.tmpdir(), "omk-bench-cold-"));
const empty = path.join(scratch, "empty.mjs");
writeFileSync(empty, "");
const env = { ...process.env, OMK_STATE_DIR: path.join(scratch, "state") };

function median(args: string[]): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { env, encoding: "utf8" });
    samples.push(performance.now() - start);
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed (exit ${r.status}): ${r.stderr}`);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

median([empty]); // warm the file cache
median([bin, "--version"]);
const ref = median([empty]);
const version = median([bin, "--version"]);
const list = median([bin, "goal", "list", "--json"]);
rmSync(scratch, { recursive: true, force: true });

process.stdout.write(`runs: ${RUNS} each (median)\n`);
process.stdout.write(`node empty.mjs (reference): ${ref.toFixed(1)} ms\n`);
process.stdout.write(`omk --version: ${version.toFixed(1)} ms\n`);
process.stdout.write(`omk goal list --json: ${list.toFixed(1)} ms\n`);
process.stdout.write(`cold-start ratio ${(Math.max(version, list) / ref).toFixed(3)} (target ${TARGET})\n`);
