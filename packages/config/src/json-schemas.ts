import { publishedJsonSchemas } from "@omk/state";
import type { z } from "zod";
import { ConfigFileSchema } from "./schema.js";

const SOURCES: ReadonlyArray<{ name: string; title: string; schema: z.ZodType }> = [
  { name: "config", title: "OMK config file ($XDG_CONFIG_HOME/omk/config.yaml and <repo>/.omk/config.yaml)", schema: ConfigFileSchema },
];

/**
 * The JSON Schema of OMK's config files, generated from the zod schema, keyed
 * by file name. docs/schemas/ holds it (`pnpm --filter @omk/config gen:schemas`); a test fails when it is stale.
 */
export function configJsonSchemas(): Record<string, object> {
  return publishedJsonSchemas(SOURCES);
}
