/**
 * The environment OMK runs git with (docs/decisions/git.md).
 *
 * Every GIT_* variable of the caller is dropped except the few that say
 * where the user's own configuration and git's own installation live: a
 * variable like GIT_DIR, GIT_INDEX_FILE or GIT_CONFIG_PARAMETERS left over
 * from a hook or shell would point git at another repository or inject
 * config. Variables that name programs git would run (pager, editor,
 * askpass, ssh) are replaced by inert values.
 */

/** GIT_* variables kept from the caller's environment: the user's own config files and git's install. */
const KEPT_GIT_VARIABLES = new Set(["GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "GIT_EXEC_PATH", "GIT_CEILING_DIRECTORIES"]);

/** Non-GIT_ variables git reads to find a program to run. */
const PROGRAM_VARIABLES = ["EDITOR", "VISUAL", "PAGER", "SSH_ASKPASS", "LESSOPEN", "LESSCLOSE"];

/**
 * Variables of the user's environment that would point git at another
 * repository, index or object store, or put someone else's identity or
 * date on a commit. Dropped even for the user's own `git push`.
 */
export const REPOSITORY_VARIABLES = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
  "GIT_PREFIX",
  "GIT_QUARANTINE_PATH",
  "GIT_AUTHOR_NAME",
  "GIT_AUTHOR_EMAIL",
  "GIT_AUTHOR_DATE",
  "GIT_COMMITTER_NAME",
  "GIT_COMMITTER_EMAIL",
  "GIT_COMMITTER_DATE",
  "GIT_CONFIG_PARAMETERS",
  "GIT_CONFIG_COUNT",
] as const;

/**
 * Set on every command: no prompt ever waits for a terminal, plain C
 * messages, no system-wide attributes, and the program-naming variables
 * git prefers over config pinned to no-ops (`:` is git's "no editor"; an
 * empty GIT_ASKPASS stops the askpass chain before core.askPass and
 * SSH_ASKPASS; `ssh` is git's own default).
 */
const INERT: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: "0",
  GIT_ATTR_NOSYSTEM: "1",
  LC_ALL: "C",
  GIT_PAGER: "cat",
  GIT_EDITOR: ":",
  GIT_SEQUENCE_EDITOR: ":",
  GIT_ASKPASS: "",
  GIT_SSH_COMMAND: "ssh",
};

export type GitEnvOptions = {
  /** The environment to start from (default: process.env). */
  readonly base?: Readonly<Record<string, string | undefined>>;
  /** Added last (e.g. an explicit commit identity). */
  readonly extra?: Readonly<Record<string, string>>;
  /** The user's own git (their `git push`): keep their program variables, drop only repository-locating ones. */
  readonly user?: boolean;
};

/** The environment git runs with (see the module comment); never mutates `base`. */
export function gitEnv(options: GitEnvOptions = {}): Record<string, string> {
  const base = options.base ?? process.env;
  const env: Record<string, string> = {};
  const dropped = new Set<string>(REPOSITORY_VARIABLES);
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || dropped.has(name) || /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(name)) continue;
    if (options.user !== true && ((name.startsWith("GIT_") && !KEPT_GIT_VARIABLES.has(name)) || PROGRAM_VARIABLES.includes(name))) continue;
    env[name] = value;
  }
  if (options.user === true) {
    env["GIT_TERMINAL_PROMPT"] = "0";
    env["LC_ALL"] = "C";
  } else {
    Object.assign(env, INERT);
  }
  return options.extra === undefined ? env : Object.assign(env, options.extra);
}
