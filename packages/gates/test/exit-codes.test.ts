import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, gitIn, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { write } from "./cli-helpers.js";
import { fixture } from "./helpers.js";

afterAll(cleanupTempDirs);

/** The built binary (the brief: exit codes are proven on what users run). `pnpm --filter @omk/gates build` first. */
const DIST_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/bin.js");

const OK_CONFIG = "gates:\n  - {name: ok, kind: test, command: [node, -e, '0']}\n";

describe("omk-gates exit codes (the built binary; docs/cli.md has the table)", () => {
  const bin = (cwd: string, ...args: string[]) =>
    execa(process.execPath, [DIST_BIN, ...args], { cwd, reject: false, env: { ...process.env, OMK_STATE_DIR: makeTempDir("hyg-state-") } });

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
    write(dir, {
      ".omk/gates.yaml": `gates:\n  - {name: forever, kind: test, command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(fixture("hang.mjs"))}, ${JSON.stringify(pids)}]}\n`,
    });
    const child = execa(process.execPath, [DIST_BIN, "run", "--quiet"], {
      cwd: dir,
      reject: false,
      env: { ...process.env, OMK_STATE_DIR: makeTempDir("hyg-state-") },
    });
    for (let i = 0; i < 200 && !existsSync(pids); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(130);
  }, 60_000);
});
