import { packageVitestConfig } from "../../tooling/vitest.base.js";

export default packageVitestConfig();
