import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  findConflicts,
  normalizeScopePath,
  pathInScope,
  SCOPE_PATH_MAX_LENGTH,
  type ScopeConflict,
  ScopeConflictSchema,
  type ScopedTask,
  ScopePathSchema,
  scopesOverlap,
} from "./scope.js";

const RUNS = { numRuns: 500 };

const ROOT_FIX = 'relative to the repository root, e.g. "src/app.ts"';

describe("normalizeScopePath refuses", () => {
  it.each([
    // [input, code, text the message must hold (the fix)]
    ["", "empty", 'or "." for the whole repository'],
    ["   ", "empty", 'or "." for the whole repository'],
    ["./ ", "empty", "remove it or name the file or folder"],
    ["src/ /a.ts", "empty", "remove it or name the file or folder"],
    ["/etc/passwd", "absolute", ROOT_FIX],
    ["/", "absolute", ROOT_FIX],
    ["//server/share", "absolute", ROOT_FIX],
    ["C:\\x", "absolute", ROOT_FIX],
    ["C:/x", "absolute", ROOT_FIX],
    ["c:x", "absolute", ROOT_FIX],
    ["./C:/x", "absolute", ROOT_FIX],
    ["./a:", "absolute", ROOT_FIX],
    ["\\\\server\\share\\x", "absolute", ROOT_FIX],
    ["\\x", "absolute", ROOT_FIX],
    ["src\\app.ts", "backslash", 'separate folders with "/", e.g. "src/app.ts"'],
    ["src/a\\b/c.ts", "backslash", 'e.g. "src/a/b/c.ts"'],
    ["..", "parent", 'without ".."'],
    ["../x", "parent", 'without ".."'],
    ["a/../../etc", "parent", 'without ".."'],
    ["src/../src/app.ts", "parent", 'without ".."'],
    ["a/..", "parent", 'without ".."'],
    ["./../x", "parent", 'without ".."'],
    ["src/**/../x", "parent", 'without ".."'],
    ["~", "home", ROOT_FIX],
    ["~/x", "home", ROOT_FIX],
    ["~user/x", "home", ROOT_FIX],
    ["./~/x", "home", ROOT_FIX],
    [".git", "git_dir", "name files of the working tree"],
    [".git/", "git_dir", "name files of the working tree"],
    ["./.git/config", "git_dir", "name files of the working tree"],
    ["src/.Git/x", "git_dir", "name files of the working tree"],
    [".GIT/HEAD", "git_dir", "name files of the working tree"],
    ["a/b/.git", "git_dir", "name files of the working tree"],
    [".git/**", "git_dir", "name files of the working tree"],
    [".git./config", "git_dir", "name files of the working tree"],
    [".git /config", "git_dir", "name files of the working tree"],
    [".g\u200Cit/config", "git_dir", "name files of the working tree"],
    ["\uFEFF.git/config", "git_dir", "name files of the working tree"],
    ["GIT~1/config", "git_dir", "name files of the working tree"],
    ["a\u0000b", "control_char", "U+0000; remove it"],
    ["a\nb", "control_char", "U+000A; remove it"],
    ["a\tb", "control_char", "U+0009; remove it"],
    ["a\u001Fb", "control_char", "U+001F; remove it"],
    ["a\u007Fb", "control_char", "U+007F; remove it"],
    ["\u0000", "control_char", "U+0000; remove it"],
    ["a\uD800b", "invalid_unicode", "write the path as valid text"],
    ["a\uDC00", "invalid_unicode", "write the path as valid text"],
    ["a".repeat(SCOPE_PATH_MAX_LENGTH + 1), "too_long", 'name a folder that holds the files instead, e.g. "src/"'],
    // U+0958 is two code units after NFC: short enough raw, too long once normalized.
    ["\u0958".repeat(3000), "too_long", "over the limit of 4096"],
    ["src/[ab", "invalid_glob", 'write "[[]" for a literal "["'],
    ["src/*.{ts,tsx}", "invalid_glob", "write one entry per alternative"],
    ["{a,b}/x", "invalid_glob", "write one entry per alternative"],
    ["src**", "invalid_glob", '"**" must be a whole segment, e.g. "src/**"'],
    ["src/**.ts", "invalid_glob", '"**" must be a whole segment'],
    ["[z-a].ts", "invalid_glob", 'write the lower character first, e.g. "[a-z]"'],
    ["[[:alpha:]]", "invalid_glob", 'e.g. "[a-z]"'],
  ])("%j with %s", (input, code, fix) => {
    const result = normalizeScopePath(input);
    expect(result).toMatchObject({ ok: false, code });
    if (result.ok) return;
    expect(result.message).toContain(fix);
    if (input.trim() !== "" && input.length <= 80) expect(result.message).toContain(JSON.stringify(input));
  });
});

describe("normalizeScopePath accepts and normalizes", () => {
  it.each([
    ["src/app.ts", "src/app.ts", "exact"],
    ["./src/app.ts", "src/app.ts", "exact"],
    ["././src/app.ts", "src/app.ts", "exact"],
    ["src//app.ts", "src/app.ts", "exact"],
    ["src/./app.ts", "src/app.ts", "exact"],
    ["src", "src", "exact"],
    ["src/", "src/", "folder"],
    ["src//", "src/", "folder"],
    ["./src/.", "src/", "folder"],
    [".", ".", "folder"],
    ["./", ".", "folder"],
    [".//.", ".", "folder"],
    ["e\u0301.ts", "\u00E9.ts", "exact"],
    ["...", "...", "exact"],
    ["a/~b", "a/~b", "exact"],
    [".gitignore", ".gitignore", "exact"],
    [".github/workflows/ci.yml", ".github/workflows/ci.yml", "exact"],
    ["src/git", "src/git", "exact"],
    ["a]b}", "a]b}", "exact"],
    ["my file.ts", "my file.ts", "exact"],
    ["a".repeat(SCOPE_PATH_MAX_LENGTH), "a".repeat(SCOPE_PATH_MAX_LENGTH), "exact"],
    ["*.md", "*.md", "glob"],
    ["src/**/*.ts", "src/**/*.ts", "glob"],
    ["./src//**/**/*.ts", "src/**/*.ts", "glob"],
    ["src/*/", "src/*/**", "glob"],
    ["src/**/", "src/**", "glob"],
    ["**", "**", "glob"],
    ["a?c", "a?c", "glob"],
    ["[ab].ts", "[ab].ts", "glob"],
    ["[!a-c]x", "[!a-c]x", "glob"],
    ["app/[[]id]/page.tsx", "app/[[]id]/page.tsx", "glob"],
  ])("%j as %j (%s)", (input, path, kind) => {
    expect(normalizeScopePath(input)).toEqual({ ok: true, path, kind });
  });
});

describe("pathInScope", () => {
  it.each([
    ["src/app.ts", ["src/app.ts"], true],
    ["./src//app.ts", ["src/app.ts"], true],
    ["src/app.ts", ["./src/./app.ts"], true],
    ["src/a/b.ts", ["src/"], true],
    ["src/x.ts", ["src"], true],
    ["src/a/b/c.ts", ["src"], true],
    ["src2/x.ts", ["src"], false],
    ["srcfoo", ["src"], false],
    ["src2/x.ts", ["src/"], false],
    ["src", ["src/"], true],
    ["anything/at/all.txt", ["."], true],
    ["src/a.ts", ["src/**/*.ts"], true],
    ["src/a/b/c.ts", ["src/**/*.ts"], true],
    ["src/a/b/c.js", ["src/**/*.ts"], false],
    ["lib/a.ts", ["src/**/*.ts"], false],
    ["README.md", ["*.md"], true],
    ["docs/a.md", ["*.md"], false],
    ["src/.env", ["src/*"], true],
    ["src/a/b.ts", ["src/*"], false],
    ["src/a/b.ts", ["src/*/"], true],
    ["app/[id]/page.tsx", ["app/[[]id]/page.tsx"], true],
    ["app/i/page.tsx", ["app/[[]id]/page.tsx"], false],
    ["app/[id]/page.tsx", ["app/[id]/page.tsx"], false],
    ["e\u0301.ts", ["\u00E9.ts"], true],
    ["\u00E9.ts", ["e\u0301.ts"], true],
    ["Src/a.ts", ["src/"], false],
    ["src/a.ts", [], false],
    ["src/a.ts", ["/src/a.ts", "src\\a.ts", "src/../src/a.ts"], false],
    ["src/a.ts", ["/src", "src/"], true],
    // Invalid or non-file paths are in no scope.
    [".git/config", ["."], false],
    ["src/.git/config", ["src/"], false],
    ["../x", ["."], false],
    ["/etc/passwd", ["."], false],
    ["src/", ["."], false],
    [".", ["."], false],
    ["", ["."], false],
    ["a\u0000b", ["."], false],
  ])("%j in %j is %s", (file, scope, expected) => {
    expect(pathInScope(file, scope)).toBe(expected);
  });
});

describe("scopesOverlap", () => {
  it.each([
    ["src/", "src/a.ts", true],
    ["src", "src/a/b.ts", true],
    ["src/", "src/a/", true],
    ["src/", "src2/", false],
    ["src", "srcfoo", false],
    ["src/a.ts", "src/b.ts", false],
    [".", "anything", true],
    ["src/**/*.ts", "src/a.ts", true],
    ["src/**/*.ts", "lib/", false],
    ["src/**/*.ts", "src/", true],
    ["src/*.ts", "src/*.md", false],
    ["src/**/*.ts", "src/a/*.md", false],
    ["src/*.ts", "src/a/", false],
    ["src/*", "src/a/", true],
    ["*.ts", "src/", false],
    ["*.md", "README.md", true],
    ["*.md", "docs/README.md", false],
    ["**/test/**", "src/**", true],
    ["src/a/*.ts", "src/b/*.ts", false],
    ["src/*/x.ts", "src/a/", true],
    ["src/?.ts", "src/ab.ts", false],
    // An invalid entry overlaps everything: scheduling stays safe.
    ["/etc", "src/a.ts", true],
    ["src/[", "lib/", true],
  ])("%j and %j: %s", (a, b, expected) => {
    expect(scopesOverlap(a, b)).toBe(expected);
    expect(scopesOverlap(b, a)).toBe(expected);
  });
});

describe("findConflicts", () => {
  const task = (id: string, reads: string[], writes: string[]): ScopedTask => ({ id, reads, writes });

  it("names both tasks, both entries and the kind", () => {
    const a = task("a", ["docs/"], ["src/a.ts", "src/shared/"]);
    const b = task("b", ["src/shared/util.ts"], ["src/**/*.ts", "docs/guide.md"]);
    expect(findConflicts(a, b)).toEqual([
      { kind: "write-write", a: { taskId: "a", entry: "src/a.ts" }, b: { taskId: "b", entry: "src/**/*.ts" } },
      { kind: "write-write", a: { taskId: "a", entry: "src/shared/" }, b: { taskId: "b", entry: "src/**/*.ts" } },
      { kind: "write-read", a: { taskId: "a", entry: "src/shared/" }, b: { taskId: "b", entry: "src/shared/util.ts" } },
      { kind: "read-write", a: { taskId: "a", entry: "docs/" }, b: { taskId: "b", entry: "docs/guide.md" } },
    ]);
    for (const conflict of findConflicts(a, b)) expect(ScopeConflictSchema.parse(conflict)).toEqual(conflict);
  });

  it("lets disjoint writers and shared readers run together", () => {
    expect(findConflicts(task("a", ["docs/"], ["src/a.ts"]), task("b", ["docs/"], ["src/b.ts"]))).toEqual([]);
    expect(findConflicts(task("a", ["."], []), task("b", ["."], []))).toEqual([]);
    expect(findConflicts(task("a", [], ["src/*.ts"]), task("b", ["src/*.md"], ["lib/"]))).toEqual([]);
  });

  it("reports a reader of a written file from either side", () => {
    const writer = task("w", [], ["src/a.ts"]);
    const reader = task("r", ["src/"], []);
    expect(findConflicts(writer, reader).map((c) => c.kind)).toEqual(["write-read"]);
    expect(findConflicts(reader, writer).map((c) => c.kind)).toEqual(["read-write"]);
  });
});

describe("ScopePathSchema", () => {
  it("yields the normalized path", () => {
    expect(ScopePathSchema.parse("./src//app.ts")).toBe("src/app.ts");
    expect(ScopePathSchema.parse("./")).toBe(".");
    expect(z.array(ScopePathSchema).parse(["src/", "src/**/**/*.ts"])).toEqual(["src/", "src/**/*.ts"]);
  });

  it("refuses invalid paths with the message of normalizeScopePath", () => {
    const result = z.object({ writes: z.array(ScopePathSchema) }).safeParse({ writes: ["ok.ts", "/etc/passwd"] });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(["writes", 1]);
    expect(issue?.message).toContain('"/etc/passwd" is absolute');
    expect(issue?.message).toContain(ROOT_FIX);
    expect(ScopePathSchema.safeParse(42).success).toBe(false);
  });

  it("is representable as JSON Schema", () => {
    expect(z.toJSONSchema(ScopePathSchema)).toMatchObject({ type: "string" });
  });
});

// --- properties -------------------------------------------------------------

/** Path-like noise built from the pieces that the rules care about. */
const hostilePiece = fc.constantFrom(
  "a",
  "src",
  "/",
  "//",
  ".",
  "..",
  "./",
  "\\",
  "~",
  ":",
  "C:",
  "\u0000",
  "\n",
  "\u007F",
  "*",
  "**",
  "?",
  "[ab]",
  "[",
  "]",
  "[!a]",
  "{",
  "}",
  "e\u0301",
  "\u00E9",
  ".git",
  ".GIT",
  "git~1",
  " ",
  "\uD800",
  "\u200C",
  "\u0958",
);
const anyInput = fc.oneof(
  fc.array(hostilePiece, { maxLength: 10 }).map((pieces) => pieces.join("")),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
);

/** Segments from a small alphabet, so that files and entries collide often. */
const segment = fc.string({ unit: fc.constantFrom("a", "b", "s", ".", "2"), minLength: 1, maxLength: 3 }).filter((s) => s !== "." && s !== "..");
const segments = fc.array(segment, { minLength: 1, maxLength: 4 });
const file = segments.map((parts) => parts.join("/"));

const globSegment = fc
  .array(fc.constantFrom("a", "b", "s", ".", "*", "?", "[ab]", "[!a]"), { minLength: 1, maxLength: 3 })
  .map((tokens) => tokens.join(""))
  .filter((s) => !s.includes("**") && s !== "." && s !== "..");
const glob = fc.array(fc.oneof(globSegment, segment, fc.constant("**")), { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
const entry = fc.oneof(
  file,
  file.map((path) => `${path}/`),
  glob,
  fc.constant("."),
);

/** An entry built from a file so that it is sure to cover it: a prefix folder, or the file with wildcards. */
function generalize(parts: readonly string[], choices: readonly number[]): string {
  const choice = (index: number): number => choices[index % choices.length] ?? 0;
  if (choice(0) % 4 === 0) {
    const keep = 1 + (choice(1) % parts.length);
    return parts.slice(0, keep).join("/") + (choice(2) % 2 === 0 ? "/" : "");
  }
  const out: string[] = [];
  let i = 0;
  while (i < parts.length) {
    const part = parts[i] as string;
    const op = choice(3 + i) % 7;
    const char = part[0] as string;
    if (op === 0) {
      // `**` swallowing one or more whole segments
      out.push("**");
      i += 1 + (choice(20 + i) % (parts.length - i));
      continue;
    }
    if (op === 1) out.push("*");
    else if (op === 2) out.push(`?${part.slice(1)}`);
    else if (op === 3) out.push(`[${char}x]${part.slice(1)}`);
    else if (op === 4) out.push(`${char}*`);
    else if (op === 5) out.push(`[!z]${part.slice(1)}`);
    else out.push(part);
    i += 1;
  }
  return out.join("/");
}
const choices = fc.array(fc.nat(), { minLength: 1, maxLength: 30 });

describe("properties", () => {
  it("normalization is idempotent", () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const first = normalizeScopePath(input);
        if (first.ok) expect(normalizeScopePath(first.path)).toEqual(first);
      }),
      RUNS,
    );
  });

  it("a normalized path is clean", () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const result = normalizeScopePath(input);
        if (!result.ok) return;
        const names = result.path.split("/");
        expect(names).not.toContain("..");
        expect(result.path).not.toContain("//");
        expect(result.path).not.toContain("\\");
        expect(result.path).not.toMatch(/^[/~]/);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
        expect(result.path).not.toMatch(/[\u0000-\u001F\u007F]/);
        expect(names.some((name) => name.toLowerCase() === ".git")).toBe(false);
        expect(result.path).toBe(result.path.normalize("NFC"));
        expect(result.path.length).toBeLessThanOrEqual(SCOPE_PATH_MAX_LENGTH);
        expect(result.kind === "folder").toBe(result.path === "." || result.path.endsWith("/"));
      }),
      RUNS,
    );
  });

  it("an exact path is in its own scope", () => {
    fc.assert(
      fc.property(fc.oneof(file, anyInput), (path) => {
        const result = normalizeScopePath(path);
        if (!result.ok || result.kind !== "exact") return;
        expect(pathInScope(path, [path])).toBe(true);
        expect(pathInScope(result.path, [path])).toBe(true);
      }),
      RUNS,
    );
  });

  it("a folder covers all it holds", () => {
    fc.assert(
      fc.property(segments, segments, (folder, below) => {
        const descendant = [...folder, ...below].join("/");
        expect(pathInScope(descendant, [folder.join("/")])).toBe(true);
        expect(pathInScope(descendant, [`${folder.join("/")}/`])).toBe(true);
        expect(pathInScope(descendant, ["."])).toBe(true);
      }),
      RUNS,
    );
  });

  it("a name does not cover siblings that share its prefix", () => {
    fc.assert(
      fc.property(segments, segment, segments, (folder, suffix, below) => {
        const name = folder.join("/");
        const sibling = `${name}${suffix}`;
        for (const scope of [[name], [`${name}/`]]) {
          expect(pathInScope(sibling, scope)).toBe(false);
          expect(pathInScope([sibling, ...below].join("/"), scope)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it("overlap is symmetric", () => {
    fc.assert(
      fc.property(fc.oneof(entry, anyInput), fc.oneof(entry, anyInput), (a, b) => {
        expect(scopesOverlap(a, b)).toBe(scopesOverlap(b, a));
      }),
      RUNS,
    );
  });

  it("overlap is reflexive for valid entries", () => {
    fc.assert(
      fc.property(fc.oneof(entry, anyInput), (a) => {
        if (normalizeScopePath(a).ok) expect(scopesOverlap(a, a)).toBe(true);
      }),
      RUNS,
    );
  });

  it("literal entries overlap exactly when one is a segment prefix of the other", () => {
    fc.assert(
      fc.property(segments, segments, fc.boolean(), fc.boolean(), (a, b, aFolder, bFolder) => {
        const prefix = (x: readonly string[], y: readonly string[]): boolean => x.every((name, i) => y[i] === name);
        const expected = prefix(a, b) || prefix(b, a);
        expect(scopesOverlap(a.join("/") + (aFolder ? "/" : ""), b.join("/") + (bFolder ? "/" : ""))).toBe(expected);
      }),
      RUNS,
    );
  });

  it("never calls disjoint two entries that share a file (random entries)", () => {
    fc.assert(
      fc.property(file, entry, entry, (path, a, b) => {
        if (pathInScope(path, [a]) && pathInScope(path, [b])) expect(scopesOverlap(a, b)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it("never calls disjoint two entries that share a file (entries built around the file)", () => {
    fc.assert(
      fc.property(segments, choices, choices, (parts, first, second) => {
        const path = parts.join("/");
        const a = generalize(parts, first);
        const b = generalize(parts, second);
        expect(pathInScope(path, [a])).toBe(true);
        expect(pathInScope(path, [b])).toBe(true);
        expect(scopesOverlap(a, b)).toBe(true);
      }),
      RUNS,
    );
  });

  const task = fc.record({
    id: fc.constantFrom("a", "b", "c"),
    reads: fc.array(entry, { maxLength: 3 }),
    writes: fc.array(entry, { maxLength: 3 }),
  });
  const mirror = (conflict: ScopeConflict): ScopeConflict => ({
    kind: conflict.kind === "write-read" ? "read-write" : conflict.kind === "read-write" ? "write-read" : "write-write",
    a: conflict.b,
    b: conflict.a,
  });
  const key = (conflict: ScopeConflict): string => JSON.stringify(conflict);

  it("findConflicts is symmetric", () => {
    fc.assert(
      fc.property(task, task, (a, b) => {
        const forward = findConflicts(a, b);
        const backward = findConflicts(b, a);
        expect(forward.length === 0).toBe(backward.length === 0);
        expect(forward.map(mirror).map(key).sort()).toEqual(backward.map(key).sort());
      }),
      RUNS,
    );
  });

  it("findConflicts reports every overlapping write pair and nothing else", () => {
    fc.assert(
      fc.property(task, task, (a, b) => {
        const expected =
          a.writes.flatMap((w) => [...b.writes, ...b.reads].filter((x) => scopesOverlap(w, x))).length +
          a.reads.flatMap((r) => b.writes.filter((w) => scopesOverlap(r, w))).length;
        expect(findConflicts(a, b)).toHaveLength(expected);
      }),
      RUNS,
    );
  });

  it("read-only tasks never conflict", () => {
    fc.assert(
      fc.property(task, task, (a, b) => {
        expect(findConflicts({ ...a, writes: [] }, { ...b, writes: [] })).toEqual([]);
      }),
      RUNS,
    );
  });

  it("a task that writes what another reads always conflicts with it", () => {
    fc.assert(
      fc.property(task, task, entry, (a, b, shared) => {
        const conflicts = findConflicts({ ...a, writes: [...a.writes, shared] }, { ...b, reads: [...b.reads, shared] });
        expect(conflicts).toContainEqual({
          kind: "write-read",
          a: { taskId: a.id, entry: shared },
          b: { taskId: b.id, entry: shared },
        });
      }),
      RUNS,
    );
  });
});
