#!/usr/bin/env node
// `pnpm demo` (the README's first command): build only what `omk demo` needs, quietly, then run it.
//
// The CLI bundle compiles every workspace package from source (the `@omk/source` condition, no
// declarations), so the demo needs apps/cli's own tsup build and nothing else: no other package's
// dist, no .d.ts (those come from `pnpm build` and on publish). The build is skipped when
// apps/cli/dist/bin.js is newer than every input of the bundle. One line is printed before the
// demo's own output; tsup's output is shown only when it fails. docs/decisions/first-run.md.
import { spawn } from "node:child_process";
import path from "node:path";
import { buildPackage, isBuilt, ROOT } from "./package-build.mjs";

const cli = path.join(ROOT, "apps", "cli");
const bin = path.join(cli, "dist", "bin.js");

if (isBuilt(cli, ["dist/bin.js", "dist/scripted-agent.js"])) {
  process.stderr.write("omk demo: the CLI build (apps/cli/dist) is up to date\n");
} else {
  const started = Date.now();
  process.stderr.write("omk demo: building the CLI (apps/cli/dist; `pnpm build` builds every package with types) ... ");
  const built = buildPackage(cli);
  if (built.code !== 0) {
    process.stderr.write(
      `failed\n${built.output}\nomk demo: the CLI build failed (output above) — fix: run \`npx -y pnpm@10 --filter omk build\` to see it again\n`,
    );
    process.exit(built.code);
  }
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

const demo = spawn(process.execPath, [bin, "demo", ...process.argv.slice(2)], { stdio: "inherit" });
// Ctrl-C reaches the demo from the terminal itself (same process group): wait for it to stop.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => demo.kill("SIGTERM"));
demo.on("close", (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1);
});
