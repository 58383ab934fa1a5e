// Every kind of code a repository can make git run is planted in a real repository; the same git operations
// OMK performs run once with plain git (the plants are live: markers appear) and once through @omk/git's
// runner (no marker appears). Real git, real repositories, no mocks.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  cleanupTempDirs,
  gitIn,
  initBareRepo,
  initGitRepo,
  ISOLATED_GIT_ENV,
  makeTempDir,
  type PlantedNestedRepo,
  plantGitCode,
  plantNestedRepo,
} from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { clearRepoConfigCache, git, gitSync, repoConfigVerdict, safeArgs } from "../src/index.js";

Object.assign(process.env, ISOLATED_GIT_ENV);
afterAll(cleanupTempDirs);

const IDENTITY = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.invalid" };

type Run = (cwd: string, args: string[]) => Promise<{ exitCode: number; stdout: string }>;

/** The runner under test. */
const viaRunner: Run = async (cwd, args) => {
  const r = await git(cwd, args, { env: IDENTITY });
  return { exitCode: r.exitCode, stdout: r.stdout };
};

/** Plain git, as a call site that forgot would run it (the control). */
const plain: Run = async (cwd, args) => {
  const r = await execa("git", args, { cwd, reject: false, env: IDENTITY, stdin: "ignore" });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout) };
};

/** A clone of a bare remote with .ts/.md/.sh files and two diverging branches. */
async function fixture() {
  const root = makeTempDir("omk-git-planted-");
  const remote = await initBareRepo(path.join(root, "remote.git"));
  const seed = path.join(root, "seed");
  await initGitRepo(seed, { "a.ts": "export const a = 1;\n", "b.md": "# b\n", "c.sh": "echo c\n" });
  await gitIn(seed, "push", "-q", remote, "main");
  const repo = path.join(root, "repo");
  await gitIn(root, "clone", "-q", remote, repo);
  return { root, remote, repo };
}

/** The git operations OMK performs, in the order a goal does them. */
async function operations(run: Run, repo: string, root: string, remote: string): Promise<void> {
  await run(repo, ["add", ".gitattributes"]);
  await run(repo, ["commit", "-q", "-m", "attributes"]);
  await run(repo, ["status", "--porcelain=v2", "--untracked-files=all"]);
  await run(repo, ["checkout", "-q", "-b", "omk/goal/t1"]);
  writeFileSync(path.join(repo, "a.ts"), "export const a = 2;\n");
  writeFileSync(path.join(repo, "b.md"), "# b changed\n");
  writeFileSync(path.join(repo, "c.sh"), "echo changed\n");
  await run(repo, ["add", "c.sh"]);
  await run(repo, ["add", "--all"]);
  await run(repo, ["write-tree"]);
  await run(repo, ["diff", "--cached"]);
  await run(repo, ["diff", "--cached", "--no-ext-diff"]);
  await run(repo, ["commit", "-q", "-m", "t1"]);
  await run(repo, ["diff-tree", "-p", "-r", "HEAD"]);
  await run(repo, ["log", "-p", "-1"]);
  await run(repo, ["show", "HEAD"]);
  // A second task in a linked worktree, changing a.ts the other way.
  const wt = path.join(root, "wt2");
  await run(repo, ["worktree", "add", "-q", "-b", "omk/goal/t2", wt, "main"]);
  writeFileSync(path.join(wt, "a.ts"), "export const a = 3;\n");
  writeFileSync(path.join(wt, "b.md"), "# b from t2\n");
  await run(wt, ["add", "--all"]);
  await run(wt, ["commit", "-q", "-m", "t2"]);
  await run(repo, ["merge-tree", "--write-tree", "omk/goal/t1", "omk/goal/t2"]);
  await run(repo, ["merge", "--no-edit", "omk/goal/t2"]);
  await run(repo, ["merge", "--abort"]);
  await run(repo, ["checkout", "-q", "main"]);
  await run(repo, ["worktree", "remove", wt]);
  await run(repo, ["worktree", "remove", "--force", wt]);
  await run(repo, ["worktree", "prune"]);
  await run(repo, ["fetch", "-q", "origin"]);
  await run(repo, ["fetch", "-q", remote, "main"]);
  await run(repo, ["ls-remote", "origin"]);
  const clone = path.join(root, "scratch");
  await run(root, ["clone", "-q", "--shared", "--no-checkout", repo, clone]);
  await run(clone, ["checkout", "-q", "-b", "omk/goal/t3", "origin/omk/goal/t1"]);
  await run(repo, ["fetch", "-q", clone, "omk/goal/t3:refs/heads/omk/goal/t3"]);
  writeFileSync(path.join(repo, "x.proc"), "processed\n");
  await run(repo, ["add", "x.proc"]);
  await run(repo, ["status", "--porcelain"]);
}

describe("@omk/git's runner against planted code", () => {
  it("the plants are live: plain git runs hooks, fsmonitor, filters, textconv, external diff, merge driver, upload-pack", async () => {
    const fx = await fixture();
    const planted = await plantGitCode(fx.repo, path.join(fx.root, "markers"));
    await operations(plain, fx.repo, fx.root, fx.remote);
    const ran = planted.ran();
    for (const kind of [
      "fsmonitor",
      "filter-clean",
      "filter-smudge",
      "filter-process",
      "filter-conditional",
      "textconv",
      "external-diff",
      "merge-driver",
      "upload-pack",
      "hookspath-post-checkout",
      "hookspath-pre-commit",
      "hookspath-reference-transaction",
    ]) {
      expect(ran, kind).toContain(kind);
    }
  });

  it("none of it runs through the runner, and OMK's operations still work", async () => {
    const fx = await fixture();
    // The runner looks at the repository before the plant (cache filled): an in-place edit of the config must be seen.
    expect((await git(fx.repo, ["status"])).exitCode).toBe(0);
    const planted = await plantGitCode(fx.repo, path.join(fx.root, "markers"));
    await operations(viaRunner, fx.repo, fx.root, fx.remote);
    expect(planted.ran()).toEqual([]);
    // The work was done: t1 committed with its files, t3 fetched back from the scratch clone.
    expect((await git(fx.repo, ["show", "omk/goal/t3:a.ts"])).stdout).toBe("export const a = 2;\n");
    expect((await git(fx.repo, ["show", "omk/goal/t2:b.md"])).stdout).toBe("# b from t2\n");
    // Conflicting merges are conflicts (the planted merge driver became git's own text merge), not silent "ours".
    const merged = await git(fx.repo, ["merge-tree", "--write-tree", "omk/goal/t1", "omk/goal/t2"]);
    expect(merged.exitCode).toBe(1);
    expect(merged.stdout).toContain("CONFLICT (content): Merge conflict in a.ts");
    // Every program-running key, including those only in the conditional include, is overridden.
    const verdict = await repoConfigVerdict(fx.repo);
    const keys = new Map(verdict?.overrides);
    expect(Object.fromEntries(keys)).toMatchObject({
      "filter.planted.clean": "",
      "filter.planted.smudge": "",
      "filter.planted.required": "false",
      "filter.plantedproc.process": "",
      "filter.plantedcond.clean": "",
      "diff.planted.textconv": "cat",
      "diff.planted.command": "",
      "diff.external": "",
      "core.pager": "cat",
      "core.sshcommand": "ssh",
      "core.askpass": "",
      "core.editor": ":",
      "core.alternaterefscommand": "true",
      "credential.helper": "",
      "gpg.program": "",
      "remote.origin.uploadpack": "git-upload-pack",
    });
    // A planted commit.gpgSign with a planted gpg.program: OMK's commits are not signed, nothing runs.
    await gitIn(fx.repo, "config", "commit.gpgSign", "true");
    expect((await git(fx.repo, ["commit", "-q", "--allow-empty", "-m", "unsigned"], { env: IDENTITY })).exitCode).toBe(0);
    expect(planted.ran()).toEqual([]);
  });

  it("the sync runner is the same runner", async () => {
    const fx = await fixture();
    const planted = await plantGitCode(fx.repo, path.join(fx.root, "markers"));
    clearRepoConfigCache();
    writeFileSync(path.join(fx.repo, "a.ts"), "export const a = 9;\n");
    expect(gitSync(fx.repo, ["add", "--all"]).exitCode).toBe(0);
    expect(gitSync(fx.repo, ["status", "--porcelain"]).exitCode).toBe(0);
    expect(gitSync(fx.repo, ["checkout", "-q", "-b", "omk/goal/s"]).exitCode).toBe(0);
    expect(gitSync(fx.repo, ["commit", "-q", "-m", "s"], { env: IDENTITY }).exitCode).toBe(0);
    expect(planted.ran()).toEqual([]);
  });

  it("refuses a repository whose config moves its working tree elsewhere, and allows one that names its own", async () => {
    const fx = await fixture();
    const elsewhere = path.join(fx.root, "elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, "secret.txt"), "not the repository's\n");
    await gitIn(fx.repo, "config", "core.worktree", fx.repo);
    expect((await git(fx.repo, ["status", "--porcelain"])).exitCode).toBe(0);
    await gitIn(fx.repo, "config", "core.worktree", elsewhere);
    // Plain git would now add files from `elsewhere`.
    expect((await plain(fx.repo, ["status", "--porcelain"])).stdout).toContain("secret.txt");
    const r = await git(fx.repo, ["add", "--all"]);
    expect(r.exitCode).toBe(128);
    expect(r.refusal?.code).toBe("git_worktree_moved");
    expect(r.stderr).toContain("core.worktree");
    expect(gitSync(fx.repo, ["status"]).refusal?.code).toBe("git_worktree_moved");
  });

  it("ignores the caller's repository-locating and program variables", async () => {
    const fx = await fixture();
    const markers = path.join(fx.root, "env-markers");
    mkdirSync(markers);
    const other = path.join(fx.root, "other");
    await initGitRepo(other, { "x.txt": "x\n" });
    const baseEnv = {
      ...process.env,
      GIT_DIR: path.join(other, ".git"),
      GIT_WORK_TREE: other,
      GIT_INDEX_FILE: path.join(fx.root, "stray-index"),
      GIT_EXTERNAL_DIFF: `sh -c 'touch ${markers}/external'`,
      GIT_PAGER: `sh -c 'touch ${markers}/pager'`,
      GIT_CONFIG_PARAMETERS: `'core.fsmonitor'='sh -c "touch ${markers}/fsmonitor"'`,
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "core.hooksPath",
      GIT_CONFIG_VALUE_0: markers,
    };
    writeFileSync(path.join(fx.repo, "a.ts"), "changed\n");
    const top = await git(fx.repo, ["rev-parse", "--show-toplevel"], { baseEnv });
    expect(top.stdout.trim()).toBe(fx.repo);
    expect((await git(fx.repo, ["diff"], { baseEnv })).stdout).toContain("+changed");
    expect((await git(fx.repo, ["status", "--porcelain"], { baseEnv })).stdout).toContain("a.ts");
    expect((await execa("ls", [markers])).stdout).toBe("");
  });
});

/**
 * The commands OMK runs in a checkout that look at the work tree (capture's
 * status, the gates' tree state and diff, cleanup's dirty check), plus the
 * plain forms a call site could write. Before each, the nested repositories'
 * file gets a new mtime, so a `git status` inside one would have to read it
 * through the planted filter (and ask the planted fsmonitor).
 */
async function workTreeLooks(run: Run, repo: string, nested: readonly PlantedNestedRepo[]): Promise<Array<{ args: string[]; stdout: string }>> {
  const seen: Array<{ args: string[]; stdout: string }> = [];
  for (const args of [
    ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=normal", "--ignore-submodules=none"],
    ["status", "--porcelain=v2", "--branch", "--untracked-files=normal", "--", ":/"],
    ["status"],
    ["status", "--ignore-submodules", "--porcelain"],
    ["diff", "--no-color", "--no-ext-diff", "--no-renames", "-U3", "HEAD", "--"],
    ["diff", "--ignore-submodules=untracked"],
    ["diff-files", "-p"],
    ["diff-index", "HEAD"],
    ["checkout", "-b", "omk/goal/nested-2"],
    ["checkout", "main"],
  ]) {
    for (const n of nested) n.touch();
    const r = await run(repo, args);
    seen.push({ args, stdout: r.stdout });
  }
  return seen;
}

describe("@omk/git's runner and a nested repository planted in the work tree", () => {
  /** A repository whose work tree holds two repositories of its own (a .git folder, a .git file), recorded as gitlinks, with a .gitmodules that asks for them to be looked into. */
  async function nestedFixture() {
    const fx = await fixture();
    const markers = path.join(fx.root, "markers");
    const nested = [await plantNestedRepo(fx.repo, "vendor/nested", markers, "folder"), await plantNestedRepo(fx.repo, "libs/gitfile", markers, "gitfile")];
    writeFileSync(
      path.join(fx.repo, ".gitmodules"),
      nested.map((n) => `[submodule "${n.path}"]\n\tpath = ${n.path}\n\turl = ./${n.path}\n\tignore = none\n`).join(""),
    );
    // Recording a not yet tracked nested repository only reads its HEAD.
    expect((await git(fx.repo, ["add", "--all"])).exitCode).toBe(0);
    expect((await git(fx.repo, ["ls-files", "-s"])).stdout).toMatch(/^160000 [0-9a-f]+ 0\tlibs\/gitfile$/m);
    expect(nested[0]?.ran()).toEqual([]);
    return { ...fx, markers, nested };
  }

  it("the plants are live: plain git status, diff and checkout run git inside the nested repositories, under their config", async () => {
    const fx = await nestedFixture();
    await workTreeLooks(plain, fx.repo, fx.nested);
    const ran = fx.nested[0]?.ran() ?? [];
    expect(ran).toContain("nested-filter-clean");
    expect(ran).toContain("nested-fsmonitor");
  });

  it("through the runner none of it runs, and the gitlinks are still reported", async () => {
    const fx = await nestedFixture();
    const seen = await workTreeLooks(viaRunner, fx.repo, fx.nested);
    expect(fx.nested[0]?.ran()).toEqual([]);
    // OMK's own status call (which used to pass --ignore-submodules=none) lists both as added.
    expect(seen[0]?.stdout.split("\0")).toEqual(expect.arrayContaining(["A  libs/gitfile", "A  vendor/nested"]));
    // A new commit inside a nested repository moves its gitlink: still seen (only the nested work tree is not looked into).
    await gitIn(
      path.join(fx.repo, "vendor/nested"),
      "-c",
      "core.hooksPath=/dev/null",
      "-c",
      "core.fsmonitor=false",
      "-c",
      "filter.nested.clean=",
      "commit",
      "-q",
      "--allow-empty",
      "-m",
      "moved",
    );
    expect(fx.nested[0]?.ran()).toEqual([]);
    const moved = await git(fx.repo, ["diff", "--name-only"]);
    expect(moved.stdout.split("\n")).toContain("vendor/nested");
    fx.nested[0]?.touch();
    expect(gitSync(fx.repo, ["status", "--porcelain", "--ignore-submodules=none"]).stdout).toContain("vendor/nested");
    expect(fx.nested[0]?.ran()).toEqual([]);
  });

  it("safeArgs puts --ignore-submodules=dirty in place of what a call site gave (but all), before any pathspec, and --quiet on checkout", () => {
    expect(safeArgs(["status", "--porcelain", "--ignore-submodules=none", "--", "--ignore-submodules=none"]).slice(-5)).toEqual([
      "status",
      "--ignore-submodules=dirty",
      "--porcelain",
      "--",
      "--ignore-submodules=none",
    ]);
    expect(safeArgs(["--no-optional-locks", "diff-files", "--ignore-submodules"]).slice(-4)).toEqual([
      "diff-files",
      "--no-ext-diff",
      "--no-textconv",
      "--ignore-submodules=dirty",
    ]);
    expect(safeArgs(["diff", "--ignore-submodules=all"]).slice(-4)).toEqual(["diff", "--no-ext-diff", "--no-textconv", "--ignore-submodules=all"]);
    expect(safeArgs(["checkout", "main"]).slice(-3)).toEqual(["checkout", "--quiet", "main"]);
    expect(safeArgs(["diff-tree", "-r", "a", "b"]).join(" ")).not.toContain("ignore-submodules");
    expect(safeArgs(["status", "--ignore-submodules=none"], true)).toEqual(["--no-pager", "status", "--ignore-submodules=none"]);
  });
});
