// Writes this package's JSON Schemas into docs/schemas (style.md §5); test/reports.test.ts fails when they are stale.
import { runSchemaGenerator } from "@omk/test-fixtures";
import { gatesJsonSchemas } from "../src/json-schemas.js";

runSchemaGenerator("@omk/gates", gatesJsonSchemas());
