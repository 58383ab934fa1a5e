// The scripted engine for the tests, bundled once per test process from wire's source
// (src/scripted-agent.ts): one file starts in a fraction of the time tsx takes to load the source.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir } from "./temp.js";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

type Esbuild = { buildSync(options: Record<string, unknown>): unknown };

/** A command that starts the scripted engine (the `agent` option of @omk/sessions' scriptBookProvider). */
export type ScriptedAgent = { readonly command: string; readonly args: readonly string[] };

let agent: ScriptedAgent | undefined;

/** `{ command: node, args: [<bundle>] }` for scriptBookProvider's `agent` option. */
export function bundledAgent(): ScriptedAgent {
  if (agent !== undefined) return agent;
  const esbuild = require(createRequire(require.resolve("tsup")).resolve("esbuild")) as Esbuild;
  const outfile = path.join(makeTempDir("omk-agent-"), "scripted-agent.mjs");
  esbuild.buildSync({
    entryPoints: [path.join(here, "../../packages/wire/src/scripted-agent.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    conditions: ["@omk/source"],
    // CommonJS dependencies inside an ES module bundle need a require.
    banner: { js: "import { createRequire as __omkRequire } from 'node:module'; const require = __omkRequire(import.meta.url);" },
    logLevel: "error",
  });
  agent = { command: process.execPath, args: [outfile] };
  return agent;
}
