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
 * What the engine's own HOME starts with. Either way the engine gets a HOME,
 * XDG dirs and TMPDIR of its own under the session's run folder (removed when
 * the session closes), never the user's real HOME. `user`: the engine's login
 * files (ENGINE_LOGIN_FILES: login, model selection) copied in from the
 * user's HOME, then `homeCopy`. `hermetic`: only the `homeCopy` files (tests, CI).
 */
export const EngineHomeSchema = z.enum(["user", "hermetic"]);
export type EngineHome = z.infer<typeof EngineHomeSchema>;

/**
 * A path relative to the user's HOME naming something in it (no absolute path,
 * no `..`, not HOME itself: `.`, `./`, `` would copy all of HOME, `.ssh`
 * included), e.g. `.kimi-code/config.toml`.
 */
export const HomeRelativePathSchema = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.startsWith("\\") && !/^[A-Za-z]:/.test(p), { message: "must be relative to the user's HOME, not absolute" })
  .refine((p) => !p.split(/[\\/]/).includes(".."), { message: "must not contain `..`" })
  .refine((p) => p.split(/[\\/]/).some((s) => s !== "" && s !== "."), { message: "must name a file or folder under HOME, not HOME itself" })
  .refine((p) => !p.includes("\0"), { message: "must not contain NUL" });

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
  /** Extra environment for the engine process (on top of the one OMK builds). */
  env: z.record(z.string(), z.string()).default({}),
  /** What the engine's own HOME starts with (default `user`: the user's login files for this engine). */
  home: EngineHomeSchema.default("user"),
  /** Files or folders, relative to the user's HOME, copied into the engine's own HOME besides its login files (e.g. `.kimi-code/config.toml`). */
  homeCopy: z.array(HomeRelativePathSchema).default([]),
  /** How to log in to this engine, shown when it answers "authentication required". */
  login: z.string().default("log in with the engine's own CLI, or set its API key in the environment"),
  /** Arguments that print the engine's version. */
  versionArgs: z.array(z.string()).default(["--version"]),
  /** Where token usage is read from, besides the protocol itself. */
  usageLog: z.enum(["none", "kimi_session_log"]).default("none"),
  /**
   * Model calls the engine makes on its own and reports no usage for.
   * `qwen_code`: Qwen Code's follow-up suggestion, managed auto-memory and
   * auto-approval classifier; OMK turns them off in Qwen's lowest-precedence
   * settings layer (system defaults; approval mode `default`, so permission
   * requests reach OMK's policy) and marks turns' usage `partial` when the
   * user's own settings turn them back on.
   */
  unreportedCalls: z.enum(["none", "qwen_code"]).default("none"),
  /** Model to select after the session opens (config option `model`, else `session/set_model`). */
  model: z.string().optional(),
  /** Model name used for the price table when the engine does not name one. */
  priceModel: z.string().optional(),
  /** Kimi Wire only: `--max-steps-per-turn`. */
  maxStepsPerTurn: z.number().int().positive().optional(),
  /** Kimi Wire only: no approval requests at all (`--yolo`). */
  yolo: z.boolean().default(false),
  deadlines: DeadlinesSchema.partial().default({}),
  /** Longest single protocol line accepted from the engine. */
  maxMessageBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
});
export type EngineSpec = z.infer<typeof EngineSpecSchema>;
export type EngineSpecInput = z.input<typeof EngineSpecSchema>;
