#!/usr/bin/env node
// `pnpm bench:smoke [name...]`: every benchmark in bench/ (or the ones named) once,
// in its short mode (OMK_BENCH_QUICK=1: few runs, small sizes), one after another.
// Fails when a benchmark exits non-zero, runs past its time limit, or does not end
// with its ratio line `<name> ratio <value> (target <t>)`. The ratio against the
// target is printed, never judged: a short run on a busy CI machine says nothing
// about speed (the full runs, `pnpm bench <name>`, do; docs/benchmarks/README.md).
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const benchDir = path.join(root, "bench");
const all = existsSync(benchDir)
  ? readdirSync(benchDir)
      .filter((n) => existsSync(path.join(benchDir, n, "run.ts")))
      .sort()
  : [];
const asked = process.argv.slice(2);
const unknown = asked.filter((n) => !all.includes(n));
if (all.length === 0 || unknown.length > 0) {
  process.stderr.write(
    `${unknown.length > 0 ? `unknown benchmark: ${unknown.join(", ")}\n` : "no benchmarks in bench/\n"}usage: pnpm bench:smoke [name...]\nbenchmarks: ${all.join(", ") || "(none)"}\n`,
  );
  process.exit(2);
}
const names = asked.length > 0 ? asked : all;
// Per benchmark; a short run takes seconds to a few tens of seconds on a loaded 2-core machine.
const LIMIT_MS = Number(process.env.OMK_BENCH_SMOKE_LIMIT_MS ?? 180_000);

/** One benchmark in its short mode; its output is passed through, the last line kept. */
function runOne(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(root, "tooling", "bench.mjs"), name], {
      cwd: root,
      env: { ...process.env, OMK_BENCH_QUICK: "1" },
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL"); // the benchmark's own process group
      } catch {
        child.kill("SIGKILL");
      }
    }, LIMIT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const last = out.trimEnd().split("\n").at(-1) ?? "";
      resolve({ name, code, signal, timedOut, last, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const results = [];
for (const name of names) {
  process.stdout.write(`\n--- bench ${name} (short mode)\n`);
  const r = await runOne(name);
  const m = new RegExp(`^${escapeRegExp(name)} ratio (\\d+(?:\\.\\d+)?) \\(target (\\d+(?:\\.\\d+)?)\\)$`).exec(r.last);
  const problem = r.timedOut
    ? `ran past ${LIMIT_MS / 1000} s`
    : r.code !== 0
      ? `exited ${r.code ?? r.signal}`
      : m === null
        ? `did not end with "${name} ratio <value> (target <t>)" (last line: ${JSON.stringify(r.last.slice(0, 200))})`
        : undefined;
  results.push({ ...r, ratio: m?.[1], target: m?.[2], problem });
}

process.stdout.write("\nbenchmarks, short mode (ratios are not judged here: few runs on a possibly busy machine)\n");
for (const r of results) {
  const what = r.problem ?? `ratio ${r.ratio} (target ${r.target}${Number(r.ratio) <= Number(r.target) ? "" : ", above it in this short run"})`;
  process.stdout.write(`  ${r.problem === undefined ? "ok  " : "FAIL"} ${r.name.padEnd(20)} ${r.seconds.toFixed(1).padStart(6)} s  ${what}\n`);
}
const failed = results.filter((r) => r.problem !== undefined);
if (failed.length > 0) {
  process.stderr.write(
    `bench smoke: ${failed.length} of ${results.length} failed: ${failed.map((r) => r.name).join(", ")}\nfix: run \`npx -y pnpm@10 bench <name> --quick\` to see its error\n`,
  );
  process.exit(1);
}
