// Writes docs/schemas/*.schema.json from the zod schemas (style.md §5).
// Run: pnpm --filter @omk/state gen:schemas. json-schemas.test.ts fails when they are stale.
// Only this package's files are touched: other packages may write schemas to docs/schemas too.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jsonSchemas } from "../src/json-schemas.js";

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../docs/schemas");
mkdirSync(outDir, { recursive: true });

const schemas = jsonSchemas();
let changed = 0;
for (const [file, schema] of Object.entries(schemas)) {
  const target = path.join(outDir, file);
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  let before: string | undefined;
  try {
    before = readFileSync(target, "utf8");
  } catch {
    before = undefined;
  }
  if (before === text) continue;
  writeFileSync(target, text);
  changed++;
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
console.log(changed === 0 ? `docs/schemas is up to date (${Object.keys(schemas).length} schemas)` : `${changed} file(s) changed in ${outDir}`);
