// Writes this package's JSON Schemas into docs/schemas (style.md §5); test/json-schemas.test.ts and test/script-book.test.ts fail when they are stale.
import { runSchemaGenerator } from "@omk/test-fixtures";
import { controllerJsonSchemas } from "../src/schemas/json-schemas.js";
import { scriptBookJsonSchemas } from "../src/sessions/script-book.js";

runSchemaGenerator("@omk/controller", { ...scriptBookJsonSchemas(), ...controllerJsonSchemas() });
