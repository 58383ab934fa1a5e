/**
 * What a repository's own config could make git run, and the command-scope
 * values that neutralise it (docs/decisions/git.md).
 *
 * The repository's config (.git/config, config.worktree, and every file they
 * include, conditionally or not) is written by whoever can write the
 * repository, an agent included. Each key in it that names a program gets a
 * command-scope override, which git ranks above every file. The discovery
 * runs once per repository and is cached against the files' identity (inode,
 * size, mtime): any edit, even an in-place append, is seen.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Where a repository's git files are, found the way git finds them from a directory (without running git). */
export type RepoPaths = {
  /** The directory that holds `.git` (a work tree's top level); undefined for a bare repository or a git dir itself. */
  readonly root: string | undefined;
  /** This work tree's git dir (a linked worktree's own `worktrees/<id>`). */
  readonly gitDir: string;
  /** The git dir that holds `config` (the main one for a linked worktree). */
  readonly commonDir: string;
};

const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};
const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** A directory that is itself a git dir (bare repository, or a cwd inside `.git`). */
function looksLikeGitDir(dir: string): boolean {
  return isFile(path.join(dir, "HEAD")) && isDir(path.join(dir, "objects")) && isDir(path.join(dir, "refs"));
}

/** The repository `cwd` is in, or undefined when git would find none. */
export function locateRepo(cwd: string): RepoPaths | undefined {
  let dir = path.resolve(cwd);
  // A missing cwd: git itself will say so.
  if (!isDir(dir)) return undefined;
  for (;;) {
    const dotGit = path.join(dir, ".git");
    let found: { root: string | undefined; gitDir: string } | undefined;
    try {
      const st = lstatSync(dotGit);
      if (st.isDirectory() || st.isSymbolicLink()) {
        if (isDir(dotGit)) found = { root: dir, gitDir: dotGit };
      } else if (st.isFile()) {
        const m = /^gitdir: (.*)$/m.exec(readFileSync(dotGit, "utf8"));
        if (m?.[1] !== undefined) found = { root: dir, gitDir: path.resolve(dir, m[1].trim()) };
      }
    } catch {
      // no .git here
    }
    if (found === undefined && looksLikeGitDir(dir)) found = { root: undefined, gitDir: dir };
    if (found !== undefined) {
      let commonDir = found.gitDir;
      try {
        commonDir = path.resolve(found.gitDir, readFileSync(path.join(found.gitDir, "commondir"), "utf8").trim());
      } catch {
        // not a linked worktree
      }
      return { root: found.root, gitDir: found.gitDir, commonDir };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** One `key=value` of a config listing, with the file it came from. */
export type ConfigEntry = { readonly scope: string; readonly file: string | undefined; readonly key: string; readonly value: string | undefined };

/** Parses `git config --list -z --show-origin [--show-scope]` output. */
export function parseConfigList(text: string, withScope: boolean, relativeTo: string, scopeOfAll = "local"): ConfigEntry[] {
  const fields = text.split("\0");
  if (fields[fields.length - 1] === "") fields.pop();
  const entries: ConfigEntry[] = [];
  const step = withScope ? 3 : 2;
  for (let i = 0; i + step - 1 < fields.length; i += step) {
    const scope = withScope ? (fields[i] as string) : scopeOfAll;
    const origin = fields[i + step - 2] as string;
    const pair = fields[i + step - 1] as string;
    const nl = pair.indexOf("\n");
    const key = nl === -1 ? pair : pair.slice(0, nl);
    const value = nl === -1 ? undefined : pair.slice(nl + 1);
    const file = origin.startsWith("file:") ? path.resolve(relativeTo, origin.slice("file:".length)) : undefined;
    entries.push({ scope, file, key, value });
  }
  return entries;
}

/** Scopes whose files the repository (and so an agent working in it) can write. */
const REPOSITORY_SCOPES = new Set(["local", "worktree"]);

/**
 * Text merge by git itself, for a merge driver the repository defines:
 * `git merge-file` is the builtin 3-way merge as a program (exit status =
 * conflicts), so a planted driver becomes an ordinary merge.
 */
export const MERGE_FILE_DRIVER = "git merge-file --marker-size=%L %A %O %B";

/**
 * The neutral value of each program-running key, checked against git 2.39:
 * an empty filter command is skipped (and `required` is lifted so the
 * missing filter is no error); `cat` as textconv is the identity; an empty
 * external diff is never run (OMK passes --no-ext-diff, and a `git diff`
 * without it fails rather than run anything); `true` lists no alternate refs;
 * an empty credential.helper resets the helper list.
 */
const RULES: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => ReadonlyArray<readonly [string, string]>]> = [
  [
    /^filter\.(.+)\.(clean|smudge|process)$/s,
    (m) => [
      [m[0], ""],
      [`filter.${m[1]}.required`, "false"],
    ],
  ],
  [/^diff\.(.+)\.textconv$/s, (m) => [[m[0], "cat"]]],
  [/^diff\.(.+)\.command$/s, (m) => [[m[0], ""]]],
  [/^diff\.external$/, (m) => [[m[0], ""]]],
  [/^merge\.(.+)\.driver$/s, (m) => [[m[0], MERGE_FILE_DRIVER]]],
  [/^credential\.(.+\.)?helper$/s, (m) => [[m[0], ""]]],
  [/^gpg\.(.+\.)?program$/s, (m) => [[m[0], ""]]],
  [/^core\.(sshcommand|gitproxy|askpass|editor)$/, (m) => [[m[0], m[1] === "sshcommand" ? "ssh" : m[1] === "editor" ? ":" : ""]]],
  [/^core\.pager$/, (m) => [[m[0], "cat"]]],
  [/^sequence\.editor$/, (m) => [[m[0], ":"]]],
  [/^core\.alternaterefscommand$/, (m) => [[m[0], "true"]]],
  [/^remote\.(.+)\.uploadpack$/s, (m) => [[m[0], "git-upload-pack"]]],
  [/^remote\.(.+)\.receivepack$/s, (m) => [[m[0], "git-receive-pack"]]],
  [/^(difftool|mergetool|browser|man)\.(.+)\.(cmd|path)$/s, (m) => [[m[0], ""]]],
];

/** Keys the runner always sets itself (see FIXED_CONFIG in run.ts); never overridden twice. */
const FIXED_KEYS = new Set(["core.hookspath", "core.fsmonitor"]);

/** The outcome of looking at a repository's config. */
export type RepoConfigVerdict = {
  /** key/value pairs to pass in command scope (GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n). */
  readonly overrides: ReadonlyArray<readonly [string, string]>;
  /** Set when git must not run here at all. */
  readonly refusal?: { readonly code: "git_worktree_moved" | "git_config_unreadable"; readonly message: string; readonly fix: string };
};

/** Overrides for the repository-scope entries, skipping values identical to the user's own (system/global) ones. */
export function overridesFor(entries: readonly ConfigEntry[]): Array<readonly [string, string]> {
  const userValues = new Set(entries.filter((e) => !REPOSITORY_SCOPES.has(e.scope) && e.scope !== "command").map((e) => `${e.key}\n${e.value}`));
  const out = new Map<string, string>();
  for (const e of entries) {
    if (!REPOSITORY_SCOPES.has(e.scope) || FIXED_KEYS.has(e.key) || userValues.has(`${e.key}\n${e.value}`)) continue;
    for (const [re, make] of RULES) {
      const m = re.exec(e.key);
      if (m === null) continue;
      for (const [k, v] of make(m)) out.set(k, v);
    }
  }
  return [...out];
}

const INCLUDE_KEY = /^(include|includeif\..*)\.path$/s;

/** Where an include.path value points (relative to the including file; `~/` is the home folder). */
function includeTarget(value: string, includingFile: string): string {
  if (value.startsWith("~/")) return path.join(process.env["HOME"] ?? os.homedir(), value.slice(2));
  return path.resolve(path.dirname(includingFile), value);
}

/**
 * A git call the discovery needs: argv and cwd; the driver (sync or async)
 * runs it with the plain safe environment and returns stdout, or undefined
 * when it failed.
 */
export type ConfigRead = { readonly cwd: string; readonly args: readonly string[] };

const realOrSelf = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/**
 * The discovery, written once for the sync and the async runner: it yields
 * each git call and receives its stdout. Returns the verdict and every file
 * it looked at (the cache's watch list).
 */
export function* discover(cwd: string, repo: RepoPaths): Generator<ConfigRead, { verdict: RepoConfigVerdict; watched: string[] }, string | undefined> {
  const listing = yield { cwd, args: ["config", "--list", "-z", "--show-origin", "--show-scope", "--includes"] };
  const watched = new Set<string>([
    path.join(repo.commonDir, "config"),
    path.join(repo.gitDir, "config.worktree"),
    path.join(repo.commonDir, "config.worktree"),
  ]);
  if (listing === undefined) {
    return {
      verdict: {
        overrides: [],
        refusal: {
          code: "git_config_unreadable",
          message: `git could not read the configuration of the repository at ${repo.gitDir}`,
          fix: "run `git config --list --show-origin` there and fix what it reports",
        },
      },
      watched: [...watched],
    };
  }
  const entries = parseConfigList(listing, true, cwd);
  const seen = new Set<string>();
  for (const e of entries) if (e.file !== undefined && REPOSITORY_SCOPES.has(e.scope)) seen.add(e.file);
  // Files git did not read this time but may read in another context: a
  // conditional include whose condition is false here (another branch,
  // another worktree), and other worktrees' config.worktree (read by a
  // `git worktree` subcommand's child in that worktree).
  const pending: Array<{ file: string; depth: number }> = [];
  const queueIncludes = (list: readonly ConfigEntry[], depth: number) => {
    for (const e of list) {
      if (!REPOSITORY_SCOPES.has(e.scope) || e.file === undefined || e.value === undefined || !INCLUDE_KEY.test(e.key)) continue;
      pending.push({ file: includeTarget(e.value, e.file), depth });
    }
  };
  queueIncludes(entries, 1);
  for (const f of [path.join(repo.gitDir, "config.worktree"), path.join(repo.commonDir, "config.worktree")]) pending.push({ file: f, depth: 0 });
  try {
    for (const id of readdirSync(path.join(repo.commonDir, "worktrees"))) {
      pending.push({ file: path.join(repo.commonDir, "worktrees", id, "config.worktree"), depth: 0 });
    }
  } catch {
    // no linked worktrees
  }
  watched.add(path.join(repo.commonDir, "worktrees"));
  const extra: ConfigEntry[] = [];
  while (pending.length > 0) {
    const { file, depth } = pending.shift() as { file: string; depth: number };
    watched.add(file);
    if (seen.has(file) || depth > 10 || !isFile(file)) continue;
    seen.add(file);
    const text = yield { cwd, args: ["config", "--file", file, "--list", "-z", "--show-origin", "--no-includes"] };
    if (text === undefined) continue;
    const more = parseConfigList(text, false, cwd, "local");
    extra.push(...more);
    queueIncludes(more, depth + 1);
  }
  for (const f of seen) watched.add(f);
  const all = [...entries, ...extra];
  const verdict: { overrides: Array<readonly [string, string]>; refusal?: RepoConfigVerdict["refusal"] } = { overrides: overridesFor(all) };
  // core.worktree moves the work tree git writes and reads: honoured only when it names the directory git would use anyway.
  for (const e of all) {
    if (e.key !== "core.worktree" || !REPOSITORY_SCOPES.has(e.scope) || e.value === undefined) continue;
    const target = realOrSelf(path.resolve(repo.gitDir, e.value));
    if (repo.root !== undefined && target === realOrSelf(repo.root)) continue;
    verdict.refusal = {
      code: "git_worktree_moved",
      message: `core.worktree in ${e.file ?? "the repository's config"} moves the working tree of ${repo.gitDir} to ${e.value}: OMK runs no git command there`,
      fix: "remove it (`git config --unset core.worktree`) if you did not set it; OMK works on plain checkouts",
    };
  }
  return { verdict, watched: [...watched] };
}

/** The identity of the watched files: any write (git's lockfile rename, an in-place append) changes it. */
export function signature(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const st = statSync(f, { bigint: true });
        return `${f}:${st.ino}:${st.size}:${st.mtimeNs}`;
      } catch {
        return `${f}:-`;
      }
    })
    .join("\n");
}

/** The current watch list of a repository: the cached one plus its worktrees (a new worktree adds a file to look at). */
export function currentWatch(repo: RepoPaths, cached: readonly string[]): string[] {
  const files = new Set(cached);
  try {
    for (const id of readdirSync(path.join(repo.commonDir, "worktrees"))) files.add(path.join(repo.commonDir, "worktrees", id, "config.worktree"));
  } catch {
    // none
  }
  return [...files];
}
