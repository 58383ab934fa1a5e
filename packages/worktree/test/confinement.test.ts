// Hostile: a task command plants a hook, core.fsmonitor and a relative write out of its checkout.
// Its checkout has a git dir of its own, outside the goal's folder: the user's .git, the goal's
// records and the other task's checkout are untouched, and OMK's own git runs nothing planted.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { goalPaths } from "@omk/state";
import { cleanupTempDirs, gitIn, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import {
  captureChanges,
  cleanup,
  createDetachedCheckout,
  createTaskWorktree,
  integrate,
  keepAttempt,
  pruneLeftoverWorktrees,
  removeDetachedCheckout,
  sweepTempCheckouts,
} from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

/** Every file under a folder with its bytes (what "untouched" means for a git dir). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p).toString("base64");
    }
  };
  walk(dir);
  return out;
}

/** The user's git dir without what OMK is meant to add (objects, refs, logs, the index git refreshes). */
function userGitDirState(repo: string): Record<string, string> {
  const all = snapshot(path.join(repo, ".git"));
  return Object.fromEntries(Object.entries(all).filter(([f]) => !/^(objects|refs|logs|packed-refs|index|ORIG_HEAD|FETCH_HEAD)/.test(f)));
}

describe("a task's checkout confines what a task command plants", () => {
  it("keeps a planted hook, core.fsmonitor and ../../ writes away from the user's repository, the goal's folder and the other task", async () => {
    const fx = await setup();
    const markers = makeTempDir("omk-markers-");
    const goalDir = goalPaths(fx.stateDir, GOAL).dir;
    const userBefore = userGitDirState(fx.repo);
    const t1 = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    const t2 = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t2", base: fx.base, dir: fx.dir("t2") }));
    const t2Git = snapshot(path.join(t2.path, ".git"));

    // The task command, as an agent's shell would run it, from inside its checkout.
    const planted = path.join(markers, "planted.sh");
    writeFileSync(planted, `#!/bin/sh\necho "$0 $*" >> ${markers}/ran\n`);
    chmodSync(planted, 0o755);
    const script = [
      `cp ${planted} .git/hooks/post-checkout 2>/dev/null || { mkdir -p .git/hooks && cp ${planted} .git/hooks/post-checkout; }`,
      `cp ${planted} .git/hooks/pre-commit`,
      `cp ${planted} .git/hooks/reference-transaction`,
      `git config core.fsmonitor ${planted}`,
      `printf '{"type":"budget_extended","data":{"add":{"tokens":999999999}}}\\n' >> ../../events.jsonl`,
      `printf 'x\\n' >> ../events.jsonl`,
      `git --git-dir=.git config --get core.fsmonitor > /dev/null`,
      "echo 'work' > src/app.ts",
    ].join(" && ");
    execFileSync("/bin/sh", ["-c", script], { cwd: t1.path, stdio: "pipe" });
    // The planted code is in the task's own git dir...
    expect(readFileSync(path.join(t1.path, ".git", "config"), "utf8")).toContain(planted);
    expect(existsSync(path.join(t1.path, ".git", "hooks", "post-checkout"))).toBe(true);
    // ...and the relative writes resolve outside the goal's folder.
    const landed = [path.resolve(t1.path, "../../events.jsonl"), path.resolve(t1.path, "../events.jsonl")];
    for (const file of landed) {
      expect(existsSync(file)).toBe(true);
      expect(path.relative(goalDir, file).startsWith("..")).toBe(true);
    }
    expect(existsSync(goalDir)).toBe(false);
    expect(existsSync(path.join(goalDir, "events.jsonl"))).toBe(false);

    // OMK's whole flow on that checkout runs nothing planted.
    const captured = must(await captureChanges(t1));
    expect(captured.files.map((f) => f.path)).toEqual(["src/app.ts"]);
    must(await keepAttempt(t1));
    must(
      await integrate({
        repo: fx.repo,
        goalId: GOAL,
        base: fx.base,
        tasks: [
          { id: "t1", dependencies: [] },
          { id: "t2", dependencies: [] },
        ],
        accepted: ["t1"],
      }),
    );
    must(await cleanup(t1));
    expect(existsSync(t1.path)).toBe(false);
    expect(existsSync(path.join(markers, "ran"))).toBe(false);

    // The user's repository: same config, hooks, info; no worktree registered; no alternates pointing at a task.
    expect(userGitDirState(fx.repo)).toEqual(userBefore);
    expect(await gitIn(fx.repo, "config", "--get", "core.fsmonitor").catch(() => "unset")).toBe("unset");
    expect(existsSync(path.join(fx.repo, ".git", "objects", "info", "alternates"))).toBe(false);
    expect((await gitIn(fx.repo, "worktree", "list", "--porcelain")).match(/^worktree /gm)).toHaveLength(1);
    // The user's own git runs nothing planted either.
    await gitIn(fx.repo, "status");
    await gitIn(fx.repo, "checkout", "-q", "-B", "probe", "HEAD");
    expect(existsSync(path.join(markers, "ran"))).toBe(false);
    // The commit came over by a fetch: the user's repository has it without the task's git dir.
    expect(await gitIn(fx.repo, "cat-file", "-t", captured.head)).toBe("commit");
    // The other task's git dir is as it was made.
    expect(snapshot(path.join(t2.path, ".git"))).toEqual(t2Git);
  });

  it("makes temporary detached checkouts registered nowhere, and sweeps those of dead processes and older OMK's registrations", async () => {
    const fx = await setup();
    const tmp = makeTempDir("omk-tmpdir-");
    const co = must(await createDetachedCheckout(fx.repo, fx.base, { prefix: "omk-overlay-", tmpDir: tmp }));
    expect(readFileSync(path.join(co.dir, "src/app.ts"), "utf8")).toBe("export const app = 1;\n");
    expect(statSync(path.join(co.dir, ".git")).isDirectory()).toBe(true);
    expect(await gitIn(co.dir, "status", "--porcelain")).toBe("");
    expect(await gitIn(fx.repo, "worktree", "list", "--porcelain")).not.toContain(tmp);
    // Ours (alive): never swept.
    expect(await sweepTempCheckouts({ tmpDir: tmp })).toEqual([]);
    // A dead owner: swept.
    const dead = execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).toString();
    writeFileSync(path.join(co.root, "omk-owner.json"), `${JSON.stringify({ pid: Number(dead) })}\n`);
    expect(await sweepTempCheckouts({ tmpDir: tmp })).toEqual([co.root]);
    expect(existsSync(co.root)).toBe(false);
    await removeDetachedCheckout(co);

    // What an older OMK killed during the overlay left: a registered `git worktree add` in a temp folder.
    const legacy = path.join(tmp, "omk-overlay-abc123", "tree");
    await gitIn(fx.repo, "worktree", "add", "-q", "--detach", legacy, fx.base);
    // And a missing one of the goal's old task worktrees, a clean one, and a dirty one.
    const old = path.join(goalPaths(fx.stateDir, GOAL).dir, "worktrees");
    await gitIn(fx.repo, "branch", "omk/g/a", fx.base);
    await gitIn(fx.repo, "branch", "omk/g/b", fx.base);
    await gitIn(fx.repo, "worktree", "add", "-q", path.join(old, "a"), "omk/g/a");
    await gitIn(fx.repo, "worktree", "add", "-q", path.join(old, "b"), "omk/g/b");
    writeFileSync(path.join(old, "b", "unsaved.txt"), "work\n");
    const pruned = must(await pruneLeftoverWorktrees(fx.repo, { tmpDir: tmp, leftoverDirs: [old] }));
    expect([...pruned.removed].sort()).toEqual([legacy, path.join(old, "a")].sort());
    expect(pruned.kept).toEqual([path.join(old, "b")]);
    expect(existsSync(path.dirname(legacy))).toBe(false);
    const listed = await gitIn(fx.repo, "worktree", "list", "--porcelain");
    expect(listed).not.toContain(legacy);
    expect(listed).toContain(path.join(old, "b"));
  });

  it("works for a sha256 repository (the checkout's object format follows the user's)", async () => {
    const repo = path.join(makeTempDir("omk-sha256-"), "repo");
    await gitIn(path.dirname(repo), "init", "-q", "--object-format=sha256", repo);
    writeFileSync(path.join(repo, "a.txt"), "a\n");
    await gitIn(repo, "add", "a.txt");
    await gitIn(repo, "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-q", "-m", "base");
    const base = await gitIn(repo, "rev-parse", "HEAD");
    expect(base).toHaveLength(64);
    const wt = must(await createTaskWorktree({ repo, goalId: GOAL, taskId: "t1", base, dir: path.join(makeTempDir("omk-sha256-state-"), "t1") }));
    writeFileSync(path.join(wt.path, "a.txt"), "b\n");
    const captured = must(await captureChanges(wt));
    expect(await gitIn(repo, "cat-file", "-t", captured.head)).toBe("commit");
  });
});
