// `omk goal verify --base` on a project with a real devDependency (tape, lockfile made at test time): the base checkout
// OMK makes gets its dependencies (the shared install in the cache), so the base's test gate passes there and a
// regression planted in the user's tree is a new failure (exit 1), not a pre-existing one blamed on a bare base.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BROKEN_ADD_JS, cleanupTempDirs, initGitRepo, makeTempDir, runOmk, tapeProjectFiles } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { VerificationRecordSchema } from "@omk/state";

afterAll(cleanupTempDirs);

const GATES = 'version: 1\ngates:\n  - {name: test, kind: test, command: ["node", "node_modules/tape/bin/tape", "test/add.js"]}\n';

describe("omk goal verify --base on a project with dependencies", () => {
  it("sets up the base checkout's dependencies and names the planted regression as a new failure (exit 1)", async () => {
    const repo = makeTempDir("omk-verify-deps-");
    const base = await initGitRepo(repo, { ...tapeProjectFiles(), ".gitignore": "node_modules\n", ".omk/gates.yaml": GATES });
    // The user's own tree has its dependencies installed (omk never installs into it).
    execFileSync("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: repo, stdio: "pipe", timeout: 240_000 });
    writeFileSync(path.join(repo, "src", "add.js"), BROKEN_ADD_JS);
    const cache = makeTempDir("omk-verify-deps-cache-");
    const out = path.join(makeTempDir("omk-verify-deps-out-"), "verify.json");
    const run = await runOmk(["goal", "verify", "--checkout", ".", "--base", base, "--out", out], {
      stateDir: makeTempDir(),
      cwd: repo,
      env: { XDG_CACHE_HOME: cache },
    });
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(1);
    const record = VerificationRecordSchema.parse(JSON.parse(readFileSync(out, "utf8")));
    expect(record).toMatchObject({ verdict: "failed", base: { commit: base } });
    expect(record.gates.find((g) => g.name === "test")).toMatchObject({ outcome: "failed", baseline: "new_failure" });
    expect(`${run.stdout}${run.stderr}`).toMatch(/test/);
    // The base checkout got its deps: the shared install was made in the cache (the user's tree had its own).
    const deps = path.join(cache, "omk", "deps");
    expect(existsSync(deps) && readdirSync(deps).length > 0, `no shared install under ${deps}`).toBe(true);

    // The same tree without the regression: the base and head both pass (exit 0).
    execFileSync("git", ["checkout", "--", "src/add.js"], { cwd: repo });
    const clean = await runOmk(["goal", "verify", "--checkout", ".", "--base", base, "--out", out], {
      stateDir: makeTempDir(),
      cwd: repo,
      env: { XDG_CACHE_HOME: cache },
    });
    expect(clean.exitCode, `${clean.stdout}\n${clean.stderr}`).toBe(0);
  }, 400_000);
});
