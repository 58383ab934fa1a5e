import { staleSchemaFiles } from "@omk/test-fixtures";
import { describe, expect, it } from "vitest";
import { oracleJsonSchemas } from "./json-schemas.js";

describe("JSON Schemas of the oracle's files in docs/schemas", () => {
  const schemas = oracleJsonSchemas();

  it("covers oracle.json, the evidence and the tamper findings", () => {
    expect(Object.keys(schemas)).toEqual(["oracle.schema.json", "oracle-evidence.schema.json", "tamper-finding.schema.json"]);
  });

  it("docs/schemas is up to date with the zod schemas", () => {
    expect(staleSchemaFiles(schemas, "pnpm --filter @omk/oracle gen:schemas")).toEqual([]);
  });
});
