/**
 * A round's verdict (`rounds/r<n>.json`): ready or not, and every failing
 * item with its detail. Written by the verification and review phases, read
 * back (through RoundVerdictSchema) by a resumed run and the stagnation check.
 */
import { readFileSync } from "node:fs";
import { CommitShaSchema, FailureCodeSchema, parseJsonWith, recordProblem } from "@omk/state";
import { err, ok, type Result } from "@omk/core";
import { z } from "zod";
import type { ControllerProblem } from "../types.js";

export const FailingItemSchema = z.object({
  kind: z.enum(["gate", "criterion", "finding", "integration", "task"]),
  key: z.string().min(1).describe("stable name: the same failure in two rounds has the same key"),
  detail: z.string(),
  files: z.array(z.string()).optional().describe("files involved (an integration conflict's files: the follow-up takes them into its write set)"),
});

export const RoundVerdictSchema = z.object({
  round: z.number().int().positive(),
  headCommit: CommitShaSchema,
  ready: z.boolean(),
  cause: FailureCodeSchema.nullable().describe("why not ready (null when ready)"),
  failing: z.array(FailingItemSchema),
  evidence: z.array(z.string()).describe("evidence paths, relative to the goal dir"),
  failedCriteria: z.array(z.string()).describe("criterion ids that failed (follow-up acceptance)"),
});

const VERDICT_FIX = "delete the file: a resumed run verifies the round again and writes it anew";

/**
 * Reads a round verdict file through RoundVerdictSchema: ok(null) when there
 * is none; a `round_verdict_invalid` problem when it cannot be read, is not
 * JSON or is not a round verdict. Never a cast.
 */
export function readRoundVerdictFile(file: string): Result<z.output<typeof RoundVerdictSchema> | null, ControllerProblem> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return ok(null);
    return err(recordProblem("round_verdict_invalid", file, "a readable round verdict", e instanceof Error ? e.message : String(e), VERDICT_FIX));
  }
  const parsed = parseJsonWith(RoundVerdictSchema, text);
  return parsed.ok ? ok(parsed.value) : err(recordProblem("round_verdict_invalid", file, "a round verdict", parsed.error, VERDICT_FIX));
}
