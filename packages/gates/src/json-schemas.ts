import { z } from "zod";
import { GatesConfigSchema } from "./schemas/config.js";
import { GatesReportSchema } from "./schemas/result.js";

const SCHEMA_BASE_URL = "https://omk.dev/schemas";

const SOURCES: ReadonlyArray<{ name: string; title: string; schema: z.ZodType; io: "input" | "output" }> = [
  { name: "gates-config", title: "OMK gates config (.omk/gates.yaml)", schema: GatesConfigSchema, io: "input" },
  { name: "gates-report", title: "OMK gates report (report.json, omk-gates --json)", schema: GatesReportSchema, io: "output" },
];

/**
 * JSON Schemas of the files @omk/gates reads and writes, generated from the
 * zod schemas, keyed by file name. The config is described as written by
 * people (`io: "input"`: defaults may be omitted, durations may be text);
 * the report as written by the runner. docs/schemas/ holds them
 * (`pnpm --filter @omk/gates gen:schemas`), guarded by a test.
 */
export function gatesJsonSchemas(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const { name, title, schema, io } of SOURCES) {
    const { $schema, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "throw" });
    const file = `${name}.schema.json`;
    out[file] = { $schema, $id: `${SCHEMA_BASE_URL}/${file}`, title, ...rest };
  }
  return out;
}
