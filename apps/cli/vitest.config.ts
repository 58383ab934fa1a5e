import { packageVitestConfig } from "../../tooling/vitest.base.js";

// Tests run the built `omk` binary; global setup builds it first. The real-agent suite has its own
// config (vitest.real-agents.config.ts, `test:real-agents`): it needs $OMK_AGENTS_DIR; so has the
// real-projects suite (vitest.real-projects.config.ts, `test:real-projects`): it needs $OMK_CORPUS_DIR;
// so has the crash sweep (vitest.crash-sweep.config.ts, `test:crash-sweep`): a step of its own in .ci/run;
// and so has the misbehaviour suite (vitest.misbehaviour.config.ts, `test:misbehaviour`): minutes of whole goals.
export default packageVitestConfig({
  globalSetup: ["test/global-setup.ts"],
  testTimeout: 60_000,
  exclude: ["test/real-agents/**", "test/real-projects/**", "test/crash-sweep/**", "test/misbehaviour/**"],
});
