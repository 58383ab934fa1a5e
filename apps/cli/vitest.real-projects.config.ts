import { packageVitestConfig } from "../../tooling/vitest.base.js";

/**
 * The real-projects suite: real third-party npm projects (their published tarballs, with their tests,
 * fetched by tooling/fetch-corpus.mjs into $OMK_CORPUS_DIR) made into git repos, through the built
 * `omk-gates` and `omk`. One file per project; two at a time (each installs dependencies and runs
 * real test suites on 2 cores). It runs the built binaries (omk and omk-gates): build first
 * (`pnpm --filter "omk..." build`, as .ci/run does right before); no global setup rebuilds them
 * (a minute and a half of this suite's budget). `pnpm --filter omk test:real-projects`.
 */
export default packageVitestConfig({
  include: ["test/real-projects/**/*.test.ts"],
  testTimeout: 900_000,
  hookTimeout: 600_000,
  maxWorkers: 2,
});
