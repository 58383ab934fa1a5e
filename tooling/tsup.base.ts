import type { Options } from "tsup";

/**
 * The one tsup config every package shares: ESM, Node 20, declarations.
 * A package's own tsup.config.ts is two lines that pass its entries.
 */
export function packageConfig(entry: Record<string, string>, extra: Options = {}): Options {
  return {
    entry,
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: true,
    // No source maps by default: published tarballs ship none (docs/decisions/publishing.md);
    // OMK_SOURCEMAP=1 builds them for local debugging, and tooling/check-packages.mjs refuses a tarball with one.
    sourcemap: process.env["OMK_SOURCEMAP"] === "1",
    clean: true,
    splitting: false,
    treeshake: true,
    // Bundle-time resolution of workspace packages goes to their source.
    esbuildOptions(options) {
      options.conditions = ["@omk/source"];
    },
    ...extra,
  };
}
