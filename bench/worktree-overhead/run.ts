// worktree-overhead: per-task cost of @omk/worktree (createTaskWorktree → captureChanges →
// integrate → cleanup) on a generated 10k-file repository, against the same git commands
// run by a plain shell script (reference.sh), measured in the same run, tasks interleaved.
// The agent's own work (writing three files) happens between the two timed halves and is
// not counted on either side. Reported: median package task / median shell task (wall time).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { captureChanges, cleanup, createTaskWorktree, integrate, taskWorktreeDir } from "@omk/worktree";

// OMK_BENCH_QUICK=1: the short mode (a smoke run, docs/benchmarks/README.md).
const QUICK = process.env["OMK_BENCH_QUICK"] === "1";
const FILES = Number(process.env["OMK_BENCH_FILES"] ?? (QUICK ? 500 : 10_000));
const TASKS = Number(process.env["OMK_BENCH_TASKS"] ?? (QUICK ? 2 : 20));
const TARGET = 1.3;
const PER_DIR = 100;

const here = path.dirname(fileURLToPath(import.meta.url));
const reference = path.join(here, "reference.sh");
// The file system: a RAM disk where there is one (/dev/shm), so that git's own work is as fast as it gets
// and the package's overhead shows most (on a slow disk, checking out 10k files dominates both sides);
// OMK_BENCH_DIR picks another.
const benchDir = process.env["OMK_BENCH_DIR"] ?? (existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir());
const work = mkdtempSync(path.join(benchDir, "omk-bench-worktree-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const repo = path.join(work, "repo");
const stateDir = path.join(work, "state");
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "bench",
  GIT_AUTHOR_EMAIL: "bench@localhost",
  GIT_COMMITTER_NAME: "bench",
  GIT_COMMITTER_EMAIL: "bench@localhost",
};
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, env, encoding: "utf8" }).trim();

// The repository: FILES small files in folders of PER_DIR, one commit.
let t = performance.now();
mkdirSync(repo, { recursive: true });
git(repo, "init", "-q", "-b", "main");
for (let i = 0; i < FILES; i++) {
  const dir = path.join(repo, `d${Math.floor(i / PER_DIR)}`);
  if (i % PER_DIR === 0) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `f${i % PER_DIR}.txt`), `file ${i}\n${"x".repeat(64)}\n`);
}
git(repo, "add", "-A");
git(repo, "commit", "-q", "-m", "base");
const base = git(repo, "rev-parse", "HEAD");
// Let the index settle (no racily-clean entries), as in a checkout that is not brand new.
await new Promise((r) => setTimeout(r, 1100));
git(repo, "update-index", "--refresh", "-q");
const setupMs = performance.now() - t;

/** The agent's work in task n: change two files, add one. */
function agentWork(dir: string, n: number): void {
  const folder = `d${n % Math.max(1, Math.floor(FILES / PER_DIR))}`;
  writeFileSync(path.join(dir, folder, "f0.txt"), `changed by task ${n}\n`);
  writeFileSync(path.join(dir, folder, "f1.txt"), `changed by task ${n}\n`);
  writeFileSync(path.join(dir, folder, `new-${n}.txt`), `added by task ${n}\n`);
}

const PKG_GOAL = "01benchpackage000000000000";
const SH_GOAL = "01benchshell00000000000000";
const graph: { id: string; dependencies: string[] }[] = [];

/** CPU time (ms) of this process and of its waited-for children (git, bash) so far: Linux /proc, else this process only. */
function cpuMs(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
    children = ((Number(fields[13]) || 0) + (Number(fields[14]) || 0)) * 10; // cutime + cstime, in 10 ms ticks
  } catch {
    // not Linux
  }
  return (own.user + own.system) / 1000 + children;
}
let pkgCpu = 0;
let shCpu = 0;

async function packageTask(n: number): Promise<[number, number]> {
  const taskId = `t${n}`;
  graph.push({ id: taskId, dependencies: [] });
  let start = performance.now();
  const created = await createTaskWorktree({ repo, goalId: PKG_GOAL, taskId, base, dir: taskWorktreeDir(stateDir, PKG_GOAL, taskId) });
  if (!created.ok) throw new Error(created.error.message);
  const createMs = performance.now() - start;
  agentWork(created.value.path, n);
  start = performance.now();
  const captured = await captureChanges(created.value);
  if (!captured.ok) throw new Error(captured.error.message);
  const merged = await integrate({ repo, goalId: PKG_GOAL, base, tasks: graph, accepted: graph.map((g) => g.id) });
  if (!merged.ok) throw new Error(merged.error.message);
  const removed = await cleanup(created.value, { deleteBranch: true });
  if (!removed.ok) throw new Error(removed.error.message);
  return [createMs, performance.now() - start];
}

function shellTask(n: number): [number, number] {
  const taskId = `t${n}`;
  const dir = taskWorktreeDir(stateDir, SH_GOAL, taskId);
  const branch = `omk/${SH_GOAL}/${taskId}`;
  mkdirSync(path.dirname(dir), { recursive: true });
  let start = performance.now();
  execFileSync("bash", [reference, "create", repo, dir, branch, base], { env, stdio: "ignore" });
  const createMs = performance.now() - start;
  agentWork(dir, n);
  start = performance.now();
  execFileSync("bash", [reference, "finish", repo, dir, branch, base, `refs/heads/omk/${SH_GOAL}/integration`, `task ${taskId}`], { env, stdio: "ignore" });
  return [createMs, performance.now() - start];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

// One warm-up task each (file cache, lazy imports), then interleaved measured tasks.
await packageTask(0);
shellTask(0);
const pkg: [number, number][] = [];
const sh: [number, number][] = [];
const timedPackage = async (n: number) => {
  const c = cpuMs();
  pkg.push(await packageTask(n));
  pkgCpu += cpuMs() - c;
};
const timedShell = (n: number) => {
  const c = cpuMs();
  sh.push(shellTask(n));
  shCpu += cpuMs() - c;
};
t = performance.now();
for (let n = 1; n <= TASKS; n++) {
  if (n % 2 === 0) {
    await timedPackage(n);
    timedShell(n);
  } else {
    timedShell(n);
    await timedPackage(n);
  }
}
const loopMs = performance.now() - t;

// Both flows must have produced the same integrated files.
const pkgTree = git(repo, "rev-parse", `omk/${PKG_GOAL}/integration^{tree}`);
const shTree = git(repo, "rev-parse", `omk/${SH_GOAL}/integration^{tree}`);
if (pkgTree !== shTree) throw new Error(`integrated trees differ: package ${pkgTree}, shell ${shTree}`);

const total = (xs: [number, number][]) => xs.map(([a, b]) => a + b);
const pkgMs = median(total(pkg));
const shMs = median(total(sh));
// Each package task ran next to a shell task, in alternating order: the median of the pairs' ratios is
// printed too, as is the CPU time both sides used (less sensitive to other jobs on a shared machine).
const pairRatio = median(total(pkg).map((ms, i) => ms / (total(sh)[i] as number)));
const f = (ms: number) => `${ms.toFixed(0)} ms`;
process.stdout.write(
  `repository: ${FILES} files in ${path.dirname(work)} (setup ${f(setupMs)}); tasks: ${TASKS} per side, interleaved, medians (loop ${f(loopMs)})\n`,
);
process.stdout.write(
  `package: create ${f(median(pkg.map((x) => x[0])))}, capture+integrate+cleanup ${f(median(pkg.map((x) => x[1])))}, per task ${f(pkgMs)}\n`,
);
process.stdout.write(
  `shell (reference.sh): create ${f(median(sh.map((x) => x[0])))}, commit+merge+remove ${f(median(sh.map((x) => x[1])))}, per task ${f(shMs)}\n`,
);
process.stdout.write(`integrated trees identical: ${pkgTree === shTree}\n`);
process.stdout.write(
  `median of the paired ratios ${pairRatio.toFixed(3)}; CPU time (incl. git) package ${f(pkgCpu / TASKS)} vs shell ${f(shCpu / TASKS)} per task, ratio ${(pkgCpu / shCpu).toFixed(3)}\n`,
);
process.stdout.write(`worktree-overhead ratio ${(pkgMs / shMs).toFixed(3)} (target ${TARGET})\n`);
