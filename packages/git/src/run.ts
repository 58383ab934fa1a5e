/**
 * THE git runner: every git command OMK runs goes through `git` or
 * `gitSync` (a source scan in this package's tests fails on any other
 * spawn of git). See docs/decisions/git.md.
 */
import { appendFileSync } from "node:fs";
import { execa, execaSync } from "execa";
import { gitEnv } from "./env.js";
import { type ConfigRead, currentWatch, discover, locateRepo, type RepoConfigVerdict, type RepoPaths, signature } from "./repo-config.js";

/**
 * Config set on every command (command scope beats every file): no hook
 * runs, no fsmonitor program, no signing program, no `ext::` transport
 * (it runs a command), and no recursion into submodules or a nested
 * repository (whose own config this runner has not looked at): no
 * recursing checkout, fetch or push, no `git submodule summary` under
 * status, a submodule's work tree not looked into by default, and no
 * file-protocol clone or fetch that git starts for a submodule (git marks
 * those as not from the user; OMK's own local fetches are).
 */
export const SAFE_CONFIG: readonly string[] = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
  "-c",
  "commit.gpgSign=false",
  "-c",
  "tag.gpgSign=false",
  "-c",
  "protocol.ext.allow=never",
  "-c",
  "submodule.recurse=false",
  "-c",
  "fetch.recurseSubmodules=false",
  "-c",
  "push.recurseSubmodules=no",
  "-c",
  "diff.ignoreSubmodules=dirty",
  "-c",
  "status.submoduleSummary=false",
  "-c",
  "protocol.file.allow=user",
];

/**
 * Subcommands that compare the work tree and, for a populated submodule (a
 * gitlink whose folder holds a `.git`), would start `git status` inside it,
 * under that repository's own config (its filters): they get
 * `--ignore-submodules=dirty` in place of any value the caller gave but
 * `all`. `dirty` starts nothing in the submodule (only its HEAD is read)
 * and, unlike `all`, still shows a gitlink that points at another commit.
 * The command-line option is the only setting a `.gitmodules` in the work
 * tree (`submodule.<name>.ignore = none`) cannot override.
 */
const WORKTREE_DIFF_COMMANDS = new Set(["status", "diff", "diff-index", "diff-files"]);

/** Subcommands that list the work tree's local changes (the same `git status` in each submodule) unless quiet. */
const QUIET_COMMANDS = new Set(["checkout", "switch"]);

/** Subcommands that can run an external diff or a textconv program; they get --no-ext-diff --no-textconv. */
const DIFF_COMMANDS = new Set(["diff", "diff-tree", "diff-index", "diff-files", "show", "log", "format-patch", "whatchanged"]);

export type GitOptions = {
  /** Variables added to the environment (an explicit identity, GIT_OPTIONAL_LOCKS=0, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** The environment to start from (default process.env); repository-locating and program variables are dropped from it. */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  readonly input?: string | Uint8Array;
  /** Bytes of stdout kept; beyond it the result says `truncated` (default 256 MiB). */
  readonly maxBuffer?: number;
  /** "buffer": stdout also as bytes (`bytes`), for blobs. */
  readonly encoding?: "utf8" | "buffer";
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * The user's own git, for the one command the user asks OMK to run on
   * their behalf (`git push` of an OMK branch): their hooks (pre-push) and
   * their repository's config apply. Nothing else may set it.
   */
  readonly asUser?: boolean;
};

/** Why the runner ran nothing. */
export type GitRefusal = NonNullable<RepoConfigVerdict["refusal"]>;

export type GitResult = {
  readonly stdout: string;
  readonly stderr: string;
  /** -1 when git could not start or was killed (timeout, signal). */
  readonly exitCode: number;
  /** stdout went past maxBuffer and was cut. */
  readonly truncated: boolean;
  /** stdout as bytes, with `encoding: "buffer"`. */
  readonly bytes?: Uint8Array;
  /** Set when the runner refused to run git here (exitCode 128, the message in stderr). */
  readonly refusal?: GitRefusal;
};

const DEFAULT_MAX_BUFFER = 256 * 1024 * 1024;

/** With OMK_GIT_TRACE=<file> (or the older OMK_WORKTREE_TRACE), every command is appended there with its duration. */
const TRACE = process.env["OMK_GIT_TRACE"] ?? process.env["OMK_WORKTREE_TRACE"];

type CacheEntry = { readonly sig: string; readonly watched: readonly string[]; readonly verdict: RepoConfigVerdict };
const cache = new Map<string, CacheEntry>();

/** Forget what was learnt about repositories' config (tests). */
export function clearRepoConfigCache(): void {
  cache.clear();
}

function cached(repo: RepoPaths): RepoConfigVerdict | undefined {
  const hit = cache.get(repo.gitDir);
  if (hit === undefined) return undefined;
  return signature(currentWatch(repo, hit.watched)) === hit.sig ? hit.verdict : undefined;
}

function store(repo: RepoPaths, watched: string[], verdict: RepoConfigVerdict): RepoConfigVerdict {
  cache.set(repo.gitDir, { sig: signature(watched), watched, verdict });
  return verdict;
}

const readEnv = () => gitEnv();

/** The verdict cached for `cwd`'s repository, or the discovery to drive; undefined outside a repository. */
function begin(cwd: string): { readonly verdict: RepoConfigVerdict } | { readonly repo: RepoPaths; readonly steps: ReturnType<typeof discover> } | undefined {
  const repo = locateRepo(cwd);
  if (repo === undefined) return undefined;
  const hit = cached(repo);
  if (hit !== undefined) return { verdict: hit };
  return { repo, steps: discover(cwd, repo) };
}

async function verdictFor(cwd: string): Promise<RepoConfigVerdict | undefined> {
  const run = begin(cwd);
  if (run === undefined || "verdict" in run) return run?.verdict;
  let step = run.steps.next();
  while (step.done !== true) step = run.steps.next(await readConfig(step.value));
  return store(run.repo, step.value.watched, step.value.verdict);
}

function verdictForSync(cwd: string): RepoConfigVerdict | undefined {
  const run = begin(cwd);
  if (run === undefined || "verdict" in run) return run?.verdict;
  let step = run.steps.next();
  while (step.done !== true) step = run.steps.next(readConfigSync(step.value));
  return store(run.repo, step.value.watched, step.value.verdict);
}

// `git config --list` reads files only: no hook, filter or fsmonitor is involved.
async function readConfig(read: ConfigRead): Promise<string | undefined> {
  const r = await execa("git", [...SAFE_CONFIG, ...read.args], {
    cwd: read.cwd,
    env: readEnv(),
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    stripFinalNewline: false,
  });
  return r.exitCode === 0 ? String(r.stdout) : undefined;
}

function readConfigSync(read: ConfigRead): string | undefined {
  const r = execaSync("git", [...SAFE_CONFIG, ...read.args], {
    cwd: read.cwd,
    env: readEnv(),
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    stripFinalNewline: false,
  });
  return r.exitCode === 0 ? String(r.stdout) : undefined;
}

/** Index of the subcommand in `args` (after global options such as `-c k=v`). */
function subcommandIndex(args: readonly string[]): number {
  let i = 0;
  while (i < args.length) {
    const a = args[i] as string;
    if (a === "-c" || a === "-C") i += 2;
    else if (a.startsWith("-")) i += 1;
    else return i;
  }
  return -1;
}

/**
 * Subcommands that start the other side's upload-pack. The program comes from
 * remote.<name>.uploadpack, where git keeps the FIRST value it reads (the
 * repository's own file, before any command-scope override), and a path or
 * URL is a remote name too; only the command-line option beats it.
 */
const FETCH_COMMANDS = new Set(["fetch", "pull", "clone", "ls-remote"]);

/**
 * The full argv: --no-pager, the safe config, the caller's args with
 * --no-ext-diff --no-textconv after a diff-like subcommand,
 * --ignore-submodules=dirty after one that looks at the work tree, --quiet
 * after checkout/switch, and git's own upload-pack (receive-pack) named
 * after a fetching (pushing) one.
 */
export function safeArgs(args: readonly string[], asUser = false): string[] {
  let out = [...args];
  const at = subcommandIndex(out);
  const sub = at === -1 ? "" : (out[at] as string);
  if (!asUser && WORKTREE_DIFF_COMMANDS.has(sub)) {
    const end = out.indexOf("--", at + 1);
    const isOption = (a: string, i: number) => i > at && (end === -1 || i < end) && (a === "--ignore-submodules" || a.startsWith("--ignore-submodules="));
    const keepsAll = out.some((a, i) => isOption(a, i) && a === "--ignore-submodules=all");
    out = out.filter((a, i) => !isOption(a, i) || a === "--ignore-submodules=all");
    if (!keepsAll) out.splice(at + 1, 0, "--ignore-submodules=dirty");
  }
  if (!asUser && QUIET_COMMANDS.has(sub)) out.splice(at + 1, 0, "--quiet");
  if (!asUser && DIFF_COMMANDS.has(sub)) out.splice(at + 1, 0, "--no-ext-diff", "--no-textconv");
  if (!asUser && FETCH_COMMANDS.has(sub)) out.splice(at + 1, 0, "--upload-pack=git-upload-pack");
  if (!asUser && sub === "push") out.splice(at + 1, 0, "--receive-pack=git-receive-pack");
  return asUser ? ["--no-pager", ...out] : ["--no-pager", ...SAFE_CONFIG, ...out];
}

/** The environment of one command: gitEnv plus the repository's overrides as GIT_CONFIG_KEY_n/VALUE_n. */
function commandEnv(options: GitOptions, verdict: RepoConfigVerdict | undefined): Record<string, string> {
  const env = gitEnv({
    ...(options.baseEnv === undefined ? {} : { base: options.baseEnv }),
    ...(options.env === undefined ? {} : { extra: options.env }),
    user: options.asUser === true,
  });
  const overrides = verdict?.overrides ?? [];
  if (overrides.length > 0) {
    env["GIT_CONFIG_COUNT"] = String(overrides.length);
    overrides.forEach(([key, value], n) => {
      env[`GIT_CONFIG_KEY_${n}`] = key;
      env[`GIT_CONFIG_VALUE_${n}`] = value;
    });
  }
  return env;
}

function refused(refusal: GitRefusal): GitResult {
  return { stdout: "", stderr: `omk: ${refusal.message} (${refusal.fix})\n`, exitCode: 128, truncated: false, refusal };
}

type Raw = { stdout: unknown; stderr: unknown; exitCode?: number | undefined; isMaxBuffer?: boolean; failed: boolean; message?: string };

function toResult(r: Raw, options: GitOptions): GitResult {
  const buffer = r.stdout instanceof Uint8Array ? r.stdout : undefined;
  const stdout =
    buffer === undefined ? (typeof r.stdout === "string" ? r.stdout : "") : options.encoding === "buffer" ? "" : Buffer.from(buffer).toString("utf8");
  const stderrRaw = r.stderr instanceof Uint8Array ? Buffer.from(r.stderr).toString("utf8") : typeof r.stderr === "string" ? r.stderr : "";
  const exitCode = r.exitCode ?? -1;
  const stderr = exitCode === -1 && stderrRaw === "" ? (r.message ?? "git did not run") : stderrRaw;
  return { stdout, stderr, exitCode, truncated: r.isMaxBuffer === true, ...(buffer !== undefined && options.encoding === "buffer" ? { bytes: buffer } : {}) };
}

function trace(cwd: string, args: readonly string[], started: number, exitCode: number): void {
  if (TRACE !== undefined) appendFileSync(TRACE, `${JSON.stringify({ ms: Math.round(performance.now() - started), cwd, args, exitCode })}\n`);
}

function execOptions(cwd: string, options: GitOptions, env: Record<string, string>) {
  return {
    cwd,
    env,
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    maxBuffer: options.maxBuffer ?? DEFAULT_MAX_BUFFER,
    ...(options.input === undefined ? { stdin: "ignore" as const } : { input: options.input }),
    ...(options.encoding === "buffer" ? { encoding: "buffer" as const } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
  };
}

/**
 * Runs `git <args>` in `cwd`, never through a shell, immune to what the
 * repository planted (module comment). Never throws: the caller reads
 * `exitCode` (and `refusal`).
 */
export async function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const started = TRACE === undefined ? 0 : performance.now();
  const verdict = options.asUser === true ? undefined : await verdictFor(cwd);
  if (verdict?.refusal !== undefined) return refused(verdict.refusal);
  const r = await execa("git", safeArgs(args, options.asUser), {
    ...execOptions(cwd, options, commandEnv(options, verdict)),
    ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
  });
  const result = toResult(r as Raw, options);
  trace(cwd, args, started, result.exitCode);
  return result;
}

/** `git`, synchronously (for the few callers that cannot await). */
export function gitSync(cwd: string, args: readonly string[], options: Omit<GitOptions, "signal"> = {}): GitResult {
  const started = TRACE === undefined ? 0 : performance.now();
  const verdict = options.asUser === true ? undefined : verdictForSync(cwd);
  if (verdict?.refusal !== undefined) return refused(verdict.refusal);
  const r = execaSync("git", safeArgs(args, options.asUser), execOptions(cwd, options, commandEnv(options, verdict)));
  const result = toResult(r as Raw, options);
  trace(cwd, args, started, result.exitCode);
  return result;
}

/** The overrides and refusal the runner would apply in `cwd` (for tests and `omk doctor`-style reports). */
export async function repoConfigVerdict(cwd: string): Promise<RepoConfigVerdict | undefined> {
  return verdictFor(cwd);
}
