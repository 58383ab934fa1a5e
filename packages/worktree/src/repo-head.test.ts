// repoHead (goal create/run) runs git through @omk/git's sync runner: right answers, and nothing planted in .git runs.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn, initGitRepo, ISOLATED_GIT_ENV, makeTempDir, plantGitCode } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { initRepoWithCommit, repoHead } from "./repo-head.js";

Object.assign(process.env, ISOLATED_GIT_ENV);
afterAll(cleanupTempDirs);

describe("repoHead", () => {
  it("reads the top level and HEAD of a planted repository without running what was planted", async () => {
    const root = makeTempDir("omk-cli-gitbase-");
    const repo = path.join(root, "repo");
    const head = await initGitRepo(repo, { "a.ts": "a\n", "sub/b.md": "b\n" });
    const planted = await plantGitCode(repo, path.join(root, "markers"));
    expect(repoHead(path.join(repo, "sub"))).toEqual({ root: repo, head });
    expect(planted.ran()).toEqual([]);
  });

  it("says no repository, and no commit yet", async () => {
    const root = makeTempDir("omk-cli-gitbase-");
    const plain = path.join(root, "plain");
    mkdirSync(plain);
    expect(repoHead(plain)).toBeUndefined();
    const empty = path.join(root, "empty");
    mkdirSync(empty);
    await gitIn(empty, "init", "-q");
    expect(repoHead(empty)).toEqual({ root: empty, head: null });
  });
});

describe("initRepoWithCommit", () => {
  it("makes a folder a repository with one commit by the given identity, and names a git step that fails", async () => {
    const dir = path.join(makeTempDir("omk-init-repo-"), "repo");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "a.txt"), "a\n");
    const env = { GIT_AUTHOR_NAME: "omk demo", GIT_AUTHOR_EMAIL: "demo@omk.invalid", GIT_COMMITTER_NAME: "omk demo", GIT_COMMITTER_EMAIL: "demo@omk.invalid" };
    const made = await initRepoWithCommit(dir, { branch: "main", message: "first", env });
    expect(made.ok && repoHead(dir)).toEqual({ root: dir, head: made.ok ? made.value : "" });
    expect(await gitIn(dir, "log", "--format=%an %s", "main")).toBe("omk demo first");
    // Nothing to commit the second time: the commit step fails, named with its folder.
    const again = await initRepoWithCommit(dir, { branch: "main", message: "again", env });
    expect(again.ok ? "" : again.error.message).toMatch(new RegExp(`^git commit -q -m again failed in ${dir}`));
  });
});
