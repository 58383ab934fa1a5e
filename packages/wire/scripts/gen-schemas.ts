// Writes docs/schemas/scripted-scenario.schema.json from the zod schema (style.md §5).
// Run: pnpm --filter @omk/wire gen:schemas. src/json-schemas.test.ts fails when it is stale.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { wireJsonSchemas } from "../src/json-schemas.js";

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../docs/schemas");
mkdirSync(outDir, { recursive: true });
for (const [file, schema] of Object.entries(wireJsonSchemas())) {
  const target = path.join(outDir, file);
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  let before: string | undefined;
  try {
    before = readFileSync(target, "utf8");
  } catch {
    before = undefined;
  }
  if (before !== text) {
    writeFileSync(target, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
  }
}
