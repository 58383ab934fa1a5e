import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** docs/schemas at the repository root: where every package publishes its JSON Schemas. */
export const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../docs/schemas");

function render(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Write the files that changed; returns their names. Other packages' files are left alone. */
function writeSchemaFiles(schemas: Record<string, unknown>): string[] {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  const changed: string[] = [];
  for (const [file, schema] of Object.entries(schemas)) {
    const target = path.join(SCHEMA_DIR, file);
    const text = render(schema);
    if (readOrUndefined(target) === text) continue;
    writeFileSync(target, text);
    changed.push(file);
  }
  return changed;
}

/** "docs/schemas/x is missing|stale: run `<fix>`" for each file that differs from the zod schemas. */
export function staleSchemaFiles(schemas: Record<string, unknown>, fix: string): string[] {
  return Object.entries(schemas).flatMap(([file, schema]) => {
    const actual = readOrUndefined(path.join(SCHEMA_DIR, file));
    return actual === render(schema) ? [] : [`docs/schemas/${file} is ${actual === undefined ? "missing" : "stale"}: run \`${fix}\``];
  });
}

/** Body of a package's scripts/gen-schemas.ts. */
export function runSchemaGenerator(name: string, schemas: Record<string, unknown>): void {
  const changed = writeSchemaFiles(schemas);
  const lines =
    changed.length === 0 ? [`docs/schemas is up to date (${name}: ${Object.keys(schemas).length} schemas)`] : changed.map((f) => `wrote docs/schemas/${f}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
