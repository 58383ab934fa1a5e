// Writes docs/schemas/{oracle,oracle-evidence,tamper-finding}.schema.json from the zod schemas.
// Run: pnpm --filter @omk/oracle gen:schemas. src/json-schemas.test.ts fails when they are stale.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { oracleJsonSchemas } from "../src/json-schemas.js";

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../docs/schemas");
mkdirSync(outDir, { recursive: true });
let changed = 0;
for (const [file, schema] of Object.entries(oracleJsonSchemas())) {
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
console.log(changed === 0 ? "docs/schemas is up to date (oracle)" : `${changed} file(s) changed in ${outDir}`);
