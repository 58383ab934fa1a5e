import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, gitIn, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { detectGates, formatMarkdown, formatText } from "../src/index.js";
import { main } from "../src/internal/cli.js";
import { defaultRunsDir } from "../src/internal/runs-dir.js";
import { fixture, runIn } from "./helpers.js";

afterAll(cleanupTempDirs);

/** The built binary (the brief: exit codes are proven on what users run). `pnpm --filter @omk/gates build` first. */
const DIST_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/bin.js");

async function gatesIn(cwd: string, env: Record<string, string | undefined>, ...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main({ argv: args, cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const porcelain = async (dir: string) => (await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: dir })).stdout;

function write(dir: string, files: Record<string, string | object>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), typeof content === "string" ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

/** A script that appends its name to hooks.log, so a test sees which scripts ran. */
const mark = (name: string) => `node -e "require('fs').appendFileSync('hooks.log','${name}\\n')"`;
const hookScripts = { pretest: mark("pretest"), test: mark("test"), posttest: mark("posttest") };

describe("detected script gates run without npm's pre/post hooks, and say so", () => {
  it("npm: `npm run test --ignore-scripts` runs the script and not pretest/posttest (this machine's npm)", async () => {
    const dir = write(makeTempDir("hyg-npm-"), { "package.json": { name: "p", version: "1.0.0", scripts: hookScripts }, "package-lock.json": "{}" });
    const d = detectGates(dir);
    if (!d.ok) throw d.error;
    expect(d.value.config.gates[0]?.command).toEqual(["npm", "run", "test", "--ignore-scripts"]);
    expect(d.value.gates[0]?.reason).toBe('package.json script "test", run with npm; pre/post hooks not run (pretest, posttest left out)');
    const run = await gatesIn(dir, {}, "run", "--quiet", "--out", makeTempDir("hyg-out-"));
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "hooks.log"), "utf8")).toBe("test\n");
  });

  it("pnpm: --config.enable-pre-post-scripts=false (pnpm 10 runs them by default)", async () => {
    const shim = makeTempDir("hyg-shim-");
    write(shim, { pnpm: '#!/bin/sh\nexec npx -y pnpm@10 "$@"\n' });
    chmodSync(path.join(shim, "pnpm"), 0o755);
    const dir = write(makeTempDir("hyg-pnpm-"), { "package.json": { name: "p", version: "1.0.0", scripts: hookScripts }, "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" });
    const env = { PATH: `${shim}${path.delimiter}${process.env["PATH"]}` };
    const d = detectGates(dir);
    expect(d.ok && d.value.config.gates[0]?.command).toEqual(["pnpm", "run", "--config.enable-pre-post-scripts=false", "test"]);
    // Without the switch pnpm runs the hooks: the test below would fail if the switch did nothing.
    await execa("pnpm", ["run", "test"], { cwd: dir, env });
    expect(readFileSync(path.join(dir, "hooks.log"), "utf8")).toBe("pretest\ntest\nposttest\n");
    writeFileSync(path.join(dir, "hooks.log"), "");
    const run = await gatesIn(dir, env, "run", "--quiet", "--out", makeTempDir("hyg-out-"));
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "hooks.log"), "utf8")).toBe("test\n");
  }, 120_000);

  it("yarn 1 with hooks is run by npm; yarn 2+ never runs hooks; the reason says which", () => {
    const classic = detectGates(write(makeTempDir("hyg-yarn-"), { "package.json": { scripts: hookScripts }, "yarn.lock": "" }));
    expect(classic.ok && classic.value.config.gates[0]?.command).toEqual(["npm", "run", "test", "--ignore-scripts"]);
    expect(classic.ok && classic.value.gates[0]?.reason).toMatch(/yarn 1 always runs pre\/post hooks; pre\/post hooks not run/);
    const plain = detectGates(write(makeTempDir("hyg-yarn-"), { "package.json": { scripts: { test: "jest" } }, "yarn.lock": "" }));
    expect(plain.ok && plain.value.config.gates[0]?.command).toEqual(["yarn", "run", "test"]);
    expect(plain.ok && plain.value.gates[0]?.reason).toMatch(/pre\/post hooks not run \(it has none\)/);
    const berry = detectGates(write(makeTempDir("hyg-yarn-"), { "package.json": { packageManager: "yarn@4.5.0", scripts: hookScripts }, "yarn.lock": "" }));
    expect(berry.ok && berry.value.config.gates[0]?.command).toEqual(["yarn", "run", "test"]);
    expect(berry.ok && berry.value.gates[0]?.reason).toMatch(/yarn 2\+ never runs them/);
  });

  it("network-only tools are not made gates (skipped with the reason); a script that also runs one says so", () => {
    for (const tool of ["npm audit --audit-level=high", "audit-ci --high", "snyk test", "npm outdated", "nsp check", "npx audit-ci"]) {
      const d = detectGates(write(makeTempDir("hyg-net-"), { "package.json": { scripts: { test: tool, build: "tsc" } }, "package-lock.json": "{}" }));
      if (!d.ok) throw d.error;
      expect(d.value.config.gates.map((g) => g.name), tool).toEqual(["build"]);
      expect(d.value.skipped, tool).toContainEqual({ name: "test", reason: expect.stringMatching(/^the "test" script only runs network tools \(.+\): not run by default/) });
    }
    const mixed = detectGates(write(makeTempDir("hyg-net-"), { "package.json": { scripts: { lint: "eslint . && npm audit" } }, "package-lock.json": "{}" }));
    expect(mixed.ok && mixed.value.gates[0]?.reason).toMatch(/note: it also runs npm audit, which needs the network/);
  });
});

describe("a missing command is an error with its reason, in the text and Markdown tables", () => {
  it("a program that is not there (spawn ENOENT) and a script's command that is not there (sh exit 127)", async () => {
    const dir = write(makeTempDir("hyg-missing-"), { "package.json": { name: "p", version: "1.0.0", scripts: { test: "tape-not-installed test/*.js" } } });
    const { report, gate } = await runIn(dir, [
      { name: "direct", kind: "test", command: ["tape-not-installed", "test.js"] },
      { name: "script", kind: "test", command: ["npm", "run", "test", "--ignore-scripts"] },
      { name: "fails", kind: "test", command: [process.execPath, "-e", "process.exit(3)"] },
    ]);
    for (const name of ["direct", "script"]) {
      expect(gate(name)?.outcome, name).toBe("error");
      expect(gate(name)?.error, name).toMatch(/^command not found: tape-not-installed — install the project's dependencies/);
    }
    // An ordinary failure stays a failure, with no reason made up.
    expect(gate("fails")?.outcome).toBe("failed");
    expect(gate("fails")?.error).toBeUndefined();
    const text = formatText(report);
    expect(text).toMatch(/^gate\s+kind\s+req\s+outcome\s+time\s+exit\s+why$/m);
    expect(text).toMatch(/^direct\s+test\s+yes\s+error\s+.*command not found: tape-not-installed — install/m);
    expect(text).toMatch(/^script\s+test\s+yes\s+error\s+.*127\s+command not found: tape-not-installed/m);
    expect(formatMarkdown(report)).toMatch(/\| direct \| test \| yes \| 💥 error: command not found: tape-not-installed — install the project's dependencies .* \|/);
  });
});

describe("nothing is written into the user's repository", () => {
  it("run and compare keep their logs in the state dir (OMK_STATE_DIR/gates-runs/<project>-<hash>/); --out and --junit go where asked", async () => {
    const repo = makeTempDir("hyg-repo-");
    await initGitRepo(repo, { "package.json": JSON.stringify({ name: "p", version: "1.0.0", scripts: { test: "node -e 0" } }), "package-lock.json": "{}" });
    await execa("git", ["commit", "-q", "--allow-empty", "-m", "second"], { cwd: repo, env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } });
    const state = makeTempDir("hyg-state-");
    const env = { OMK_STATE_DIR: state };
    const before = await porcelain(repo);
    const run = await gatesIn(repo, env, "run", "--quiet");
    expect(run.code, run.stderr).toBe(0);
    const runs = defaultRunsDir(repo, env);
    expect(runs.startsWith(path.join(state, "gates-runs", `${path.basename(repo)}-`))).toBe(true);
    expect(readdirSync(runs)).toHaveLength(1);
    expect(existsSync(path.join(runs, readdirSync(runs)[0] as string, "report.json"))).toBe(true);
    expect(run.stdout).toContain(`logs ${runs}`);
    const compare = await gatesIn(repo, env, "compare", "--base", "HEAD~1", "--quiet");
    expect(compare.code, compare.stderr).toBe(0);
    const ci = makeTempDir("hyg-ci-");
    const out = await gatesIn(repo, env, "run", "--quiet", "--out", path.join(ci, "gates"), "--junit", path.join(ci, "junit.xml"), "--markdown", path.join(ci, "wall.md"));
    expect(out.code, out.stderr).toBe(0);
    expect(existsSync(path.join(ci, "gates", "report.json"))).toBe(true);
    expect(await porcelain(repo)).toBe(before);
    expect(existsSync(path.join(repo, ".omk"))).toBe(false);
    // No OMK_STATE_DIR: XDG_STATE_HOME/omk, else ~/.local/state/omk.
    expect(defaultRunsDir(repo, { XDG_STATE_HOME: "/x/state" })).toMatch(/^\/x\/state\/omk\/gates-runs\//);
    expect(defaultRunsDir(repo, {}, "/home/u")).toMatch(/^\/home\/u\/\.local\/state\/omk\/gates-runs\//);
  }, 60_000);
});

describe("omk-gates detect honours --config and an existing config", () => {
  it("shows what the config says, then what detection would find; a broken config exits 2 with its position", async () => {
    const dir = write(makeTempDir("hyg-detect-"), { "package.json": { scripts: { test: "node -e 0" } }, "package-lock.json": "{}" });
    write(dir, { ".omk/gates.yaml": "gates:\n  - name: unit\n    kind: test\n    command: [node, -e, '0']\n" });
    const shown = await gatesIn(dir, {}, "detect");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^config ${path.join(dir, ".omk", "gates.yaml").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(what run uses\\):\\n  unit  test\\s+required  node -e 0\\n\\ndetection would find: projects in`));
    expect(shown.stdout).toMatch(/test\s+test\s+required\s+npm run test/);
    const other = write(makeTempDir("hyg-detect-"), { "other.yaml": "gates:\n  - name: x\n    kind: lint\n    command: [node]\n" });
    const flag = await gatesIn(dir, {}, "detect", "--config", path.join(other, "other.yaml"), "--json");
    expect(flag.code).toBe(0);
    const json = JSON.parse(flag.stdout) as { configFile: { path: string; config: { gates: { name: string }[] } }; config: { gates: { name: string }[] } };
    expect(json.configFile.path).toBe(path.join(other, "other.yaml"));
    expect(json.configFile.config.gates.map((g) => g.name)).toEqual(["x"]);
    expect(json.config.gates.map((g) => g.name)).toEqual(["test"]);
    write(dir, { ".omk/gates.yaml": "gates:\n  - name: unit\n    kind: tset\n    command: [node]\n" });
    const broken = await gatesIn(dir, {}, "detect");
    expect(broken.code).toBe(2);
    expect(broken.stdout).toMatch(/is broken: .*gates\.yaml:3:11: gates\.0\.kind: /);
    expect(broken.stdout).toMatch(/detection would find: projects in/);
    expect(broken.stderr).toMatch(/^omk-gates: .*gates\.yaml:3:11: gates\.0\.kind: .* — fix: correct gates\.yaml at line 3/);
  });
});

const OK_CONFIG = "gates:\n  - {name: ok, kind: test, command: [node, -e, '0']}\n";

describe("omk-gates exit codes (the built binary; docs/cli.md has the table)", () => {
  const bin = (cwd: string, ...args: string[]) => execa(process.execPath, [DIST_BIN, ...args], { cwd, reject: false, env: { ...process.env, OMK_STATE_DIR: makeTempDir("hyg-state-") } });

  it("0 passed, 1 failed, 2 usage / config / bad ref / no git / no commit, 6 git itself failed", async () => {
    expect(existsSync(DIST_BIN), "build @omk/gates first").toBe(true);
    const repo = makeTempDir("hyg-codes-");
    await initGitRepo(write(repo, { ".omk/gates.yaml": OK_CONFIG }));
    expect((await bin(repo, "run", "--quiet")).exitCode).toBe(0);
    const failing = makeTempDir("hyg-codes-");
    await initGitRepo(write(failing, { ".omk/gates.yaml": "gates:\n  - {name: no, kind: test, command: [node, -e, 'process.exit(1)']}\n" }));
    expect((await bin(failing, "run", "--quiet")).exitCode).toBe(1);

    const cases: Array<[string, string, string[], RegExp]> = [];
    cases.push(["a bad flag", repo, ["run", "--frob"], /Unknown option '--frob'/]);
    const broken = write(makeTempDir("hyg-codes-"), { ".omk/gates.yaml": "gates:\n  - name: [x\n" });
    cases.push(["a broken config", broken, ["run"], /gates\.yaml:\d+:\d+: not valid YAML/]);
    cases.push(["a ref that names no commit", repo, ["compare", "--base", "no-such-ref"], /no-such-ref is not a commit/]);
    const noGit = write(makeTempDir("hyg-codes-"), { ".omk/gates.yaml": OK_CONFIG });
    cases.push(["no git repository", noGit, ["compare", "--base", "HEAD"], /not in a git repository with a commit/]);
    const noCommit = write(makeTempDir("hyg-codes-"), { ".omk/gates.yaml": OK_CONFIG });
    await execa("git", ["init", "-q"], { cwd: noCommit });
    cases.push(["a repository with no commit", noCommit, ["compare", "--base", "HEAD"], /not in a git repository with a commit/]);
    cases.push(["nothing detected", makeTempDir("hyg-codes-"), ["run"], /no gates found/]);
    for (const [what, cwd, args, stderr] of cases) {
      const r = await bin(cwd, ...args);
      expect(r.exitCode, `${what}: ${r.stderr}`).toBe(2);
      expect(r.stderr, what).toMatch(stderr);
    }
    // git itself fails (the base checkout cannot be made: an object of the base commit is gone): the environment, 6.
    const stuck = makeTempDir("hyg-codes-");
    await initGitRepo(write(stuck, { ".omk/gates.yaml": OK_CONFIG, "kept.txt": "kept\n" }));
    const blob = (await gitIn(stuck, "rev-parse", "HEAD:kept.txt")).trim();
    rmSync(path.join(stuck, ".git", "objects", blob.slice(0, 2), blob.slice(2)));
    const infra = await bin(stuck, "compare", "--base", "HEAD", "--quiet");
    expect(infra.exitCode, infra.stderr).toBe(6);
    expect(infra.stderr).toMatch(/a checkout of [0-9a-f]+ failed/);
  }, 120_000);

  it("130 interrupted: SIGINT stops the gates and exits 130 (omk says 7)", async () => {
    const dir = makeTempDir("hyg-codes-");
    const pids = path.join(dir, "pids");
    write(dir, { ".omk/gates.yaml": `gates:\n  - {name: forever, kind: test, command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(fixture("hang.mjs"))}, ${JSON.stringify(pids)}]}\n` });
    const child = execa(process.execPath, [DIST_BIN, "run", "--quiet"], { cwd: dir, reject: false, env: { ...process.env, OMK_STATE_DIR: makeTempDir("hyg-state-") } });
    for (let i = 0; i < 200 && !existsSync(pids); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(130);
  }, 60_000);
});
