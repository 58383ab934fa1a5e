import { packageVitestConfig } from "../../tooling/vitest.base.js";

/**
 * The real-agent suite: `omk goal run` through the built binary driving Kimi Code, Qwen Code and
 * claude-agent-acp (installed by tooling/install-agents.mjs into $OMK_AGENTS_DIR) against scripted
 * model servers on 127.0.0.1. One file at a time: each runs real agents and gates on 2 cores.
 * `pnpm --filter omk test:real-agents`.
 */
export default packageVitestConfig({
  include: ["test/real-agents/**/*.test.ts"],
  globalSetup: ["test/global-setup.ts"],
  testTimeout: 300_000,
  fileParallelism: false,
});
