import { z } from "zod";
import { GatesConfigSchema } from "./config.js";

const PROJECT_TYPES = ["node", "python", "rust", "go", "make", "git"] as const;

/** What `detectGates` found, with the reason for each gate and for each candidate it left out. */
export const DetectionSchema = z.object({
  root: z.string(),
  projects: z.array(z.object({ type: z.enum(PROJECT_TYPES), marker: z.string(), reason: z.string() })),
  gates: z.array(z.object({ name: z.string(), reason: z.string() })),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
  config: GatesConfigSchema,
});
export type Detection = z.infer<typeof DetectionSchema>;
