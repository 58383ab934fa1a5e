import { defineConfig } from "tsup";
import { packageConfig } from "../../tooling/tsup.base.js";

// The binary bundles the workspace packages (from source) so `omk` is one file that starts fast.
export default defineConfig(packageConfig({ bin: "src/bin.ts" }, { dts: false, noExternal: [/^@omk\//] }));
