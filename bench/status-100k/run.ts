// status-100k: `omk goal status` on a goal with 100,000 events, against the
// same command on a goal with one event (the reference), in the same run.
// A fresh goal.json makes a read O(1) in the length of the log; the ratio
// shows it. Also reports a full replay (`omk goal replay --verify`) of the
// 100k log for scale.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildPackage, isBuilt } from "../../tooling/package-build.mjs";
import { openStore } from "@omk/state";

// OMK_BENCH_QUICK=1: the short mode (a smoke run, docs/benchmarks/README.md).
const QUICK = process.env["OMK_BENCH_QUICK"] === "1";
const EVENTS = Number(process.env["OMK_BENCH_EVENTS"] ?? (QUICK ? 5_000 : 100_000));
const RUNS = Number(process.env["OMK_BENCH_RUNS"] ?? (QUICK ? 2 : 15));
const TARGET = 1.5;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = path.join(root, "apps/cli/dist/bin.js");
// The binary built from this tree: built unless it is newer than its sources (tooling/package-build.mjs).
if (!isBuilt(path.join(root, "apps/cli"), ["dist/bin.js"])) {
  const build = buildPackage(path.join(root, "apps/cli"));
  if (build.code !== 0) throw new Error(`building apps/cli failed:\n${build.output}`);
}

const stateDir = mkdtempSync(path.join(os.tmpdir(), "omk-bench-status-"));
const store = openStore({ root: stateDir });
const limits = { timeMs: null, tokens: null, usd: null };
const small = await store.createGoal({ text: "reference goal", repoRoot: root, limits, maxAgents: 1 });
const large = await store.createGoal({ text: "goal with a long log", repoRoot: root, limits, maxAgents: 1 });
if (!small.ok || !large.ok) throw new Error("create failed");
const id = large.value.id;

// Write the log in batches of 10k events through the store (one append, so one fsync, per batch:
// appending 100k events one by one would take minutes), each line chained and signed as omk writes it.
const BATCH = 10_000;
for (let written = 1; written < EVENTS; written += BATCH) {
  const count = Math.min(BATCH, EVENTS - written);
  const appended = await store.append(id, () =>
    Array.from({ length: count }, () => ({
      type: "usage_recorded" as const,
      actor: "bench",
      data: { source: "bench", tokens: { input: 10, cacheRead: 5, cacheWrite: 0, output: 3 }, usd: 0.0001 },
    })),
  );
  if (!appended.ok) throw new Error(appended.error.message);
}
let t = performance.now();
await store.rebuildSnapshot(id);
const rebuildMs = performance.now() - t;

function timeStatus(goalId: string): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, [bin, "goal", "status", goalId, "--json"], { env: { ...process.env, OMK_STATE_DIR: stateDir }, encoding: "utf8" });
    samples.push(performance.now() - start);
    if (r.status !== 0) throw new Error(`status failed: ${r.stderr}`);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

if (!QUICK) timeStatus(small.value.id); // warm the file cache
const ref = timeStatus(small.value.id);
const big = timeStatus(id);
t = performance.now();
const replay = spawnSync(process.execPath, [bin, "goal", "replay", id, "--verify"], { env: { ...process.env, OMK_STATE_DIR: stateDir }, encoding: "utf8" });
const replayMs = performance.now() - t;
rmSync(stateDir, { recursive: true, force: true });

process.stdout.write(`events: ${EVENTS}; runs: ${RUNS} (median)\n`);
process.stdout.write(`status, 1-event goal (reference): ${ref.toFixed(1)} ms\n`);
process.stdout.write(`status, ${EVENTS}-event goal: ${big.toFixed(1)} ms\n`);
process.stdout.write(`snapshot rebuild (fold of ${EVENTS} events, in-process): ${rebuildMs.toFixed(0)} ms\n`);
process.stdout.write(`replay --verify of ${EVENTS} events (process): ${replayMs.toFixed(0)} ms, exit ${replay.status}\n`);
process.stdout.write(`status-100k ratio ${(big / ref).toFixed(3)} (target ${TARGET})\n`);
