// Writes this package's JSON Schemas into docs/schemas (style.md §5); src/json-schemas.test.ts fails when they are stale.
import { runSchemaGenerator } from "@omk/test-fixtures";
import { configJsonSchemas } from "../src/json-schemas.js";

runSchemaGenerator("@omk/config", configJsonSchemas());
