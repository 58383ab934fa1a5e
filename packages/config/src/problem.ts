import type { Problem } from "@omk/core";

/** A problem with the config or an engine in it: one line (`<file>: <key>: <what is wrong>`, file and key when known), the file and key it is about, and the fix. */
export type ConfigProblem = Problem<
  | "config_unreadable"
  | "config_yaml"
  | "config_invalid"
  | "config_secret"
  | "config_untrusted"
  | "engine_unknown"
  | "engine_incomplete"
  | "env_missing"
  | "command_not_found",
  {
    readonly file?: string;
    /** The key path in the file, e.g. `engines.kimi.env.OPENAI_API_KEY`. */
    readonly key?: string;
  }
>;

/** `file` cannot be read: the cause's message, and what to do about it. */
export function unreadable(file: string, cause: unknown, fix: string): ConfigProblem {
  return { code: "config_unreadable", file, message: `${file}: cannot be read: ${(cause as Error).message}`, fix };
}
