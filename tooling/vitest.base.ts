import { defineConfig } from "vitest/config";

/** Shared vitest config: resolve workspace packages to their source (no build needed). */
export function packageVitestConfig(overrides: { testTimeout?: number; include?: string[]; globalSetup?: string[] } = {}) {
  return defineConfig({
    resolve: { conditions: ["@omk/source", "import", "node", "default"] },
    ssr: { resolve: { conditions: ["@omk/source", "import", "node", "default"] } },
    test: {
      include: overrides.include ?? ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: overrides.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      globalSetup: overrides.globalSetup ?? [],
      pool: "forks",
      // The JSON report feeds the workspace summary line printed by tooling/run-tests.mjs.
      reporters: ["default", "json"],
      outputFile: { json: ".vitest-report.json" },
    },
  });
}
