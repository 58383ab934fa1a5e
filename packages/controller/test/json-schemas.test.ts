import { staleSchemaFiles } from "@omk/test-fixtures";
import { describe, expect, it } from "vitest";
import { controllerJsonSchemas } from "../src/schemas/json-schemas.js";

describe("the controller's JSON Schemas in docs/schemas", () => {
  const schemas = controllerJsonSchemas();

  it("covers the --json event stream, round verdicts and review records, each with an $id and a title", () => {
    expect(Object.keys(schemas)).toEqual(["controller-event.schema.json", "round-verdict.schema.json", "review-record.schema.json"]);
    for (const [file, schema] of Object.entries(schemas)) {
      expect(schema).toMatchObject({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        $id: `https://omk.dev/schemas/${file}`,
        title: expect.stringMatching(/^OMK /),
      });
    }
  });

  it("refers to event.schema.json for goal_event's event rather than copying it", () => {
    const text = JSON.stringify(schemas["controller-event.schema.json"]);
    expect(text).toContain('"$ref":"event.schema.json"');
    expect(text).not.toContain('"const":"goal_created"');
    expect(text).not.toContain("readOnly");
  });

  it("is deterministic", () => {
    expect(JSON.stringify(controllerJsonSchemas())).toBe(JSON.stringify(schemas));
  });

  it("docs/schemas is up to date with the zod schemas", () => {
    expect(staleSchemaFiles(schemas, "pnpm --filter @omk/controller gen:schemas")).toEqual([]);
  });
});
