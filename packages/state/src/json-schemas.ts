import { z } from "zod";
import { EventSchema } from "./schemas/event.js";
import { GateEvidenceSchema } from "./schemas/evidence.js";
import { GoalSchema } from "./schemas/goal.js";
import { LockOwnerSchema } from "./schemas/lock.js";
import { FailureSchema, ProofSchema } from "./schemas/outcome.js";
import { TaskGraphSchema } from "./schemas/task.js";

const SCHEMA_BASE_URL = "https://omk.dev/schemas";

/** The files OMK writes, by schema name, with a human title. */
const SOURCES: ReadonlyArray<{ name: string; title: string; schema: z.ZodType }> = [
  { name: "goal", title: "OMK goal snapshot (goal.json)", schema: GoalSchema },
  { name: "event", title: "OMK goal event (one line of events.jsonl)", schema: EventSchema },
  { name: "task-graph", title: "OMK task graph", schema: TaskGraphSchema },
  { name: "failure", title: "OMK failure record (failure.json)", schema: FailureSchema },
  { name: "proof", title: "OMK proof record (proof.json)", schema: ProofSchema },
  { name: "gate-evidence", title: "OMK gate evidence", schema: GateEvidenceSchema },
  { name: "lock", title: "OMK lock owner (lease file)", schema: LockOwnerSchema },
];

/**
 * JSON Schemas of the state files, generated from the zod schemas (the single
 * source of truth), keyed by file name ("goal.schema.json"). They describe
 * what omk accepts when it reads a file (`io: "input"`: fields with defaults
 * may be omitted, unknown keys are tolerated). Checks zod cannot express in
 * JSON Schema (id safety, cross-field refinements) are left out; a zod type
 * with no JSON Schema form throws here rather than turning silently into `{}`. The output
 * is deterministic; docs/schemas/ holds it (`pnpm --filter @omk/state gen:schemas`).
 */
export function jsonSchemas(): Record<string, object> {
  return publishedJsonSchemas(SOURCES);
}

/**
 * zod schemas → JSON Schemas as OMK publishes them in docs/schemas: draft
 * 2020-12, `io: "input"`, an `$id` under https://omk.dev/schemas and a title,
 * keyed by file name. Other packages use it for their own files; `override`
 * (zod's) lets one put a `$ref` to a schema published beside it in place of a copy.
 */
export function publishedJsonSchemas(
  sources: ReadonlyArray<{ name: string; title: string; schema: z.ZodType }>,
  options: { override?: NonNullable<Parameters<typeof z.toJSONSchema>[1]>["override"] } = {},
): Record<string, object> {
  const out: Record<string, object> = {};
  for (const { name, title, schema } of sources) {
    const { $schema, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", ...options });
    const file = `${name}.schema.json`;
    out[file] = { $schema, $id: `${SCHEMA_BASE_URL}/${file}`, title, ...rest };
  }
  return out;
}
