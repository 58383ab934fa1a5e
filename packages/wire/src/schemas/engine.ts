import { z } from "zod";

/** Deadlines of a session, in milliseconds. */
export const DeadlinesSchema = z.object({
  /** Process start through `initialize` and `session/new`. */
  handshakeMs: z.number().int().positive().default(60_000),
  /** Any other request OMK sends (set model, set config option). */
  requestMs: z.number().int().positive().default(30_000),
  /** A turn with no byte from the engine and no output from its commands for this long is stopped. */
  turnInactivityMs: z.number().int().positive().default(300_000),
  /** The longest a single turn may take. */
  turnTotalMs: z.number().int().positive().default(3_600_000),
  /** After a protocol cancel, how long the engine gets to end the turn before its process group is killed. */
  cancelGraceMs: z.number().int().positive().default(5_000),
  /** After SIGTERM, how long before SIGKILL. */
  killGraceMs: z.number().int().positive().default(2_000),
});
export type Deadlines = z.infer<typeof DeadlinesSchema>;
export type DeadlinesInput = z.input<typeof DeadlinesSchema>;

export const EngineProtocolSchema = z.enum(["acp", "kimi-wire"]);
export type EngineProtocol = z.infer<typeof EngineProtocolSchema>;

/**
 * How to start and speak to one engine. Presets produce these; a custom
 * engine from config is one of these written by hand.
 */
export const EngineSpecSchema = z.object({
  /** Short name: a preset name (`kimi`, `gemini`, ...) or a custom one. */
  name: z.string().min(1),
  protocol: EngineProtocolSchema,
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Extra environment for the engine process (on top of the isolated one). */
  env: z.record(z.string(), z.string()).default({}),
  /** How to log in to this engine, shown when it answers "authentication required". */
  login: z.string().default("log in with the engine's own CLI, or set its API key in the environment"),
  /** Arguments that print the engine's version. */
  versionArgs: z.array(z.string()).default(["--version"]),
  /** Where token usage is read from, besides the protocol itself. */
  usageLog: z.enum(["none", "kimi_session_log"]).default("none"),
  /** Model to select after the session opens (config option `model`, else `session/set_model`). */
  model: z.string().optional(),
  /** Model name used for the price table when the engine does not name one. */
  priceModel: z.string().optional(),
  /** Kimi Wire only: `--max-steps-per-turn`. */
  maxStepsPerTurn: z.number().int().positive().optional(),
  /** Kimi Wire only: no approval requests at all (`--yolo`). */
  yolo: z.boolean().default(false),
  deadlines: DeadlinesSchema.partial().default({}),
  /** user: the engine sees the user's own HOME (login, agent config); hermetic: a fresh HOME under the run folder with `homeCopy` copied in. */
  home: z.enum(["user", "hermetic"]).default("user"),
  /** Hermetic home only: paths (relative to the user's HOME) copied into the fresh one. */
  homeCopy: z.array(z.string()).default([]),
  /** Longest single protocol line accepted from the engine. */
  maxMessageBytes: z.number().int().positive().default(16 * 1024 * 1024),
});
export type EngineSpec = z.infer<typeof EngineSpecSchema>;
export type EngineSpecInput = z.input<typeof EngineSpecSchema>;
