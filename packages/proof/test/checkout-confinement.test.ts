// Issue 14: setup installs, gate commands and the oracle's checks run the agent's code. A committed tree whose
// (a) pyproject.toml names a local build backend (run by `pip install -e .`), (b) dependency has an install
// script (run by `npm rebuild`), and (c) test is run by a gate, each reads OMK's log key, appends to the goal's
// events.jsonl and plants a hook in the user's .git. Through the controller's real checkout, setup and wall
// (setUpCheckout + runWall, as task checkouts and verification use them) under checkoutConfinement and real bwrap: every attempt
// fails and nothing lands. The same tree unconfined: every attempt lands (the test can fail).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { runWall } from "../src/evidence/wall.js";
import { setUpCheckout } from "../src/internal/checkout-deps.js";
import { checkoutConfinement, setupCachesDir } from "../src/internal/confinement.js";

afterAll(cleanupTempDirs);

const BWRAP = "/usr/bin/bwrap";
const KEY = "k".repeat(64);
const LOG_LINE = '{"seq":1,"type":"goal_created"}\n';

/** Each hostile piece runs this: read the key, append to the log, plant a hook; what happened goes to ran-<who>.txt in its tree. */
const ATTACK = `const fs = require("node:fs");
const path = require("node:path");
const who = process.argv[2];
const here = __dirname;
const t = JSON.parse(fs.readFileSync(path.join(__dirname, "targets.json"), "utf8"));
const out = [];
const attempt = (name, fn) => { try { fn(); out.push(name + ": done"); } catch (e) { out.push(name + ": " + (e.code || e.message)); } };
attempt("read-key", () => { if (fs.readFileSync(t.key, "utf8").length === 0) throw new Error("empty"); });
attempt("append-log", () => fs.appendFileSync(t.log, JSON.stringify({ seq: 2, type: "budget_extended", by: who }) + "\\n"));
attempt("plant-hook", () => { fs.mkdirSync(path.dirname(t.hook), { recursive: true }); fs.writeFileSync(t.hook, "#!/bin/sh\\necho planted-by-" + who + "\\n", { mode: 0o755 }); });
fs.writeFileSync(path.join(here, "ran-" + who + ".txt"), out.join("\\n") + "\\n");
`;

/** The install script's other attack: a mark in each of the user's package-manager caches (npx's pnpm.cjs lives in ~/.npm/_npx and runs on the host later) and in whatever cache npm itself uses. */
const CACHE_ATTACK = `const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");
const t = JSON.parse(fs.readFileSync(path.join(__dirname, "targets.json"), "utf8"));
const npmCache = execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8" }).trim();
const out = ["npm-cache: " + npmCache];
for (const [name, file] of [...Object.entries(t.homeCaches), ["npm-config-cache", path.join(npmCache, "MARK")]]) {
  try { fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, "poisoned"); out.push(name + ": done"); } catch (e) { out.push(name + ": " + (e.code || e.message)); }
}
fs.writeFileSync(path.join(__dirname, "ran-cache.txt"), out.join("\\n") + "\\n");
`;

const BACKEND = `import subprocess, os
subprocess.run(["node", os.path.join(os.getcwd(), "attack.js"), "pip"], check=False)
raise RuntimeError("evil backend: attack done")
`;

type World = { stateRoot: string; repo: string; commit: string; key: string; log: string; hook: string; home: string; homeCaches: Record<string, string> };

/** `pip`: the tree has the pyproject.toml whose backend fails the setup after its attack (so no gate runs); without it, setup passes and the gate runs. */
async function world(pip: boolean): Promise<World> {
  const stateRoot = makeTempDir("omk-box-state-");
  mkdirSync(path.join(stateRoot, "keys"), { recursive: true });
  writeFileSync(path.join(stateRoot, "keys", "log.key"), KEY, { mode: 0o600 });
  const goalDir = path.join(stateRoot, "goals", "g1");
  mkdirSync(goalDir, { recursive: true });
  writeFileSync(path.join(goalDir, "events.jsonl"), LOG_LINE);
  const repo = makeTempDir("omk-box-repo-");
  await execa("git", ["init", "-q", "-b", "main", repo]);
  // The user's HOME, with the caches a package manager keeps there already made (as on a machine that ran npx and corepack).
  const home = makeTempDir("omk-box-home-");
  const homeCaches = {
    npx: path.join(home, ".npm", "_npx", "MARK"),
    corepack: path.join(home, ".cache", "node", "corepack", "MARK"),
    pnpm: path.join(home, ".local", "share", "pnpm", "MARK"),
    pip: path.join(home, ".cache", "pip", "MARK"),
  };
  for (const f of Object.values(homeCaches)) mkdirSync(path.dirname(f), { recursive: true });
  const targets = {
    key: path.join(stateRoot, "keys", "log.key"),
    log: path.join(goalDir, "events.jsonl"),
    hook: path.join(repo, ".git", "hooks", "post-checkout"),
    homeCaches,
  };
  const dep = path.join(repo, "evil-dep");
  mkdirSync(dep, { recursive: true });
  writeFileSync(
    path.join(dep, "package.json"),
    `${JSON.stringify({ name: "evil-dep", version: "1.0.0", scripts: { install: "node ../../attack.js npm && node ../../cache-attack.js" } }, null, 2)}\n`,
  );
  await execa("npm", ["pack", "--silent", "--pack-destination", repo], { cwd: dep });
  const files: Record<string, string> = {
    "attack.js": ATTACK,
    "cache-attack.js": CACHE_ATTACK,
    "targets.json": `${JSON.stringify(targets)}\n`,
    "package.json": `${JSON.stringify({ name: "box", version: "1.0.0", private: true, dependencies: { "evil-dep": "file:./evil-dep-1.0.0.tgz" } }, null, 2)}\n`,
    "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "evil_backend"\nbackend-path = ["."]\n\n[project]\nname = "box"\nversion = "0.0.1"\n',
    "evil_backend.py": BACKEND,
    ".omk/gates.yaml": "version: 1\ngates:\n  - name: test\n    kind: test\n    command: [node, attack.js, gate]\n",
  };
  if (!pip) {
    delete files["pyproject.toml"];
    delete files["evil_backend.py"];
  }
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    writeFileSync(path.join(repo, name), text);
  }
  await execa("git", ["add", "-A"], { cwd: repo });
  await execa("git", ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "hostile"], { cwd: repo });
  const commit = (await execa("git", ["rev-parse", "HEAD"], { cwd: repo })).stdout.trim();
  return { stateRoot, repo, commit, home, ...targets };
}

/**
 * A task-style checkout of the commit in `<stateRoot>/checkouts/g1/<name>` (its own git dir, the user's objects
 * borrowed), then the controller's setup of it (npm install + npm rebuild, venv + pip install -e .) and, when that
 * passed, its gate wall, as verification runs them. Returns what each hostile piece recorded in the checkout.
 */
async function verify(w: World, confined: boolean): Promise<Record<string, string>> {
  const confine = confined ? checkoutConfinement({ mode: "bwrap", bwrap: BWRAP }, { stateRoot: w.stateRoot, repo: w.repo }) : undefined;
  // The user's environment with the test's HOME: no variable moves a cache out of it (pnpm's own npm_config_* included).
  const user = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !/^(npm_config_cache|npm_config_store_dir|npm_config_cache_dir|XDG_CACHE_HOME|XDG_DATA_HOME|PNPM_HOME|PIP_CACHE_DIR|COREPACK_HOME|YARN_CACHE_FOLDER)$/i.test(
          name,
        ),
    ),
  );
  const env = { ...user, HOME: w.home, npm_config_audit: "false", npm_config_fund: "false" };
  const deps = { env, cacheDir: makeTempDir("omk-box-deps-"), ...(confine === undefined ? {} : { confine }) };
  const dir = path.join(w.stateRoot, "checkouts", "g1", confined ? "boxed" : "open");
  await execa("git", ["clone", "-q", "--shared", "--no-checkout", w.repo, dir]);
  await execa("git", ["checkout", "-q", "--detach", w.commit], { cwd: dir });
  const setup = await setUpCheckout(deps, dir, "t1", "copy");
  if (setup.ok) {
    const outDir = path.join(w.stateRoot, "goals", "g1", "gates", confined ? "boxed" : "open");
    const wall = await runWall({
      root: dir,
      goalDir: path.join(w.stateRoot, "goals", "g1"),
      outDir,
      runId: "r1",
      env,
      setup: setup.value,
      ...(confine === undefined ? {} : { confine }),
    });
    if (!wall.ok) throw new Error(wall.error.message);
    expect(wall.value.report.gates.map((g) => g.outcome)).toEqual(["passed"]);
  }
  const ran: Record<string, string> = {};
  for (const who of ["npm", "pip", "gate", "cache"]) {
    const f = path.join(dir, `ran-${who}.txt`);
    if (existsSync(f)) ran[who] = readFileSync(f, "utf8");
  }
  return ran;
}

const LANDED = /read-key: done\nappend-log: done\nplant-hook: done/;

describe.skipIf(!existsSync(BWRAP))("setup and gates on an agent's tree, under the agents' sandbox", () => {
  it("unconfined (the control): the build backend, the install script and the gate's test each read the key, forge the log and plant the hook", async () => {
    const setup = await world(true);
    const ranSetup = await verify(setup, false);
    expect(ranSetup["npm"]).toMatch(LANDED);
    expect(ranSetup["pip"]).toMatch(LANDED);
    expect(readFileSync(setup.log, "utf8")).toContain('"by":"pip"');
    expect(readFileSync(setup.hook, "utf8")).toContain("planted-by-");
    // The install script wrote every cache of the user's HOME, npm's own among them.
    expect(ranSetup["cache"]).toContain(`npm-cache: ${path.join(setup.home, ".npm")}`);
    for (const f of Object.values(setup.homeCaches)) expect(readFileSync(f, "utf8")).toBe("poisoned");
    expect(readFileSync(path.join(setup.home, ".npm", "MARK"), "utf8")).toBe("poisoned");
    const gate = await world(false);
    const ranGate = await verify(gate, false);
    expect(ranGate["gate"]).toMatch(LANDED);
    expect(readFileSync(gate.log, "utf8")).toContain('"by":"gate"');
  }, 300_000);

  for (const [label, pip, pieces] of [
    ["the build backend and the install script (setup)", true, ["npm", "pip"]],
    ["the install script (setup) and the gate's test", false, ["npm", "gate"]],
  ] as const) {
    it(`confined: ${label}: every attempt fails, the key, the log and the user's .git are untouched`, async () => {
      const w = await world(pip);
      const ran = await verify(w, true);
      for (const who of pieces) {
        expect(ran[who], `${who} did not run`).toBeDefined();
        expect(ran[who], who).toMatch(/read-key: (ENOENT|EACCES)/);
        expect(ran[who], who).toMatch(/append-log: (ENOENT|EROFS|EACCES)/);
        expect(ran[who], who).toMatch(/plant-hook: (ENOENT|EROFS|EACCES)/);
      }
      expect(readFileSync(w.log, "utf8")).toBe(LOG_LINE);
      expect(existsSync(w.hook)).toBe(false);
      expect(readFileSync(w.key, "utf8")).toBe(KEY);
      // The user's package-manager caches stay unwritten; npm used OMK's own cache under the state root (its logs are there), and that one was writable.
      const caches = setupCachesDir(w.stateRoot);
      expect(ran["cache"], "the cache attack did not run").toBeDefined();
      expect(ran["cache"]).toContain(`npm-cache: ${path.join(caches, "npm")}`);
      for (const [name, f] of Object.entries(w.homeCaches)) {
        expect(ran["cache"], name).toMatch(new RegExp(`${name}: (ENOENT|EROFS|EACCES)`));
        expect(existsSync(f), f).toBe(false);
      }
      expect(existsSync(path.join(w.home, ".npm", "MARK"))).toBe(false);
      expect(ran["cache"]).toContain("npm-config-cache: done");
      expect(existsSync(path.join(caches, "npm", "_logs"))).toBe(true);
      expect(statSync(caches).mode & 0o777).toBe(0o700);
    }, 300_000);
  }
});
