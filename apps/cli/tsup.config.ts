import { defineConfig } from "tsup";
import { packageConfig } from "../../tooling/tsup.base.js";

// The binary bundles the workspace packages (from source) so `omk` is one file that starts fast.
// Code splitting keeps lazily imported commands (goal verify and its gate runner) out of start-up.
// omk-scripted-agent (from @omk/wire) is a second entry, so `omk doctor` and `omk demo` can run it next to bin.js.
export default defineConfig(packageConfig({ bin: "src/bin.ts", "scripted-agent": "../../packages/wire/src/scripted-agent.ts" }, { dts: false, noExternal: [/^@omk\//], splitting: true }));
