// cold-start: how long the `omk` and `omk-gates` binaries take to start and
// answer `--version` (and `omk --help`), against bare `node -e 0` (the
// reference), in the same run. It guards the fast paths and the lazy loading:
// `--version` is answered in bin.ts before anything else loads, and `omk
// --help` loads commander and the command tree but no command, no @omk
// package, no zod (apps/cli/src/main.ts; docs/benchmarks/cold-start.md).
//
// It builds what it measures (both binaries, with the packages' own tsup, when
// their dist is older than their sources), so it runs on a fresh clone after
// the README's install. Env: OMK_BENCH_RUNS
// (runs of each command, default 40), OMK_BENCH_QUICK=1 (5 runs: the CI smoke
// run, checks the bench works, its figures are rough).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildPackage, isBuilt } from "../../tooling/package-build.mjs";

// OMK_BENCH_QUICK=1: the short mode (a smoke run, docs/benchmarks/README.md).
const QUICK = process.env["OMK_BENCH_QUICK"] === "1";
const RUNS = Number(process.env["OMK_BENCH_RUNS"] ?? (QUICK ? 5 : 40));
const TARGET = 1.5;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cliDir = path.join(root, "apps/cli");
const gatesDir = path.join(root, "packages/gates");
const version = (dir: string) => (JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;

// A binary is built unless its dist/bin.js is newer than everything it is built from (tooling/package-build.mjs:
// the CLI bundles every workspace package from source, omk-gates its own). `pnpm build` or the demo may have built them.
const builds: string[] = [];
const built = performance.now();
for (const dir of [cliDir, gatesDir]) {
  if (isBuilt(dir, ["dist/bin.js"])) continue;
  const build = buildPackage(dir);
  if (build.code !== 0) throw new Error(`building ${path.relative(root, dir)} failed:\n${build.output}`);
  builds.push(path.relative(root, dir));
}
const buildMs = performance.now() - built;

const scratch = mkdtempSync(path.join(os.tmpdir(), "omk-bench-cold-"));
const env = { ...process.env, OMK_STATE_DIR: path.join(scratch, "state"), NO_COLOR: "1" };
const omk = path.join(cliDir, "dist/bin.js");
const gates = path.join(gatesDir, "dist/bin.js");

type Subject = { label: string; args: string[]; expect: (stdout: string) => boolean; inRatio: boolean };
const reference: Subject = { label: "node -e 0 (reference)", args: ["-e", "0"], expect: (out) => out === "", inRatio: false };
const subjects: Subject[] = [
  { label: "omk --version", args: [omk, "--version"], expect: (out) => out === `${version(cliDir)}\n`, inRatio: true },
  { label: "omk --help", args: [omk, "--help"], expect: (out) => out.startsWith("Usage: omk"), inRatio: true },
  { label: "omk-gates --version", args: [gates, "--version"], expect: (out) => out === `${version(gatesDir)}\n`, inRatio: true },
  // Not in the ratio, shown for the record: a subcommand's help and omk-gates --help.
  { label: "omk goal --help", args: [omk, "goal", "--help"], expect: (out) => out.startsWith("Usage: omk goal"), inRatio: false },
  { label: "omk-gates --help", args: [gates, "--help"], expect: (out) => out.startsWith("usage: omk-gates"), inRatio: false },
];
const all = [reference, ...subjects];

function once(s: Subject): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, s.args, { env, encoding: "utf8" });
  const ms = performance.now() - start;
  if (r.status !== 0 || !s.expect(r.stdout))
    throw new Error(`${s.label}: exit ${r.status}, unexpected output: ${JSON.stringify(r.stdout.slice(0, 200))} ${r.stderr}`);
  return ms;
}

// Interleaved rounds (a different order each round), so a burst of load on
// the machine falls on every command alike; one untimed round warms the file cache.
for (const s of all) once(s);
const samples = new Map<Subject, number[]>(all.map((s) => [s, []]));
const loadBefore = os.loadavg()[0] as number;
for (let i = 0; i < RUNS; i++) {
  for (let j = 0; j < all.length; j++) {
    const s = all[(i + j) % all.length] as Subject;
    samples.get(s)?.push(once(s));
  }
}
const loadAfter = os.loadavg()[0] as number;
rmSync(scratch, { recursive: true, force: true });

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const ref = median(samples.get(reference) ?? []);
const out = (line: string) => process.stdout.write(`${line}\n`);
out(
  `${builds.length === 0 ? "both binaries up to date" : `built ${builds.join(" and ")} in ${(buildMs / 1000).toFixed(1)} s`}; runs: ${RUNS} of each (median, interleaved)${QUICK ? " [quick]" : ""}`,
);
out(`load average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after; ${os.cpus().length} CPUs; node ${process.version}`);
out(`${reference.label}: ${ref.toFixed(1)} ms`);
// A command's ratio is the median over the rounds of its time / the reference's time in the same round:
// on a loaded machine the load drifts, and a round's runs are seconds apart at most.
const refSamples = samples.get(reference) ?? [];
let worst = 0;
for (const s of subjects) {
  const own = samples.get(s) ?? [];
  const ratio = median(own.map((ms, i) => ms / (refSamples[i] as number)));
  if (s.inRatio) worst = Math.max(worst, ratio);
  out(`${s.label}: ${median(own).toFixed(1)} ms, ratio ${ratio.toFixed(2)}${s.inRatio ? "" : " [not in the ratio]"}`);
}
out(`cold-start ratio ${worst.toFixed(3)} (target ${TARGET})`);
