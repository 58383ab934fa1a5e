import { configDefaults, defineConfig } from "vitest/config";

/** Shared vitest config: resolve workspace packages to their source (no build needed). */
export function packageVitestConfig(
  overrides: {
    testTimeout?: number;
    include?: string[];
    exclude?: string[];
    globalSetup?: string[];
    fileParallelism?: boolean;
    maxWorkers?: number;
    hookTimeout?: number;
    maxConcurrency?: number;
  } = {},
) {
  return defineConfig({
    resolve: { conditions: ["@omk/source", "import", "node", "default"] },
    ssr: { resolve: { conditions: ["@omk/source", "import", "node", "default"] } },
    test: {
      include: overrides.include ?? ["src/**/*.test.ts", "test/**/*.test.ts"],
      exclude: [...configDefaults.exclude, ...(overrides.exclude ?? [])],
      fileParallelism: overrides.fileParallelism ?? true,
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: overrides.hookTimeout ?? 60_000,
      ...(overrides.maxWorkers === undefined ? {} : { maxWorkers: overrides.maxWorkers }),
      ...(overrides.maxConcurrency === undefined ? {} : { maxConcurrency: overrides.maxConcurrency }),
      globalSetup: overrides.globalSetup ?? [],
      pool: "forks",
      // The JSON report feeds the workspace summary line printed by tooling/run-tests.mjs.
      reporters: ["default", "json"],
      outputFile: { json: ".vitest-report.json" },
    },
  });
}
