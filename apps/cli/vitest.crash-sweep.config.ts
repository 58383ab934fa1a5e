import { packageVitestConfig } from "../../tooling/vitest.base.js";

/**
 * The crash sweep (issue 14): `omk goal run` of a demo-sized goal SIGKILLed at sampled event
 * boundaries (the store's OMK_CRASH_AT hook), then resumed to the uninterrupted run's result.
 * It runs the built binary: build first (`pnpm --filter "omk..." build`, as .ci/run does right
 * before). Three worlds at a time on 2 cores. `pnpm --filter omk test:crash-sweep`;
 * OMK_CRASH_SEED=<seed> replays a run's sample, OMK_CRASH_ALL=1 sweeps every boundary.
 */
export default packageVitestConfig({
  include: ["test/crash-sweep/**/*.test.ts"],
  testTimeout: 600_000,
  hookTimeout: 300_000,
  maxConcurrency: 3,
});
