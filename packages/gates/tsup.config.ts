import { defineConfig } from "tsup";
import { packageConfig } from "../../tooling/tsup.base.js";

// Code splitting: bin.ts loads the gate runner on use (a dynamic import), so `omk-gates --version`
// and `--help` start without it (bench cold-start); without splitting esbuild would inline it.
export default defineConfig(packageConfig({ index: "src/index.ts", bin: "src/bin.ts" }, { splitting: true }));
