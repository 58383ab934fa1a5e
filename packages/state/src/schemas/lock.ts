import { z } from "zod";
import { TimestampSchema } from "./common.js";

/** Who holds a lease file: the controller lock or the log's append mutex. */
export const LockOwnerSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string().min(1),
  token: z.string().min(8),
  acquiredAt: TimestampSchema,
  heartbeatAt: TimestampSchema,
  purpose: z.string().default("controller"),
});
export type LockOwner = z.infer<typeof LockOwnerSchema>;
