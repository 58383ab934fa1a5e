/** A problem with the config or an engine in it: one line, the file and key it is about, and the fix. */
export type ConfigProblem = {
  readonly code: "config_unreadable" | "config_yaml" | "config_invalid" | "config_secret" | "config_untrusted" | "engine_unknown" | "engine_incomplete" | "env_missing" | "command_not_found";
  /** One line: `<file>: <key>: <what is wrong>` (file and key when known). */
  readonly message: string;
  readonly fix: string;
  readonly file?: string;
  /** The key path in the file, e.g. `engines.kimi.env.OPENAI_API_KEY`. */
  readonly key?: string;
};
