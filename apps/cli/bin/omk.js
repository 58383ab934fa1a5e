#!/usr/bin/env node
// The omk command. pnpm links bins at install, before any build: a bin pointing straight
// at ../dist/bin.js (not yet built) is a "Failed to create bin" WARN. This committed file loads the build
// and, if there is none, says how to make it (docs/decisions/first-run.md).
import("../dist/bin.js").catch(async (error) => {
  const { existsSync } = await import("node:fs");
  const { fileURLToPath } = await import("node:url");
  const built = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
  if (existsSync(built)) throw error;
  process.stderr.write(`omk: not built yet (${built} is missing) — fix: run \`npx -y pnpm@10 --filter omk build\` in the OMK clone\n`);
  process.exitCode = 2;
});
