/**
 * Path-scope rules: the one implementation of "which repository paths does a
 * task's read or write set name" that the planner, the worktree checks and
 * the scheduler all use.
 *
 * Design choices:
 * - Entries are repository-relative POSIX paths. Refused, each with a stable
 *   code and a message that names the fix: empty or blank input or a blank
 *   segment, more than 4096 characters (before or after normalizing), lone
 *   surrogates, control characters (U+0000-U+001F, U+007F), absolute paths
 *   (`/x`, `\\server`, and a drive prefix `C:` even after `./`), backslashes,
 *   a leading `~`, any `..` segment (even one that would resolve inside the
 *   repository), and any `.git` segment.
 * - Backslashes are refused, not converted: in a POSIX repository `\` is a
 *   legal file-name character, so converting would silently change which file
 *   is meant, while a Windows-style path is almost surely a mistake the author
 *   should see. The message shows the path with `/` instead.
 * - `.git` segments are found the way git itself guards them: case-insensitive
 *   (`.GIT`), ignoring the code points HFS+ ignores (`.g\u200cit`), ignoring
 *   trailing dots and spaces (`.git.`, NTFS), and the NTFS short name `git~1`.
 * - Normalization: Unicode NFC, a leading `./` stripped, `//` and `.`
 *   segments collapsed. A trailing `/` (or a trailing `/.`) makes a folder;
 *   folders keep their trailing `/` so normalizing is idempotent. `.` and `./`
 *   name the whole repository: a folder whose normalized path is `"."` (not
 *   `""`: the empty string is refused, and a normalized path must normalize to
 *   itself). Paths are compared case-sensitively, as git does.
 * - An exact entry and a folder entry both cover the path they name and
 *   everything below it ("a folder covers what it holds": the planner cannot
 *   always know whether `src` is a file or a folder). `src` covers `src/x.ts`
 *   but not `src2/x.ts` or `srcfoo`: coverage is by whole segments.
 * - Glob dialect (an entry is a glob when it holds `*`, `?` or `[`):
 *   `*` any run of characters within one segment, dot files included;
 *   `**` as a whole segment, zero or more segments (`src/**` covers `src`
 *   and all below it, `**` everything); `?` one character; `[abc]`, `[a-z]`,
 *   `[!abc]` or `[^abc]` one character of (or not of) a class, `]` first in a
 *   class stands for itself. Wildcards never match `/`. Refused: braces
 *   (write one entry per alternative), `**` next to other characters in a
 *   segment, unclosed `[`, reversed ranges, POSIX classes (`[[:alpha:]]`) and
 *   classes that match no character. There is no escape character (`\` is
 *   refused): write a literal `[`, `*`, `?` or `{` as a one-character class,
 *   e.g. `app/[[]id]/page.tsx` for the file `app/[id]/page.tsx`.
 * - A glob names files, not folders: `*.md` holds the top-level `.md` files
 *   only, and `src/*` the files directly in `src`; write `src/**` for
 *   everything below `src`. A glob written with a trailing `/` names folders
 *   and is normalized to `.../**` (`src/*` + `/` becomes `src/*` + `/**`).
 *   Runs of `**` segments collapse to one.
 * - Overlap is decided exactly for the languages the entries describe, by a
 *   search over the product of the two patterns (src/internal/glob.ts), so
 *   `src/*.ts` and `src/*.md` are disjoint and `src/**` and `src/a/*.md`
 *   overlap. The only approximation ignores that real paths have no empty,
 *   `.`, `..` or `.git` segment; it can only report an overlap that no valid
 *   file realizes, never miss one. An invalid entry overlaps everything
 *   (conservative for scheduling), while in `pathInScope` an invalid entry
 *   covers nothing and an invalid file is in no scope (conservative for
 *   write checks).
 * - `pathInScope` takes a concrete file: its characters are literal (`[` in
 *   `app/[id]/page.tsx` is a bracket, not a class), and a folder form (`src/`
 *   or `.`) is not a file, so it is in no scope.
 */
import { z } from "zod";
import { GLOBSTAR, isWildSegment, literalSegment, type Pattern, parseGlobSegment, patternsIntersect, type Segment } from "./internal/glob.js";

export const SCOPE_PATH_MAX_LENGTH = 4096;

const ScopePathErrorCodeSchema = z.enum([
  "empty",
  "too_long",
  "invalid_unicode",
  "control_char",
  "absolute",
  "backslash",
  "home",
  "parent",
  "git_dir",
  "invalid_glob",
]);
type ScopePathErrorCode = z.infer<typeof ScopePathErrorCodeSchema>;

type ScopeKind = "exact" | "folder" | "glob";

export type ScopePathResult =
  | { readonly ok: true; readonly path: string; readonly kind: ScopeKind }
  | { readonly ok: false; readonly code: ScopePathErrorCode; readonly message: string };

const ScopeConflictKindSchema = z.enum(["write-write", "write-read", "read-write"]);
type ScopeConflictKind = z.infer<typeof ScopeConflictKindSchema>;

const ScopeConflictSideSchema = z.object({ taskId: z.string(), entry: z.string() });

/**
 * A conflict between task `a` and task `b`; `kind` reads from `a`'s side:
 * `write-read` means `a` writes what `b` reads. Entries are as the tasks wrote them.
 */
export const ScopeConflictSchema = z.object({
  kind: ScopeConflictKindSchema,
  a: ScopeConflictSideSchema,
  b: ScopeConflictSideSchema,
});
export type ScopeConflict = z.infer<typeof ScopeConflictSchema>;

/** The part of a task that scope rules look at. */
export type ScopedTask = {
  readonly id: string;
  readonly reads: readonly string[];
  readonly writes: readonly string[];
};

type Failure = { readonly ok: false; readonly code: ScopePathErrorCode; readonly message: string };
type Parsed =
  | {
      readonly ok: true;
      readonly path: string;
      readonly kind: ScopeKind;
      /** The named segments themselves (for a file: the file). */
      readonly segments: Pattern;
      /** Every path the entry covers. */
      readonly covers: Pattern;
    }
  | Failure;

const EXAMPLE = 'e.g. "src/app.ts"';
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHAR = /[\u0000-\u001F\u007F]/;
const DRIVE_PREFIX = /^[A-Za-z]:/;
const BLANK = /^\s+$/u;
/** Code points HFS+ ignores in file names, so `.g\u200Cit` is `.git` there (git guards the same list). */
const HFS_IGNORED = /[\u200C-\u200F\u202A-\u202E\u206A-\u206F\uFEFF]/gu;
const TRAILING_DOTS_AND_SPACES = /[. ]+$/u;

function show(input: string): string {
  const shown = input.length > 80 ? `${input.slice(0, 60)}...${input.slice(-10)}` : input;
  return JSON.stringify(shown);
}

function fail(code: ScopePathErrorCode, message: string): Failure {
  return { ok: false, code, message };
}

function isGitDirName(segment: string): boolean {
  const folded = segment.replace(HFS_IGNORED, "").toLowerCase().replace(TRAILING_DOTS_AND_SPACES, "");
  return folded === ".git" || folded === "git~1";
}

function tooLong(input: string, length: number): Failure {
  return fail(
    "too_long",
    `${show(input)} is ${length} characters long, over the limit of ${SCOPE_PATH_MAX_LENGTH}; name a folder that holds the files instead, e.g. "src/"`,
  );
}

/** Collapses runs of globstars (`a/**` + `/**` is `a/**`); the segment texts follow the same collapse. */
function collapseGlobstars(segments: readonly Segment[], texts: readonly string[]): [Segment[], string[]] {
  const outSegments: Segment[] = [];
  const outTexts: string[] = [];
  segments.forEach((segment, index) => {
    const previous = outSegments[outSegments.length - 1];
    if (segment.kind === "globstar" && previous?.kind === "globstar") return;
    outSegments.push(segment);
    outTexts.push(texts[index] ?? "");
  });
  return [outSegments, outTexts];
}

/**
 * Validates and normalizes an entry (`literal` false) or a concrete file
 * path (`literal` true: no glob syntax, every character stands for itself).
 */
function parse(input: string, literal: boolean): Parsed {
  if (input.length > SCOPE_PATH_MAX_LENGTH) return tooLong(input, input.length);
  if (input === "") {
    return fail("empty", `the path is empty; name a file or folder relative to the repository root, ${EXAMPLE}, or "." for the whole repository`);
  }
  if (LONE_SURROGATE.test(input)) {
    return fail("invalid_unicode", `${show(input)} is not well-formed Unicode (it holds a lone surrogate); write the path as valid text, ${EXAMPLE}`);
  }
  const control = CONTROL_CHAR.exec(input);
  if (control !== null) {
    const point = (control[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    return fail(
      "control_char",
      `${show(input)} holds the control character U+${point}; remove it: paths may not hold control characters (U+0000-U+001F, U+007F)`,
    );
  }
  if (BLANK.test(input)) {
    return fail("empty", `${show(input)} is blank; name a file or folder relative to the repository root, ${EXAMPLE}, or "." for the whole repository`);
  }
  const text = input.normalize("NFC");
  if (text.startsWith("/") || text.startsWith("\\") || DRIVE_PREFIX.test(text)) {
    return fail("absolute", `${show(input)} is absolute; scope paths are relative to the repository root, ${EXAMPLE}`);
  }
  if (text.includes("\\")) {
    return fail("backslash", `${show(input)} holds a backslash; separate folders with "/", e.g. ${show(text.replaceAll("\\", "/"))}`);
  }
  const raw = text.split("/");
  const last = raw[raw.length - 1];
  const folder = last === "" || last === ".";
  const names = raw.filter((name) => name !== "" && name !== ".");
  if (names.some((name) => BLANK.test(name))) {
    return fail("empty", `${show(input)} has a blank segment (only spaces); remove it or name the file or folder, ${EXAMPLE}`);
  }
  // Checked again after `./` is stripped, so that "./C:/x" normalizes to nothing that reads as absolute.
  if (DRIVE_PREFIX.test(names[0] ?? "")) {
    return fail("absolute", `${show(input)} starts with a drive ("C:"), so it reads as absolute; scope paths are relative to the repository root, ${EXAMPLE}`);
  }
  if (names[0]?.startsWith("~")) {
    return fail("home", `${show(input)} starts with "~" (a home folder); scope paths are relative to the repository root, ${EXAMPLE}`);
  }
  if (names.includes("..")) {
    return fail(
      "parent",
      `${show(input)} has a ".." segment; scope paths may not climb out of a folder: name the path from the repository root without "..", ${EXAMPLE}`,
    );
  }
  if (names.some(isGitDirName)) {
    return fail("git_dir", `${show(input)} names a ".git" folder; git's own files are never in a scope: name files of the working tree, ${EXAMPLE}`);
  }
  if (names.length === 0) {
    return { ok: true, path: ".", kind: "folder", segments: [], covers: [GLOBSTAR] };
  }

  const segments: Segment[] = [];
  for (const name of names) {
    if (literal) {
      segments.push(literalSegment(name));
      continue;
    }
    const parsed = parseGlobSegment(name);
    if (!parsed.ok) return fail("invalid_glob", `${show(input)} ${parsed.error}`);
    segments.push(parsed.value);
  }

  if (!segments.some(isWildSegment)) {
    const path = `${names.join("/")}${folder ? "/" : ""}`;
    if (path.length > SCOPE_PATH_MAX_LENGTH) return tooLong(input, path.length);
    return { ok: true, path, kind: folder ? "folder" : "exact", segments, covers: [...segments, GLOBSTAR] };
  }
  // A glob written as a folder names the folders it matches and all they hold.
  const [globSegments, texts] = collapseGlobstars(folder ? [...segments, GLOBSTAR] : segments, folder ? [...names, "**"] : names);
  const path = texts.join("/");
  if (path.length > SCOPE_PATH_MAX_LENGTH) return tooLong(input, path.length);
  return { ok: true, path, kind: "glob", segments: globSegments, covers: globSegments };
}

const ENTRY_CACHE_LIMIT = 4096;
const entryCache = new Map<string, Parsed>();

/** parse(entry, false), remembered: the same few entries are checked against many files and entries. */
function parseEntry(entry: string): Parsed {
  const cached = entryCache.get(entry);
  if (cached !== undefined) return cached;
  const parsed = parse(entry, false);
  if (entryCache.size >= ENTRY_CACHE_LIMIT) entryCache.clear();
  entryCache.set(entry, parsed);
  return parsed;
}

/**
 * Validates and normalizes one read-set or write-set entry.
 * On success `path` is the normalized entry: normalizing it again yields the same result.
 */
export function normalizeScopePath(input: string): ScopePathResult {
  const parsed = parseEntry(input);
  if (!parsed.ok) return parsed;
  return { ok: true, path: parsed.path, kind: parsed.kind };
}

/**
 * Whether the concrete repository-relative file lies inside one of the scope
 * entries. An invalid file path is in no scope; invalid entries cover nothing.
 */
export function pathInScope(file: string, scope: readonly string[]): boolean {
  const target = parse(file, true);
  if (!target.ok || target.kind !== "exact") return false;
  return scope.some((entry) => {
    const parsed = parseEntry(entry);
    return parsed.ok && patternsIntersect(parsed.covers, target.segments);
  });
}

/**
 * Whether some file could be covered by both entries. Exact for valid
 * entries (see the top of this file); an invalid entry overlaps everything.
 */
export function scopesOverlap(a: string, b: string): boolean {
  const first = parseEntry(a);
  const second = parseEntry(b);
  if (!first.ok || !second.ok) return true;
  return patternsIntersect(first.covers, second.covers);
}

/**
 * The conflicts between two tasks: `a`'s writes against `b`'s writes
 * (`write-write`) and reads (`write-read`), then `a`'s reads against `b`'s
 * writes (`read-write`). Reads never conflict with reads. Empty when the
 * tasks may run at the same time.
 */
export function findConflicts(a: ScopedTask, b: ScopedTask): ScopeConflict[] {
  const conflicts: ScopeConflict[] = [];
  const add = (kind: ScopeConflictKind, entryA: string, entryB: string): void => {
    if (scopesOverlap(entryA, entryB)) {
      conflicts.push({ kind, a: { taskId: a.id, entry: entryA }, b: { taskId: b.id, entry: entryB } });
    }
  };
  for (const write of a.writes) {
    for (const other of b.writes) add("write-write", write, other);
    for (const other of b.reads) add("write-read", write, other);
  }
  for (const read of a.reads) {
    for (const other of b.writes) add("read-write", read, other);
  }
  return conflicts;
}

/**
 * A read-set or write-set entry inside task schemas: parsing validates it
 * with normalizeScopePath and yields the normalized path. The check and the
 * overwrite keep the schema representable as JSON Schema (a string).
 */
export const ScopePathSchema = z
  .string()
  .superRefine((value, ctx) => {
    const result = normalizeScopePath(value);
    if (!result.ok) {
      ctx.addIssue({ code: "custom", message: result.message, params: { scopePathCode: result.code } });
    }
  })
  .overwrite((value) => {
    const result = normalizeScopePath(value);
    return result.ok ? result.path : value;
  })
  .meta({
    description: 'A repository-relative path: a file ("src/app.ts"), a folder ("src/", "." for the whole repository) or a glob ("src/**/*.ts").',
  });
