import { copyFileSync } from "node:fs";
import { defineConfig } from "tsup";
import { packageConfig } from "../../tooling/tsup.base.js";

// The binary bundles the workspace packages (from source) so `omk` is one file that starts fast.
// Code splitting keeps lazily imported commands (every command: main.ts loads them on use) out of start-up.
// zod is bundled too: one chunk loads faster than its hundred small modules (bench cold-start).
// commander too: `omk --help` loads it, and bundled it loads ~10% faster than from node_modules (one
// file, no package resolution; bench cold-start). Its CommonJS `require` of node builtins needs a
// `require` in ESM output: the banner makes one (docs/decisions/cli-start-up.md).
// omk-scripted-agent (from @omk/wire) is a second entry, so `omk doctor` and `omk demo` can run it next to bin.js.
const requireShim = 'import { createRequire as __omkCreateRequire } from "node:module"; const require = __omkCreateRequire(import.meta.url);';
export default defineConfig(
  packageConfig(
    { bin: "src/bin.ts", "scripted-agent": "../../packages/wire/src/scripted-agent.ts" },
    {
      dts: false,
      noExternal: [/^@omk\//, "zod", "commander"],
      splitting: true,
      banner: { js: requireShim },
      // The script book's JSON Schema ships beside the bundle: a bad book's fix names it by absolute path (src/shipped.ts).
      onSuccess: async () =>
        copyFileSync(new URL("../../docs/schemas/script-book.schema.json", import.meta.url), new URL("./dist/script-book.schema.json", import.meta.url)),
    },
  ),
);
