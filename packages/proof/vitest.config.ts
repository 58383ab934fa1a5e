import { packageVitestConfig } from "../../tooling/vitest.base.js";

// Controller tests run whole goals through real git, gates and engine processes (since issue 14 every task
// checkout is its own repository, fetched back into the user's): generous, as process-spawning tests get.
export default packageVitestConfig({ testTimeout: 90_000 });
