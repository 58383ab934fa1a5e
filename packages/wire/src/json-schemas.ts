import { z } from "zod";
import { ScenarioSchema } from "./schemas/scenario.js";

const SCHEMA_BASE_URL = "https://omk.dev/schemas";

/**
 * JSON Schemas of the files @omk/wire reads, generated from its zod schemas,
 * keyed by file name. They describe what is accepted (`io: "input"`: fields
 * with defaults may be left out). docs/schemas/ holds them
 * (`pnpm --filter @omk/wire gen:schemas`); a test fails when they are stale.
 */
export function wireJsonSchemas(): Record<string, object> {
  const sources: ReadonlyArray<{ name: string; title: string; schema: z.ZodType }> = [
    { name: "scripted-scenario", title: "OMK scripted engine scenario (omk-scripted-agent --scenario FILE)", schema: ScenarioSchema },
  ];
  const out: Record<string, object> = {};
  for (const { name, title, schema } of sources) {
    const { $schema, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" });
    const file = `${name}.schema.json`;
    out[file] = { $schema, $id: `${SCHEMA_BASE_URL}/${file}`, title, ...rest };
  }
  return out;
}
