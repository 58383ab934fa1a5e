import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { captureChanges, createTaskWorktree, integrate, pushBranch, taskBranch } from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

describe("pushBranch", () => {
  it("pushes task and integration branches to a named remote, never with force, and never a protected branch", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    writeFileSync(path.join(wt.path, "src/app.ts"), "pushed\n");
    const captured = must(await captureChanges(wt));
    const merged = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: [{ id: "t1", dependencies: [] }], accepted: ["t1"] }));
    const integration = `omk/${GOAL}/integration`;

    expect(must(await pushBranch({ repo: fx.repo, remote: "origin", branch: taskBranch(GOAL, "t1") }))).toMatchObject({
      commit: captured.head,
      upToDate: false,
    });
    expect(must(await pushBranch({ repo: fx.repo, remote: "origin", branch: integration })).commit).toBe(merged.head);
    expect(await gitIn(fx.remote, "rev-parse", integration)).toBe(merged.head);
    expect(await gitIn(fx.remote, "rev-parse", taskBranch(GOAL, "t1"))).toBe(captured.head);
    expect(must(await pushBranch({ repo: fx.repo, remote: "origin", branch: integration })).upToDate).toBe(true);

    const code = async (branch: string, remote = "origin", protectedBranches?: string[]) => {
      const r = await pushBranch({ repo: fx.repo, remote, branch, ...(protectedBranches === undefined ? {} : { policy: { protectedBranches } }) });
      return r.ok ? "ok" : r.error.code;
    };
    expect(await code("main")).toBe("not_omk_branch");
    expect(await code(integration, "origin", ["omk/**"])).toBe("protected_branch");
    expect(await code(integration, "upstream")).toBe("remote_not_found");
    expect(await code(`omk/${GOAL}/nope`)).toBe("missing_branch");
    expect(await gitIn(fx.remote, "rev-parse", "main")).toBe(fx.base);

    // Someone else moved the remote branch: the push is refused, the remote keeps their commit.
    const elsewhere = path.join(makeTempDir(), "other");
    await gitIn(path.dirname(elsewhere), "clone", "-q", fx.remote, elsewhere);
    await gitIn(elsewhere, "checkout", "-q", integration);
    writeFileSync(path.join(elsewhere, "theirs.txt"), "theirs\n");
    await gitIn(elsewhere, "add", "-A");
    await gitIn(elsewhere, "commit", "-q", "-m", "theirs");
    await gitIn(elsewhere, "push", "-q", "origin", integration);
    const theirs = await gitIn(elsewhere, "rev-parse", "HEAD");
    // Our integration branch gains a commit the remote does not have: a non-fast-forward.
    const wt2 = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t2", base: fx.base, dir: fx.dir("t2") }));
    writeFileSync(path.join(wt2.path, "docs/new.md"), "t2\n");
    must(await captureChanges(wt2));
    must(
      await integrate({
        repo: fx.repo,
        goalId: GOAL,
        base: fx.base,
        tasks: [
          { id: "t1", dependencies: [] },
          { id: "t2", dependencies: [] },
        ],
        accepted: ["t1", "t2"],
      }),
    );
    const rejected = await pushBranch({ repo: fx.repo, remote: "origin", branch: integration });
    expect(rejected.ok ? null : rejected.error.code).toBe("push_rejected");
    expect(await gitIn(fx.remote, "rev-parse", integration)).toBe(theirs);
  });

  it("runs as the user's git: their pre-push hook runs and can refuse the push", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    writeFileSync(path.join(wt.path, "src/app.ts"), "pushed\n");
    must(await captureChanges(wt));
    const hook = path.join(fx.repo, ".git", "hooks", "pre-push");
    writeFileSync(hook, "#!/bin/sh\necho 'pre-push says no' >&2\nexit 1\n");
    chmodSync(hook, 0o755);
    const refused = await pushBranch({ repo: fx.repo, remote: "origin", branch: taskBranch(GOAL, "t1") });
    expect(refused.ok ? null : refused.error.code).toBe("push_rejected");
    expect(refused.ok ? "" : refused.error.message).toContain("pre-push says no");
    await expect(gitIn(fx.remote, "rev-parse", "--verify", "--quiet", taskBranch(GOAL, "t1"))).rejects.toThrow();
  });
});
