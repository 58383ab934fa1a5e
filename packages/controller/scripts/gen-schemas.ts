// Writes this package's JSON Schemas into docs/schemas (style.md §5); test/json-schemas.test.ts fails when they are stale.
import { runSchemaGenerator } from "@omk/test-fixtures";
import { controllerJsonSchemas } from "../src/schemas/json-schemas.js";

runSchemaGenerator("@omk/controller", controllerJsonSchemas());
