import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { wireJsonSchemas } from "./json-schemas.js";

const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../docs/schemas");

describe("JSON Schemas of @omk/wire in docs/schemas", () => {
  const schemas = wireJsonSchemas();

  it("covers the scenario file, with an $id and a title", () => {
    expect(Object.keys(schemas)).toEqual(["scripted-scenario.schema.json"]);
    expect(schemas["scripted-scenario.schema.json"]).toMatchObject({ $id: "https://omk.dev/schemas/scripted-scenario.schema.json", title: expect.stringMatching(/^OMK /) });
  });

  it.each(Object.keys(schemas))("docs/schemas/%s is up to date", (file) => {
    let actual: string | undefined;
    try {
      actual = readFileSync(path.join(SCHEMA_DIR, file), "utf8");
    } catch {
      actual = undefined;
    }
    if (actual !== `${JSON.stringify(schemas[file], null, 2)}\n`) expect.fail(`docs/schemas/${file} is ${actual === undefined ? "missing" : "stale"}: run \`pnpm --filter @omk/wire gen:schemas\``);
  });
});
