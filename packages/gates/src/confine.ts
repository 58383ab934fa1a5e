/**
 * The hook through which a caller confines the commands @omk/gates starts on
 * a tree it does not trust: setup installs (a project's build backend, its
 * dependencies' install scripts) and gate commands (the project's tests).
 * @omk/gates has no sandbox of its own (it cannot import @omk/wire, which
 * builds bubblewrap's argv): the caller, OMK's controller in a goal, supplies
 * one. Without it, commands run as before, unconfined (standalone
 * `omk-gates` on the user's own tree). See docs/decisions/confinement.md.
 */

/** One command about to start. */
export type ConfineRequest = {
  /** The command as an argv; a shell line is `["/bin/sh", "-c", line]`. */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The tree the command works on (the checkout, or the folder a shared install is made in): writable in the sandbox. */
  readonly root: string;
  /** `setup`: a dependency install (needs the network and the package managers' caches); `gate`: a gate command or its tool's version probe (no network). */
  readonly purpose: "setup" | "gate";
  /** More folders the command must write: a gate's report folder, OMK's own package-manager caches of a setup step (never the user's). */
  readonly writable: readonly string[];
  readonly env: Readonly<Record<string, string>>;
};

/** What to start instead: the argv (e.g. `bwrap … -- argv`), its environment, and what to remove once it ended (a private TMPDIR). */
export type Confined = { readonly argv: readonly string[]; readonly env: Readonly<Record<string, string>>; readonly dispose?: () => void };

/**
 * Turns one command into its confined form. Throwing stops the command (it
 * is recorded as unable to start). `managerCaches`: the folder of OMK's own
 * package-manager caches a confined setup uses (setup.ts setupCacheEnv;
 * default `$XDG_CACHE_HOME/omk/setup`): the user's own caches are never
 * writable in the sandbox.
 */
export type ConfineCommand = ((request: ConfineRequest) => Confined) & { readonly managerCaches?: string };
