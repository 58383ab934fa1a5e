import { defineConfig } from "tsup";
import { packageConfig } from "../../tooling/tsup.base.js";

// The binary bundles the workspace packages (from source) so `omk` is one file that starts fast.
// Code splitting keeps lazily imported commands (goal run, goal verify, doctor) out of start-up.
// zod is bundled too: one chunk loads faster than its hundred small modules (bench cold-start).
// omk-scripted-agent (from @omk/wire) is a second entry, so `omk doctor` and `omk demo` can run it next to bin.js.
export default defineConfig(packageConfig({ bin: "src/bin.ts", "scripted-agent": "../../packages/wire/src/scripted-agent.ts" }, { dts: false, noExternal: [/^@omk\//, "zod"], splitting: true }));
