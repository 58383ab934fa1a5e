import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { jsonSchemas } from "./json-schemas.js";

const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../docs/schemas");
const REGENERATE = "run `pnpm --filter @omk/state gen:schemas` and commit docs/schemas";

function onDisk(file: string): string | undefined {
  try {
    return readFileSync(path.join(SCHEMA_DIR, file), "utf8");
  } catch {
    return undefined;
  }
}

describe("JSON Schemas in docs/schemas", () => {
  const schemas = jsonSchemas();

  it("covers every state file, each with an $id and a title", () => {
    expect(Object.keys(schemas)).toEqual([
      "goal.schema.json",
      "event.schema.json",
      "task-graph.schema.json",
      "failure.schema.json",
      "proof.schema.json",
      "gate-evidence.schema.json",
      "lock.schema.json",
    ]);
    for (const [file, schema] of Object.entries(schemas)) {
      expect(schema).toMatchObject({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: `https://omk.dev/schemas/${file}`,
        title: expect.stringMatching(/^OMK /),
      });
    }
  });

  it("is deterministic", () => {
    expect(JSON.stringify(jsonSchemas())).toBe(JSON.stringify(schemas));
  });

  it.each(Object.keys(schemas))("docs/schemas/%s is up to date", (file) => {
    const expected = `${JSON.stringify(schemas[file], null, 2)}\n`;
    const actual = onDisk(file);
    if (actual !== expected) {
      const why = actual === undefined ? "is missing" : "is out of date with the zod schemas";
      expect.fail(`docs/schemas/${file} ${why}: ${REGENERATE}`);
    }
  });
});
