import { packageVitestConfig } from "../../tooling/vitest.base.js";

/** Real agents (installed by tooling/install-agents.mjs into $OMK_AGENTS_DIR): `pnpm --filter @omk/wire test:conformance`. */
export default packageVitestConfig({ include: ["test/conformance/**/*.conformance.ts"], testTimeout: 120_000 });
