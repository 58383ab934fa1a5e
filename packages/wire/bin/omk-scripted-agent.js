#!/usr/bin/env node
// The omk-scripted-agent command. pnpm links bins at install, before any build: a bin pointing straight
// at ../dist/scripted-agent.js (not yet built) is a "Failed to create bin" WARN. This committed file loads the build
// and, if there is none, says how to make it (docs/decisions/first-run.md).
import("../dist/scripted-agent.js").catch(async (error) => {
  const { existsSync } = await import("node:fs");
  const { fileURLToPath } = await import("node:url");
  const built = fileURLToPath(new URL("../dist/scripted-agent.js", import.meta.url));
  if (existsSync(built)) throw error;
  process.stderr.write(`omk-scripted-agent: not built yet (${built} is missing) — fix: run \`npx -y pnpm@10 --filter @omk/wire build\` in the OMK clone\n`);
  process.exitCode = 2;
});
