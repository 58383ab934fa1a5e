import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Files shipped with the CLI, found from the running file: `dist/*.js` (built,
 * also inside the npm package) and `src/**` (sources) both sit under the
 * package root. Messages name their absolute paths, so they work offline and
 * outside a clone.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The example shipped with the CLI: `examples/demo/{repo,script.yaml}` (kept in the npm package by `files`). */
const EXAMPLE = path.join("examples", "demo");

/** The example folder (`examples/demo`, holding `repo/` and `script.yaml`), searched upwards from `from`. */
export function findExampleDir(from: string = HERE): string | undefined {
  let dir = from;
  for (let depth = 0; depth < 4; depth++) {
    const candidate = path.join(dir, EXAMPLE);
    if (existsSync(path.join(candidate, "script.yaml")) && existsSync(path.join(candidate, "repo"))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** The example script book (the one `omk demo` plays), when this installation has it. */
export function exampleScriptBook(from: string = HERE): string | undefined {
  const dir = findExampleDir(from);
  return dir === undefined ? undefined : path.join(dir, "script.yaml");
}

/** The script book's JSON Schema file name: the build copies docs/schemas/<it> into dist/ (tsup.config.ts). */
const SCRIPT_BOOK_SCHEMA_FILE = "script-book.schema.json";

/**
 * The script book's JSON Schema: beside the built bundle (dist/, in the npm
 * package), else the repository's docs/schemas (running from a clone's sources).
 */
export function scriptBookSchemaPath(from: string = HERE): string | undefined {
  let dir = from;
  for (let depth = 0; depth < 5; depth++) {
    for (const candidate of [path.join(dir, SCRIPT_BOOK_SCHEMA_FILE), path.join(dir, "docs", "schemas", SCRIPT_BOOK_SCHEMA_FILE)])
      if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}
