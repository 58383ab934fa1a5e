import path from "node:path";
import { fileURLToPath } from "node:url";
import { FAKE_KIMI_WIRE_SCRIPT } from "@omk/test-fixtures";
import { build } from "tsup";
import type { TestProject } from "vitest/node";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Bundles omk-scripted-agent and the fake `kimi --wire` once per test run, so each test's child process
 * starts in a fraction of the time tsx needs. Third-party dependencies stay external and
 * resolve from this package's node_modules; @omk/core is bundled from its source (no build needed).
 */
export default async function setup(project: TestProject): Promise<void> {
  const outDir = path.join(here, "..", "node_modules", ".cache", "omk-wire-test");
  await build({
    config: false,
    entry: { "scripted-agent": path.join(here, "..", "src", "scripted-agent.ts"), "fake-kimi-wire": FAKE_KIMI_WIRE_SCRIPT },
    outDir,
    format: ["esm"],
    platform: "node",
    target: "node20",
    dts: false,
    silent: true,
    clean: false,
    splitting: false,
    sourcemap: false,
    outExtension: () => ({ js: ".mjs" }),
    noExternal: [/^@omk\/core$/],
    esbuildOptions(options) {
      options.conditions = ["@omk/source"];
    },
  });
  project.provide("scriptedAgent", path.join(outDir, "scripted-agent.mjs"));
  project.provide("fakeKimiWire", path.join(outDir, "fake-kimi-wire.mjs"));
}

declare module "vitest" {
  export interface ProvidedContext {
    scriptedAgent: string;
    fakeKimiWire: string;
  }
}
