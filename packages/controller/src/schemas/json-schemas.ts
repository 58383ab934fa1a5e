/**
 * The controller's JSON Schemas in docs/schemas, generated from its zod
 * schemas (scripts/gen-schemas.ts; test/json-schemas.test.ts fails when a
 * file is stale): the `--json` event stream, round verdicts, review records.
 */
import { publishedJsonSchemas } from "@omk/state";
import type { z } from "zod";
import { ControllerEventSchema, LoggedEventSchema } from "./event.js";
import { ReviewRecordSchema } from "@omk/review";
import { RoundVerdictSchema } from "./verdict.js";

const SOURCES: ReadonlyArray<{ name: string; title: string; schema: z.ZodType }> = [
  { name: "controller-event", title: "OMK controller event (one line of `--json` output)", schema: ControllerEventSchema },
  { name: "round-verdict", title: "OMK round verdict (rounds/r<n>.json)", schema: RoundVerdictSchema },
  { name: "review-record", title: "OMK review record (reviews/r<round>-<pass>.json)", schema: ReviewRecordSchema },
];

/**
 * JSON Schemas of the controller's files and event stream, keyed by file name.
 * `goal_event`'s event is a `$ref` to event.schema.json (@omk/state's, beside
 * it), not a 180 kB copy of it.
 */
export function controllerJsonSchemas(): Record<string, object> {
  return publishedJsonSchemas(SOURCES, {
    override: (ctx) => {
      // `.readonly()` is about the TypeScript type (the run hands its own arrays over); the data has no such property.
      delete ctx.jsonSchema.readOnly;
      if (ctx.zodSchema !== LoggedEventSchema) return;
      const description = ctx.jsonSchema.description;
      for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
      Object.assign(ctx.jsonSchema, { $ref: "event.schema.json", ...(description === undefined ? {} : { description }) });
    },
  });
}
