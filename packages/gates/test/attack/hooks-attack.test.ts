// Security review (h-attack): does making the base worktree run the repository's git hooks? Asserts the SAFE behaviour.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, commitFiles, gitIn, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, expect, it } from "vitest";
import { compareToBaseline, GatesConfigSchema } from "../../src/index.js";

afterAll(cleanupTempDirs, 600_000);

it("F7: compareToBaseline's `git worktree add` does not run a tracked post-checkout hook (core.hooksPath=.husky), nor dirty the repo", async () => {
  const repo = makeTempDir("attack-hooks-");
  const marker = path.join(makeTempDir("attack-hooks-m-"), "ran");
  const base = await initGitRepo(repo, {
    "a.txt": "a\n",
    ".husky/post-checkout": `#!/bin/sh\necho "hook ran in $PWD" >> ${marker}\necho x > "$(git rev-parse --show-toplevel)/../HOOK-WROTE-HERE"\n`,
  });
  chmodSync(path.join(repo, ".husky/post-checkout"), 0o755);
  await gitIn(repo, "config", "core.hooksPath", ".husky"); // what husky's `prepare` sets
  await commitFiles(repo, { "a.txt": "b\n" }, "change");
  const config = GatesConfigSchema.parse({ version: 1, gates: [{ name: "t", kind: "test", command: ["true"] }] });
  await compareToBaseline({ root: repo, base, config, outDir: makeTempDir("attack-hooks-out-"), baseSetup: false });
  expect(existsSync(marker), "the hook ran").toBe(false);
  expect(await gitIn(repo, "status", "--porcelain")).toBe("");
  void mkdirSync;
  void writeFileSync;
});
