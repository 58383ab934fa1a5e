import { z } from "zod";

/**
 * Dependency setup of a checkout: the step detected from the lockfile (or
 * the `setup:` of the gates config), how it was done (a shared install
 * materialised, or an install in place), and, when it failed, the typed
 * `setup_failed` outcome with the command, exit code and log tail.
 */

const SETUP_MANAGERS = ["npm", "pnpm", "yarn", "python", "go", "cargo", "command"] as const;
const SetupManagerSchema = z.enum(SETUP_MANAGERS);

/** How a shared install reaches a checkout. `in_place`: installed in the checkout itself (not shareable, or a configured command). */
const MATERIALISE_MODES = ["hardlink", "copy", "in_place"] as const;
const MaterialiseModeSchema = z.enum(MATERIALISE_MODES);

export const SetupStepSchema = z.object({
  manager: SetupManagerSchema,
  /** argv; a configured string command is one element run by /bin/sh. */
  command: z.array(z.string().min(1)).min(1),
  shell: z.boolean(),
  /** Follow-up commands run after `command` in the same place (npm rebuild for install scripts). */
  after: z.array(z.array(z.string().min(1)).min(1)).default([]),
  /** Files (relative to the root) whose content makes the install what it is: hashed into the reuse key. */
  inputs: z.array(z.string()),
  /** What the step creates in the checkout (relative), never captured as a change: node_modules, .venv. */
  products: z.array(z.string()),
  /** The install can be made once in the shared cache and materialised into each checkout. */
  shareable: z.boolean(),
  /** Shared installs from a manifest with no lockfile are re-resolved after a day. */
  lockless: z.boolean(),
  reason: z.string(),
});
export type SetupStep = z.infer<typeof SetupStepSchema>;

export const SetupPlanSchema = z.object({
  root: z.string(),
  source: z.enum(["detected", "config"]),
  steps: z.array(SetupStepSchema),
  /** Why there is no step, or what was looked at. */
  reason: z.string(),
});
export type SetupPlan = z.infer<typeof SetupPlanSchema>;

export const SetupStepResultSchema = z.object({
  manager: SetupManagerSchema,
  command: z.array(z.string()).describe("as run (redacted)"),
  reason: z.string(),
  key: z.string().nullable().describe("sha256 reuse key of a shared install (null: installed in place)"),
  reused: z.boolean().describe("an identical shared install existed: nothing was installed"),
  materialised: MaterialiseModeSchema,
  outcome: z.enum(["ok", "failed"]),
  exitCode: z.number().int().nullable(),
  durationMs: z.number().int().nonnegative(),
  tail: z.array(z.string()).describe("last lines of the install's output (redacted)"),
  notes: z.array(z.string()),
});
export type SetupStepResult = z.infer<typeof SetupStepResultSchema>;

/** The typed failure of a checkout's setup: an environment problem, never a gate failure. */
export const SetupFailureSchema = z.object({
  code: z.literal("setup_failed"),
  command: z.string().describe("the command that failed, as one line (redacted)"),
  exitCode: z.number().int().nullable(),
  tail: z.array(z.string()).describe("last lines of its output (redacted)"),
  message: z.string(),
  fix: z.string(),
});
export type SetupFailure = z.infer<typeof SetupFailureSchema>;

export const SetupOutcomeSchema = z.object({
  status: z.enum(["ready", "none", "failed"]).describe("none: nothing to set up; failed: see failure"),
  source: z.enum(["detected", "config"]),
  reason: z.string(),
  durationMs: z.number().int().nonnegative(),
  steps: z.array(SetupStepResultSchema),
  path: z.array(z.string()).describe("directories the gates get first on PATH (a venv's bin)"),
  failure: SetupFailureSchema.optional(),
});
export type SetupOutcome = z.infer<typeof SetupOutcomeSchema>;
