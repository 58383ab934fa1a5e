import { staleSchemaFiles } from "@omk/test-fixtures";
import { describe, expect, it } from "vitest";
import { wireJsonSchemas } from "./json-schemas.js";

describe("JSON Schemas of @omk/wire in docs/schemas", () => {
  const schemas = wireJsonSchemas();

  it("covers the scenario file, with an $id and a title", () => {
    expect(Object.keys(schemas)).toEqual(["scripted-scenario.schema.json"]);
    expect(schemas["scripted-scenario.schema.json"]).toMatchObject({
      $id: "https://omk.dev/schemas/scripted-scenario.schema.json",
      title: expect.stringMatching(/^OMK /),
    });
  });

  it("docs/schemas is up to date with the zod schemas", () => {
    expect(staleSchemaFiles(schemas, "pnpm --filter @omk/wire gen:schemas")).toEqual([]);
  });
});
