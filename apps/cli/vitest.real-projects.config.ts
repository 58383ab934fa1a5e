import { packageVitestConfig } from "../../tooling/vitest.base.js";

/**
 * The real-projects suite: real third-party npm projects (their published tarballs, with their tests,
 * fetched by tooling/fetch-corpus.mjs into $OMK_CORPUS_DIR) made into git repos, through the built
 * `omk-gates` and `omk`. One file per project; two at a time (each installs dependencies and runs
 * real test suites on 2 cores). `pnpm --filter omk test:real-projects`.
 */
const config = packageVitestConfig({
  include: ["test/real-projects/**/*.test.ts"],
  globalSetup: ["test/global-setup.ts"],
  testTimeout: 900_000,
});

export default { ...config, test: { ...config.test, maxWorkers: 2, hookTimeout: 600_000 } };
