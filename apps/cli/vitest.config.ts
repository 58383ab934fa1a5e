import { packageVitestConfig } from "../../tooling/vitest.base.js";

// Tests run the built `omk` binary; global setup builds it first.
export default packageVitestConfig({ globalSetup: ["test/global-setup.ts"], testTimeout: 60_000 });
