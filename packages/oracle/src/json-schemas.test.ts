import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { oracleJsonSchemas } from "./json-schemas.js";

const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../docs/schemas");

describe("JSON Schemas of the oracle's files in docs/schemas", () => {
  const schemas = oracleJsonSchemas();

  it("covers oracle.json, the evidence and the tamper findings", () => {
    expect(Object.keys(schemas)).toEqual(["oracle.schema.json", "oracle-evidence.schema.json", "tamper-finding.schema.json"]);
  });

  it.each(Object.keys(schemas))("docs/schemas/%s is up to date", (file) => {
    let actual: string | undefined;
    try {
      actual = readFileSync(path.join(SCHEMA_DIR, file), "utf8");
    } catch {
      actual = undefined;
    }
    if (actual !== `${JSON.stringify(schemas[file], null, 2)}\n`) {
      expect.fail(`docs/schemas/${file} is ${actual === undefined ? "missing" : "stale"}: run \`pnpm --filter @omk/oracle gen:schemas\``);
    }
  });
});
