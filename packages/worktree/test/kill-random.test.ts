// SIGKILL at arbitrary moments inside the steps create → capture → keep → integrate → cleanup.
import { cleanupTempDirs, gitIn, unreachableCommits } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { setup } from "./helpers.js";
import { expectAllReachable, expectFinished, runFlow } from "./kill-helpers.js";

afterAll(cleanupTempDirs);

describe("kill safety inside steps (real processes, SIGKILL)", () => {
  it("kills at arbitrary moments inside steps lose no work: returned commits stay reachable and any stray commit's content is kept", async () => {
    const rounds = [80, 300];
    await Promise.all(
      rounds.map(async (killAtMs) => {
        const fx = await setup();
        const seen = new Set<string>();
        const killed = await runFlow(fx, [], killAtMs);
        for (const sha of killed.commits) seen.add(sha);
        await expectAllReachable(fx.repo, seen);
        const resumed = await runFlow(fx, []);
        expect(resumed.finished, resumed.stderr).toBe(true);
        for (const sha of resumed.commits) seen.add(sha);
        await expectAllReachable(fx.repo, seen);
        await expectFinished(fx);
        // A commit object written just before the kill but never published has its tree kept by a published one.
        const keptTrees = new Set((await gitIn(fx.repo, "log", "--all", "--format=%T")).split("\n"));
        for (const stray of await unreachableCommits(fx.repo)) expect(keptTrees.has(await gitIn(fx.repo, "rev-parse", `${stray}^{tree}`))).toBe(true);
      }),
    );
  }, 120_000);
});
