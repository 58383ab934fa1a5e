// gates-overhead: the same N tiny commands run by runGates (the @omk/gates runner)
// and by a plain shell script (the reference), in the same run. The runner does
// what a gate run needs (a process group per gate, redacted and hashed log files,
// the git commit and dirty flag, report.json); the script only runs the commands
// with their output in files.
//
// The runner is measured as it ships: bundled from source in this run (esbuild,
// like tsup builds dist/) and driven in a plain `node` process, not under the tsx
// loader this harness runs in (a bigger process with a loader thread forks slower).
// esbuild is the one tsup builds with, resolved from tsup's own folder (tsup is a
// dev dependency of the package), through its JS API: a fresh install links no
// esbuild binary into the package's node_modules/.bin.
//
// The ratio is taken one command after another: there every millisecond the
// runner adds shows, and nothing hides behind concurrency. It is the median of
// the ratios of pairs (runner run, script run) taken back to back in alternating
// order, so a change in machine load between runs does not land on one side. All at once is printed
// for information, against a script that starts each command under `setsid`:
// the runner starts each gate in its own session (to kill its group), and with
// the scheduler's autogroups (on here) a process in its own session gets its own
// CPU share, so on a busy machine a plain script's children, sharing one share,
// would make the runner look faster than it is.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

// OMK_BENCH_QUICK=1: the short mode (a smoke run, docs/benchmarks/README.md).
const QUICK = process.env["OMK_BENCH_QUICK"] === "1";
const COMMANDS = Number(process.env["OMK_BENCH_COMMANDS"] ?? (QUICK ? 4 : 20));
const REPS = Number(process.env["OMK_BENCH_REPS"] ?? (QUICK ? 3 : 15));
const TARGET = 1.1;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = path.join(root, "packages", "gates");
// Inside the package's node_modules, so the bundle's bare imports (execa, yaml, …) resolve from the package.
const bundle = path.join(pkg, "node_modules", ".cache", "omk-bench-gates", "index.js");
const fromTsup = createRequire(createRequire(path.join(pkg, "package.json")).resolve("tsup"));
const esbuild = fromTsup("esbuild") as { build(options: Record<string, unknown>): Promise<unknown> };
// Workspace packages (@omk/*) are bundled from source (no build needed); other packages stay imports.
const externalPackages = {
  name: "external-packages",
  setup(build: { onResolve(options: { filter: RegExp }, callback: (args: { path: string }) => { external: boolean } | undefined): void }) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@omk/") ? undefined : { external: true }));
  },
};
await esbuild.build({
  absWorkingDir: pkg,
  entryPoints: ["src/index.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  conditions: ["@omk/source"],
  plugins: [externalPackages],
  outfile: bundle,
  logLevel: "warning",
});

const dir = mkdtempSync(path.join(os.tmpdir(), "omk-bench-gates-"));
const git = (...args: string[]) =>
  execFileSync("git", args, {
    cwd: dir,
    stdio: "ignore",
    env: { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@e.invalid", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@e.invalid" },
  });
git("init", "-q", "-b", "main");
writeFileSync(path.join(dir, "README.md"), "bench\n");
writeFileSync(path.join(dir, ".gitignore"), "out/\n");
git("add", "-A");
git("commit", "-qm", "bench");

// Each command: a Node process that prints a line (the shape of a tiny gate).
const argv = (i: number) => [process.execPath, "-e", `process.stdout.write("gate ${i} ok\\n")`];
const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
const autogroups = (() => {
  try {
    return readFileSync("/proc/sys/kernel/sched_autogroup_enabled", "utf8").trim() === "1";
  } catch {
    return false;
  }
})();
const hasSetsid = spawnSync("setsid", ["true"]).status === 0;
function script(name: string, prefix: string, parallel: boolean): string {
  const lines = Array.from(
    { length: COMMANDS },
    (_, i) => `${prefix}${argv(i).map(quote).join(" ")} >"$out/${i}.out" 2>"$out/${i}.err"${parallel ? " &" : ""}`,
  );
  writeFileSync(path.join(dir, name), `out="$1"\nmkdir -p "$out"\n${lines.join("\n")}\n${parallel ? "wait\n" : ""}`);
  return name;
}
const scripts = { seq: script("seq.sh", "", false), par: script("par.sh", hasSetsid ? "setsid " : "", true), plainPar: script("plain-par.sh", "", true) };

// The runner process: one runGates per request line "<parallelism> <outDir>", answering with the elapsed ms.
writeFileSync(
  path.join(dir, "runner.mjs"),
  [
    `import { createInterface } from "node:readline";`,
    `import { GatesConfigSchema, runGates } from ${JSON.stringify(bundle)};`,
    `const config = GatesConfigSchema.parse({ gates: ${JSON.stringify(Array.from({ length: COMMANDS }, (_, i) => ({ name: `g${i}`, kind: "custom", command: argv(i) })))} });`,
    `for await (const line of createInterface({ input: process.stdin })) {`,
    `  const [parallelism, outDir] = line.split(" ");`,
    `  const start = performance.now();`,
    `  const report = await runGates({ root: ${JSON.stringify(dir)}, config, outDir, parallelism: Number(parallelism) });`,
    `  process.stdout.write(report.verdict === "passed" ? \`\${performance.now() - start}\\n\` : "failed\\n");`,
    `}`,
  ].join("\n"),
);
const runner = spawn(process.execPath, [path.join(dir, "runner.mjs")], { stdio: ["pipe", "pipe", "inherit"] });
const answers = createInterface({ input: runner.stdout })[Symbol.asyncIterator]();

let n = 0;
async function timeRunner(parallelism: number): Promise<number> {
  runner.stdin.write(`${parallelism} ${path.join(dir, "out", `r${n++}`)}\n`);
  const answer = await answers.next();
  const ms = Number(answer.value);
  if (answer.done === true || !Number.isFinite(ms)) throw new Error(`runner: ${String(answer.value)}`);
  return ms;
}
function timeShell(name: string): number {
  const start = performance.now();
  execFileSync("sh", [path.join(dir, name), path.join(dir, "out", `s${n++}`)], { stdio: "ignore" });
  return performance.now() - start;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

// Warm up (file cache, JIT). Then pairs, in alternating order, so drift in machine load hits both
// sides alike; the ratio is the median of the pairs' ratios (robust to a load spike in one pair).
await timeRunner(1);
timeShell(scripts.seq);
const s = {
  runnerSeq: [] as number[],
  shellSeq: [] as number[],
  pairs: [] as number[],
  runnerPar: [] as number[],
  shellPar: [] as number[],
  plainPar: [] as number[],
};
for (let r = 0; r < REPS; r++) {
  let runnerMs: number;
  let shellMs: number;
  if (r % 2 === 0) {
    runnerMs = await timeRunner(1);
    shellMs = timeShell(scripts.seq);
  } else {
    shellMs = timeShell(scripts.seq);
    runnerMs = await timeRunner(1);
  }
  s.runnerSeq.push(runnerMs);
  s.shellSeq.push(shellMs);
  s.pairs.push(runnerMs / shellMs);
}
for (let r = 0; r < Math.ceil(REPS / 3); r++) {
  s.runnerPar.push(await timeRunner(COMMANDS));
  s.shellPar.push(timeShell(scripts.par));
  s.plainPar.push(timeShell(scripts.plainPar));
}
runner.stdin.end();
await new Promise((resolve) => runner.once("close", resolve));
rmSync(dir, { recursive: true, force: true });

const m = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, median(v)])) as Record<keyof typeof s, number>;
const ms = (x: number) => `${x.toFixed(0)} ms`;
process.stdout.write(
  `commands: ${COMMANDS} tiny node processes; ${REPS} pairs; ${os.availableParallelism()} CPUs; load ${os.loadavg()[0]?.toFixed(1)}; scheduler autogroups ${autogroups ? "on" : "off"}\n`,
);
process.stdout.write(
  `one after another (median): runner ${ms(m.runnerSeq)}, sh script ${ms(m.shellSeq)}; runner overhead ${((m.runnerSeq - m.shellSeq) / COMMANDS).toFixed(1)} ms per command; pair ratios ${Math.min(...s.pairs).toFixed(3)}..${Math.max(...s.pairs).toFixed(3)}\n`,
);
process.stdout.write(
  `all at once (information, median of ${s.runnerPar.length}): runner ${ms(m.runnerPar)}, sh script with ${hasSetsid ? "setsid" : "no setsid (missing)"} ${ms(m.shellPar)} (ratio ${(m.runnerPar / m.shellPar).toFixed(3)}), plain sh script ${ms(m.plainPar)}\n`,
);
process.stdout.write(`gates-overhead ratio ${m.pairs.toFixed(3)} (target ${TARGET})\n`);
