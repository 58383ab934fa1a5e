// Writes this package's JSON Schemas into docs/schemas (style.md §5); test/script-book.test.ts fails when they are stale.
import { runSchemaGenerator } from "@omk/test-fixtures";
import { scriptBookJsonSchemas } from "../src/script-book.js";

runSchemaGenerator("@omk/sessions", scriptBookJsonSchemas());
