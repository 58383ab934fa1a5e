/**
 * Nested repositories in a task's checkout (docs/decisions/worktree.md 18).
 *
 * A folder of the checkout that holds a `.git` (a folder, a gitfile
 * `gitdir: …`, a symlink) is a repository of its own, with its own config:
 * `git add --all` records it as a gitlink (mode 160000), and from then on
 * every `git add`, `git status`, `git diff` against the work tree in the
 * checkout starts `git status` inside it, where its config (a clean filter,
 * say) runs on the host. @omk/git's runner keeps status and diff out of it
 * (`--ignore-submodules=dirty`), but `git add` has no such option, so
 * capture looks first and refuses: nothing is staged, nothing committed.
 *
 * Found here, each as a `nested_repository` scope violation naming the path:
 * - a `.git` entry in any folder git would capture from (the folders of the
 *   index's paths and of the untracked, not ignored, files, and each folder
 *   git itself reports as a nested repository), whether git would take it
 *   for a repository or not;
 * - a gitlink in the index that the base commit does not have (staged by the
 *   agent's own git);
 * - a gitlink added or changed by any commit the agent made on the task's
 *   branch (base..HEAD, merges against each parent).
 *
 * Only git commands that run nothing are used: `ls-files` (index and an
 * untracked listing, which never enters a nested repository), `ls-tree` and
 * `log --raw` (object reads).
 */
import { lstatSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import type { ScopeViolation } from "../schemas.js";
import { git, splitNul } from "./git.js";

const GITLINK = "160000";

type Found = { readonly path: string; readonly message: string; readonly target: string | null; readonly change: ScopeViolation["change"] };

/** What `<dir>/.git` is, if anything: a folder, a gitfile (with the git dir it names) or a symlink (with its target). */
function dotGitAt(cwd: string, dir: string): { kind: "folder" | "gitfile" | "symlink" | "other"; target: string | null } | undefined {
  const file = path.join(cwd, dir, ".git");
  try {
    const st = lstatSync(file);
    if (st.isDirectory()) return { kind: "folder", target: null };
    if (st.isSymbolicLink()) return { kind: "symlink", target: readlinkSync(file) };
    if (st.isFile()) {
      const head = readFileSync(file, "utf8").slice(0, 4096);
      const m = /^gitdir: (.*)$/m.exec(head);
      return { kind: "gitfile", target: m?.[1]?.trim() ?? null };
    }
    return { kind: "other", target: null };
  } catch {
    return undefined;
  }
}

/** Every folder above a repository path ("a/b/c" gives "a" and "a/b"). */
function ancestors(file: string, into: Set<string>): void {
  let at = file.lastIndexOf("/");
  while (at > 0) {
    const dir = file.slice(0, at);
    if (into.has(dir)) return;
    into.add(dir);
    at = dir.lastIndexOf("/");
  }
}

function nestedAt(dir: string, dotGit: NonNullable<ReturnType<typeof dotGitAt>>): Found {
  const what =
    dotGit.kind === "folder"
      ? `a .git folder`
      : dotGit.kind === "gitfile"
        ? `a .git file naming the git dir ${JSON.stringify(dotGit.target ?? "")}`
        : dotGit.kind === "symlink"
          ? `a .git symlink to ${JSON.stringify(dotGit.target ?? "")}`
          : "a .git entry";
  return {
    path: dir,
    message: `${JSON.stringify(dir)} holds ${what}: a nested git repository, which OMK never captures (git would record it as a submodule and run its config)`,
    target: dotGit.target,
    change: null,
  };
}

/** Gitlinks added or changed by the commits in base..head, with the commit that made each. */
async function committedGitlinks(cwd: string, base: string, head: string): Promise<Found[]> {
  if (head === base) return [];
  const run = await git(cwd, ["log", "--format=%x01%H", "-z", "--raw", "-r", "-m", "--no-abbrev", "--no-renames", `${base}..${head}`]);
  const found: Found[] = [];
  const tokens = splitNul(run.stdout);
  let commit = "";
  for (let i = 0; i < tokens.length; i++) {
    const token = (tokens[i] as string).replace(/^\n+/, "");
    if (token.startsWith("\x01")) {
      commit = token.slice(1).trim();
      continue;
    }
    const m = /^:(\d{6}) (\d{6}) [0-9a-f]+ ([0-9a-f]+) ([A-Z])/.exec(token);
    if (m === null) continue;
    const file = tokens[i + 1] ?? "";
    i++;
    if (m[2] !== GITLINK) continue;
    found.push({
      path: file,
      message: `commit ${commit.slice(0, 12)} on the task's branch records ${JSON.stringify(file)} as a gitlink (mode 160000, commit ${(m[3] as string).slice(0, 12)}): a nested git repository, which OMK never captures`,
      target: null,
      change: m[4] === "A" ? "A" : "M",
    });
  }
  return found;
}

/**
 * Nested repositories in the checkout at `cwd` (see the module comment), as
 * `nested_repository` scope violations, one per path. `excludeArgs` are the
 * `-c core.excludesFile=…` arguments capture stages with (so the same files
 * are looked at); `head` is the checkout's HEAD, `base` the task's base.
 */
export async function nestedRepositories(cwd: string, base: string, head: string, excludeArgs: readonly string[]): Promise<ScopeViolation[]> {
  const [index, untracked, committed] = await Promise.all([
    git(cwd, ["ls-files", "-s", "-z"]),
    git(cwd, [...excludeArgs, "ls-files", "-o", "-z", "--exclude-standard"]),
    committedGitlinks(cwd, base, head),
  ]);
  const dirs = new Set<string>();
  const staged = new Map<string, string>();
  for (const entry of splitNul(index.stdout)) {
    const m = /^(\d{6}) ([0-9a-f]+) \d\t(.*)$/s.exec(entry);
    if (m === null) continue;
    const file = m[3] as string;
    ancestors(file, dirs);
    if (m[1] === GITLINK) {
      staged.set(file, m[2] as string);
      dirs.add(file);
    }
  }
  for (const entry of splitNul(untracked.stdout)) {
    // git lists a folder it takes for a repository of its own as "dir/" and never enters it.
    if (entry.endsWith("/")) dirs.add(entry.slice(0, -1));
    ancestors(entry, dirs);
  }
  const found: Found[] = [];
  for (const dir of [...dirs].sort()) {
    const dotGit = dotGitAt(cwd, dir);
    if (dotGit !== undefined) found.push(nestedAt(dir, dotGit));
  }
  if (staged.size > 0) {
    const inBase = new Map<string, string>();
    for (const entry of splitNul((await git(cwd, ["ls-tree", "-r", "-z", "--full-tree", base])).stdout)) {
      const m = /^160000 commit ([0-9a-f]+)\t(.*)$/s.exec(entry);
      if (m !== null) inBase.set(m[2] as string, m[1] as string);
    }
    for (const [file, sha] of staged) {
      if (inBase.get(file) === sha) continue;
      found.push({
        path: file,
        message: `${JSON.stringify(file)} is staged as a gitlink (mode 160000, commit ${sha.slice(0, 12)}) the base commit does not have: a nested git repository, which OMK never captures`,
        target: null,
        change: inBase.has(file) ? "M" : "A",
      });
    }
  }
  found.push(...committed);
  const byPath = new Map<string, ScopeViolation>();
  for (const f of found) {
    if (!byPath.has(f.path)) byPath.set(f.path, { kind: "nested_repository", path: f.path, message: f.message, change: f.change, target: f.target });
  }
  return [...byPath.values()];
}
