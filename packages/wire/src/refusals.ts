/**
 * Sandbox refusals named: the sandbox makes a write outside the task's
 * writable set fail (EROFS, or ENOENT where a folder is hidden), but the
 * agent may go on and finish its task properly. OMK sees the refusal in what
 * the host already reads: the output of each command run through its
 * terminal, and the result text of the engine's own failed tool calls. This
 * module finds the paths those error lines name and says which ones are a
 * scope violation. See docs/decisions/confinement.md ("Refusals are named").
 */
import { realpathSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/** What a session's refusal watch knows: the writable set and the folders whose mere mention in an error is a finding. */
export const RefusalWatchSchema = z
  .object({
    /** Folders the sandbox lets the agent write (the checkout, the engine's run folder, its own HOME folders). */
    writable: z.array(z.string()),
    /** Folders read-only where a refused write is a finding even under HOME (the checkout's own `.git`, the engines' folders in the user's HOME), with what they are. */
    readOnly: z.array(z.object({ path: z.string(), what: z.string() }).strict()),
    /** Folders hidden from the agent (OMK's state root, the repository's `.git`), with what they are: any error naming a path there is a finding. */
    hidden: z.array(z.object({ path: z.string(), what: z.string() }).strict()),
    /** The user's repository: a refused write there is a finding, also under HOME. */
    repo: z.string(),
    /** The HOME the agent sees: a refused write under it (a tool's cache or log) is not a finding unless under the repository, a hidden or read-only folder. */
    home: z.string().optional(),
  })
  .strict();
export type RefusalWatch = z.infer<typeof RefusalWatchSchema>;

/** One refused path an error line names. `write`: the error is a refused write (read-only, write-specific ENOENT, permission). */
export type RefusedPath = { path: string; errno: "EROFS" | "EACCES" | "EPERM" | "ENOENT"; line: string };

const ERRORS: Array<{ errno: RefusedPath["errno"]; re: RegExp }> = [
  { errno: "EROFS", re: /read-only file system|\bEROFS\b|\[Errno 30\]/i },
  { errno: "EACCES", re: /permission denied|\bEACCES\b|\[Errno 13\]/i },
  { errno: "EPERM", re: /operation not permitted|\bEPERM\b|\[Errno 1\]/i },
  { errno: "ENOENT", re: /directory nonexistent|no such file or directory|\bENOENT\b|\[Errno 2\]/i },
];

/** ENOENT forms that are a write for sure (dash's redirection, coreutils' create/touch, git's locks). */
const WRITE_FORMS =
  /directory nonexistent|cannot create|cannot touch|could not create|could not lock|unable to create|cannot make|failed to create|for writing/i;

const QUOTED = /‘([^’]+)’|'([^']+)'|"([^"]+)"|`([^`']+)'/g;
/** An unquoted path right before `: <error>` (dash `cannot create X: …`, bash `X: …`, tee, git `could not lock config file X: …`). */
const UNQUOTED =
  /(?:^|[\s(])([^\s:'"‘’`]+): (?:read-only file system|permission denied|operation not permitted|directory nonexistent|no such file or directory)/gi;

/** The paths the error lines of `text` name, with the error; lines without one of the errors are skipped. */
export function refusedPaths(text: string): RefusedPath[] {
  const out: RefusedPath[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.length > 4096) continue;
    const error = ERRORS.find((e) => e.re.test(line));
    if (error === undefined) continue;
    const found = new Set<string>();
    for (const m of line.matchAll(QUOTED)) {
      const p = m[1] ?? m[2] ?? m[3] ?? m[4] ?? "";
      if (looksLikePath(p)) found.add(p);
    }
    for (const m of line.matchAll(UNQUOTED)) {
      const p = m[1] ?? "";
      if (looksLikePath(p)) found.add(p);
    }
    for (const p of found) out.push({ path: p, errno: error.errno, line });
  }
  return out;
}

/** A path: has a slash, starts with a dot, or is a bare file name with an extension (not an errno word such as `EROFS`). */
const looksLikePath = (p: string) => p !== "" && !/\s/.test(p) && p.length < 4096 && (p.includes("/") || p.startsWith(".") || /^[\w.+-]+\.\w+$/.test(p));

const isWithin = (parent: string, child: string) => {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
};

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** Paths inside a git dir that git's own bookkeeping writes (index, objects, refs, logs, HEAD and its siblings): nothing there runs a program. */
const GIT_BOOKKEEPING =
  /^(?:index(?:\.lock)?|objects(?:\/.*)?|refs(?:\/.*)?|logs(?:\/.*)?|packed-refs(?:\.lock)?|(?:HEAD|ORIG_HEAD|FETCH_HEAD|MERGE_HEAD|COMMIT_EDITMSG|AUTO_MERGE)(?:\.lock)?)$/;

/** A refused path judged a scope violation: where it resolved and the message the finding shows. */
export type SandboxRefusal = { path: string; message: string };

/**
 * Whether a refused path is a scope violation: a path under a hidden folder
 * (whatever the error, ENOENT too: reaching for OMK's state or the user's
 * `.git`); else a refused write (EROFS, EACCES, EPERM, or a write-specific
 * ENOENT) outside the writable set, unless it is under HOME and not under the
 * repository or a read-only folder (a tool's cache in a read-only HOME).
 */
export function judgeRefusal(refused: RefusedPath, cwd: string, watch: RefusalWatch): SandboxRefusal | undefined {
  const target = path.resolve(cwd, refused.path.startsWith("~/") && watch.home !== undefined ? path.join(watch.home, refused.path.slice(2)) : refused.path);
  // The deepest labelled folder holding the path says what it is (a checkout's read-only .git inside a hidden state root is the checkout's .git).
  const labelled = [...watch.hidden.map((h) => ({ ...h, hidden: true })), ...watch.readOnly.map((r) => ({ ...r, hidden: false }))]
    .filter((f) => isWithin(f.path, target))
    .sort((x, y) => y.path.length - x.path.length)[0];
  if (labelled?.hidden === true)
    return {
      path: target,
      message: `the sandbox refused ${refused.errno === "ENOENT" ? "access" : "a write"} to ${target} (${labelled.what}): ${refused.errno}`,
    };
  if (refused.errno === "ENOENT" && !WRITE_FORMS.test(refused.line)) return undefined;
  const readOnly = labelled;
  // An agent's own git command (add, commit, stash) refused in its checkout's read-only .git is not a plant: the index, objects, refs and logs run nothing.
  if (readOnly !== undefined && path.basename(readOnly.path) === ".git" && GIT_BOOKKEEPING.test(path.relative(readOnly.path, target))) return undefined;
  if (readOnly === undefined && watch.writable.some((w) => isWithin(w, target))) {
    // Read-only inside a writable folder: only a symbolic link out of it gets there (a write through it).
    if (refused.errno !== "EROFS") return undefined;
    const real = realOrUndefined(target);
    const where = real === undefined || real === target ? "" : ` to ${real}`;
    return { path: target, message: `the sandbox refused a write to ${target} (a symbolic link${where} out of the task's checkout): EROFS` };
  }
  const inRepo = isWithin(watch.repo, target);
  if (readOnly === undefined && !inRepo && watch.home !== undefined && isWithin(watch.home, target)) return undefined;
  const what = readOnly?.what ?? (inRepo ? "the user's repository" : "outside the task's checkout");
  return { path: target, message: `the sandbox refused a write to ${target} (${what}): ${refused.errno}` };
}

/** The scope violations the error lines of `text` name (one per path), paths resolved against `cwd`. */
export function sandboxRefusals(text: string, cwd: string, watch: RefusalWatch): SandboxRefusal[] {
  const out = new Map<string, SandboxRefusal>();
  for (const refused of refusedPaths(text)) {
    const judged = judgeRefusal(refused, cwd, watch);
    if (judged !== undefined && !out.has(judged.path)) out.set(judged.path, judged);
  }
  return [...out.values()];
}
