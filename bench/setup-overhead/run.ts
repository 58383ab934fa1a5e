// setup-overhead: what a task pays for its dependencies. On a fresh clone of a
// small real npm project (a lockfile made here with `npm install
// --package-lock-only`: tape, minimist and is-number from the npm registry,
// ~130 packages), each task gets a new git worktree, and then:
//   - omk copy: prepareCheckout(mode "copy") — what every checkout where code
//     runs gets (task worktrees and gate checkouts: the shared install
//     materialised as a private copy after its stat digest check, the copy
//     then checked against the content digest recorded at install time);
//   - omk hardlink: prepareCheckout(mode "hardlink") — only for a checkout
//     where nothing runs (measured for the record);
//   - symlink: one symlink to the shared node_modules (measured for the record;
//     not used, see docs/decisions/gates.md);
//   - reference: a bare `npm ci --prefer-offline --no-audit --no-fund` of the
//     same lockfile in the same kind of worktree (npm's cache warm, so offline).
// Each task runs all four, in rotating order. The ratio is the median omk copy
// time over the median bare npm ci time. The first install into the shared
// cache (once per lockfile) is printed too.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { prepareCheckout } from "@omk/gates";
import { npmLockfileFor } from "@omk/test-fixtures";

// OMK_BENCH_QUICK=1: the short mode (a smoke run, docs/benchmarks/README.md).
const QUICK = process.env["OMK_BENCH_QUICK"] === "1";
const TASKS = Number(process.env["OMK_BENCH_TASKS"] ?? (QUICK ? 1 : 7));
const TARGET = 0.25;

const base = mkdtempSync(path.join(process.env["OMK_BENCH_DIR"] ?? os.tmpdir(), "omk-bench-setup-"));
const env = { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@e.invalid", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@e.invalid" };
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, stdio: "ignore", env });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

try {
  // The short mode installs one small package (is-number) instead of tape's ~130: the same steps, in seconds.
  const project = QUICK
    ? { name: "bench-setup", version: "1.0.0", private: true, scripts: { test: "node test/t.js" }, dependencies: { "is-number": "7.0.0" } }
    : {
        name: "bench-setup",
        version: "1.0.0",
        private: true,
        scripts: { test: "tape test/*.js" },
        devDependencies: { tape: "5.9.0", minimist: "1.2.8" },
        dependencies: { "is-number": "7.0.0" },
      };
  const packageJson = `${JSON.stringify(project, null, 2)}\n`;
  const origin = path.join(base, "origin");
  execFileSync("mkdir", ["-p", path.join(origin, "test")]);
  git(base, "init", "-q", "-b", "main", origin);
  writeFileSync(path.join(origin, "package.json"), packageJson);
  writeFileSync(path.join(origin, "package-lock.json"), npmLockfileFor(packageJson));
  writeFileSync(
    path.join(origin, "test", "t.js"),
    QUICK ? "require('assert').ok(require('is-number')(1));\n" : "require('tape')('ok', (t) => { t.ok(require('is-number')(1)); t.end(); });\n",
  );
  git(origin, "add", "-A");
  git(origin, "commit", "-q", "-m", "project");
  const clone = path.join(base, "clone");
  git(base, "clone", "-q", origin, clone);
  const cacheDir = path.join(base, "deps-cache");

  let n = 0;
  const worktree = () => {
    n += 1;
    const dir = path.join(base, `wt-${n}`);
    git(clone, "worktree", "add", "-q", "--detach", dir, "HEAD");
    return dir;
  };
  const time = async (f: () => unknown) => {
    const t = performance.now();
    await f();
    return performance.now() - t;
  };
  const npmCi = (dir: string) =>
    execFileSync("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], {
      cwd: dir,
      stdio: "ignore",
      env: { ...process.env, npm_config_update_notifier: "false" },
    });

  // Warm npm's own cache (both sides then install offline), then the first install into the shared cache.
  npmCi(worktree());
  const firstDir = worktree();
  const first = await prepareCheckout(firstDir, { cacheDir, config: null });
  if (first.status !== "ready" || first.steps[0]?.reused !== false) throw new Error(`first install: ${JSON.stringify(first)}`);
  const firstMs = first.durationMs;
  const ciWarm = await time(() => npmCi(worktree()));

  const runs: Record<"copy" | "hardlink" | "symlink" | "npm ci", number[]> = { copy: [], hardlink: [], symlink: [], "npm ci": [] };
  const sides: Array<[keyof typeof runs, (dir: string) => Promise<unknown> | unknown]> = [
    [
      "copy",
      async (dir) => {
        const o = await prepareCheckout(dir, { cacheDir, config: null, mode: "copy" });
        if (o.steps[0]?.reused !== true) throw new Error("not reused");
      },
    ],
    [
      "hardlink",
      async (dir) => {
        const o = await prepareCheckout(dir, { cacheDir, config: null, mode: "hardlink" });
        if (o.steps[0]?.reused !== true || o.steps[0]?.materialised !== "hardlink") throw new Error(`not a reused hardlink: ${JSON.stringify(o.steps[0])}`);
      },
    ],
    ["symlink", (dir) => symlinkSync(path.join(cacheDir, first.steps[0]?.key as string, "node_modules"), path.join(dir, "node_modules"))],
    ["npm ci", (dir) => npmCi(dir)],
  ];
  for (let task = 0; task < TASKS; task++) {
    for (let k = 0; k < sides.length; k++) {
      const [name, run] = sides[(task + k) % sides.length] as (typeof sides)[number];
      const dir = worktree();
      runs[name].push(await time(() => run(dir)));
      // Every side must leave a project whose tests run.
      if (task === 0) execFileSync("npm", ["test"], { cwd: dir, stdio: "ignore" });
    }
  }
  // The content check alone: sha256 of every file of a materialised node_modules (what each copy pays on top).
  const hashTree = (dir: string, h = createHash("sha256")): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const st = lstatSync(full);
      if (st.isDirectory()) hashTree(full, h);
      else if (st.isFile()) h.update(readFileSync(full));
    }
  };
  const hashRuns: number[] = [];
  for (let i = 0; i < (QUICK ? 1 : 5); i++) hashRuns.push(await time(() => hashTree(path.join(firstDir, "node_modules"))));
  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  const fileCount = execFileSync("sh", ["-c", `find '${path.join(firstDir, "node_modules")}' -type f | wc -l`])
    .toString()
    .trim();
  process.stdout.write(
    `project: ${fileCount} files in node_modules (${QUICK ? "is-number" : "tape, minimist, is-number and their dependencies"}), fresh clone in ${base}; ${TASKS} tasks, each side in rotating order, medians\n`,
  );
  process.stdout.write(
    `first install into the shared cache (npm ci + seal + digest, once per lockfile): ${f(firstMs)}; a bare npm ci right after: ${f(ciWarm)}\n`,
  );
  for (const [name, xs] of Object.entries(runs))
    process.stdout.write(`${name.padEnd(9)} per task ${f(median(xs))} (min ${f(Math.min(...xs))}, max ${f(Math.max(...xs))})\n`);
  process.stdout.write(
    `content check (sha256 of every file, included in copy) ${f(median(hashRuns))} (min ${f(Math.min(...hashRuns))}, max ${f(Math.max(...hashRuns))})\n`,
  );
  process.stdout.write(
    `hardlink / npm ci ${(median(runs.hardlink) / median(runs["npm ci"])).toFixed(3)}; symlink / npm ci ${(median(runs.symlink) / median(runs["npm ci"])).toFixed(4)}\n`,
  );
  process.stdout.write(`setup-overhead ratio ${(median(runs.copy) / median(runs["npm ci"])).toFixed(3)} (target ${TARGET})\n`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
