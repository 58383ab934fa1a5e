import { EngineProtocolSchema, HomeRelativePathSchema, ModelPriceSchema } from "@omk/wire";
import { z } from "zod";

/** An environment variable's name, as a POSIX shell spells it. */
const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/u, "an environment variable name (letters, digits and _, not starting with a digit)");

/**
 * The value of one variable of an engine's environment: a literal string, or
 * `{ from: NAME }`, read from OMK's own environment when the session starts
 * (the value is never written to any file OMK writes). A literal that looks
 * like a secret is refused when the file is loaded (see secrets.ts).
 */
const EnvValueSchema = z.union([z.string(), z.strictObject({ from: EnvNameSchema.describe("the variable of OMK's environment to read the value from") })]);

const Ms = z.number().int().positive();

/** Deadlines of an engine, in milliseconds; each key as @omk/wire's DeadlinesSchema (a test keeps the keys equal). */
export const ConfigDeadlinesSchema = z.strictObject({
  handshakeMs: Ms.optional().describe("process start through initialize and session/new (also `omk doctor`'s handshake deadline)"),
  requestMs: Ms.optional(),
  turnInactivityMs: Ms.optional(),
  turnTotalMs: Ms.optional(),
  cancelGraceMs: Ms.optional(),
  killGraceMs: Ms.optional(),
});

/** An engine name: a preset's (kimi, qwen, ...) to override it, or a custom one. */
const EngineNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/u, "an engine name: lowercase letters, digits, '.', '_' and '-', starting with a letter or digit")
  .refine((name) => name !== "scripted", "`scripted` is the bundled scripted engine (--engine scripted --script FILE) and cannot be configured");

/**
 * One engine of a config file. Under a preset's name every field is
 * optional and overrides the preset's field by field; any other name is a
 * custom engine and needs `command` and `protocol` (checked after merging the
 * user and repo files).
 */
export const EngineEntrySchema = z.strictObject({
  command: z
    .string()
    .min(1)
    .optional()
    .describe(
      "the program: a name looked up on PATH when the session starts, or a path (relative: to the repo root in the repo file, to the file's folder in the user file)",
    ),
  args: z.array(z.string()).optional().describe("arguments (replace the preset's)"),
  protocol: EngineProtocolSchema.optional(),
  env: z
    .record(EnvNameSchema, EnvValueSchema)
    .optional()
    .describe("variables set for the engine: a literal (never a secret) or { from: NAME } (read from OMK's environment)"),
  model: z.string().min(1).optional().describe("model selected after the session opens (--model overrides it)"),
  priceModel: z.string().min(1).optional().describe("model name used for the price table when the engine does not name one"),
  deadlines: ConfigDeadlinesSchema.optional(),
  prices: z.record(z.string().min(1), ModelPriceSchema).optional().describe("USD per million tokens by model (`*`: any model of this engine)"),
  versionArgs: z.array(z.string()).optional().describe("arguments that print the version (omk doctor)"),
  usageLog: z
    .enum(["none", "kimi_session_log"])
    .optional()
    .describe("where token usage is read besides the protocol: kimi_session_log for Kimi Code under another name (it reports usage only in its session log)"),
  login: z.string().min(1).optional().describe("how to log in, shown when the engine asks for it"),
  home: z
    .enum(["user", "hermetic"])
    .optional()
    .describe(
      "the engine always gets a HOME of its own per session (removed when it ends); user: the engine's login files are copied in from the user's HOME; hermetic: only homeCopy",
    ),
  homeCopy: z
    .array(HomeRelativePathSchema)
    .optional()
    .describe("paths under the user's HOME copied into the engine's own HOME besides its login files (a custom engine's login, for example)"),
});
export type EngineEntry = z.infer<typeof EngineEntrySchema>;

/** `$XDG_CONFIG_HOME/omk/config.yaml` (user) and `<repo>/.omk/config.yaml` (repo): the same shape. */
export const ConfigFileSchema = z.strictObject({
  $schema: z.string().optional().describe("a JSON Schema URL for editors; ignored"),
  version: z.literal(1).optional().describe("the file format's version (1)"),
  defaultEngine: z.string().min(1).optional().describe("the engine used when neither --engine nor OMK_ENGINE names one"),
  engines: z.record(EngineNameSchema, EngineEntrySchema).optional(),
});
export type ConfigFile = z.infer<typeof ConfigFileSchema>;
