// SIGKILL after each step of create → capture → keep → integrate → cleanup, before the step
// is journaled: no commit the flow ever returned becomes unreachable, the next run repeats the
// step safely and finishes the job, and no commit at all is left unreachable.
import { cleanupTempDirs, unreachableCommits } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { setup } from "./helpers.js";
import { expectAllReachable, expectFinished, runFlow, STEPS } from "./kill-helpers.js";

afterAll(cleanupTempDirs);

describe("kill safety (real processes, SIGKILL)", () => {
  it("a kill after each step, before it is journaled: the next run repeats the step safely and no commit is ever unreachable", async () => {
    // Two repositories, each walking through half of the kill points, side by side.
    const chains = [0, 1].map((offset) => Array.from({ length: STEPS }, (_, i) => i).filter((i) => i % 2 === offset));
    await Promise.all(
      chains.map(async (killPoints) => {
        const fx = await setup();
        const seen = new Set<string>();
        for (const killAfter of killPoints) {
          const run = await runFlow(fx, [String(killAfter)]);
          expect(run.signal, run.stderr).toBe("SIGKILL");
          for (const sha of run.commits) seen.add(sha);
          await expectAllReachable(fx.repo, seen);
          expect(await unreachableCommits(fx.repo)).toEqual([]);
        }
        const last = await runFlow(fx, []);
        expect(last.finished, last.stderr).toBe(true);
        for (const sha of last.commits) seen.add(sha);
        await expectAllReachable(fx.repo, seen);
        expect(await unreachableCommits(fx.repo)).toEqual([]);
        await expectFinished(fx);
      }),
    );
  }, 120_000);
});
