import { packageVitestConfig } from "../../tooling/vitest.base.js";

/**
 * The misbehaviour suite (issue 14, "Done when"): hostile scripted agents through the built `omk` binary,
 * each scenario a whole goal. It runs the built binary: build first (`pnpm --filter "omk..." build`, as
 * .ci/run does right before); no global setup rebuilds it. Files run two at a time, the scenarios of a
 * file one after another (each goal spawns an engine, agent commands, git and the gates on a 2-core CI
 * machine). `pnpm --filter omk test:misbehaviour`; test/misbehaviour/README.md says what each scenario
 * must show.
 */
export default packageVitestConfig({
  include: ["test/misbehaviour/**/*.test.ts"],
  testTimeout: 600_000,
  hookTimeout: 120_000,
  maxWorkers: 2,
});
