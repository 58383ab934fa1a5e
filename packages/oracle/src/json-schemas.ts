import { FrozenOracleSchema, publishedJsonSchemas } from "@omk/state";
import type { z } from "zod";
import { EvidenceSetSchema } from "./evidence.js";
import { TamperFindingSchema } from "./tamper-finding.js";

const SOURCES: ReadonlyArray<{ name: string; title: string; schema: z.ZodType }> = [
  { name: "oracle", title: "OMK frozen oracle (oracle.json)", schema: FrozenOracleSchema },
  { name: "oracle-evidence", title: "OMK oracle evidence of one commit (input of evaluate)", schema: EvidenceSetSchema },
  { name: "tamper-finding", title: "OMK tamper finding", schema: TamperFindingSchema },
];

/**
 * JSON Schemas of the files and records the oracle reads and writes, generated
 * from the zod schemas (as @omk/state does for its files), keyed by file name.
 * docs/schemas/ holds them (`pnpm --filter @omk/oracle gen:schemas`); a test fails when they are stale.
 */
export function oracleJsonSchemas(): Record<string, object> {
  return publishedJsonSchemas(SOURCES);
}
