import { staleSchemaFiles } from "@omk/test-fixtures";
import { describe, expect, it } from "vitest";
import { jsonSchemas } from "./json-schemas.js";

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

  it("docs/schemas is up to date with the zod schemas", () => {
    expect(staleSchemaFiles(schemas, "pnpm --filter @omk/state gen:schemas")).toEqual([]);
  });
});
