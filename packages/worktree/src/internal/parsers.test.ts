import { describe, expect, it } from "vitest";
import { parseMergeTreeConflict } from "./merge-tree.js";
import { parseStatus, parseWorktreeList } from "./porcelain.js";
import { parseRawDiff } from "./raw-diff.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const Z = "0".repeat(40);

describe("parseRawDiff", () => {
  it("reads adds, deletes, renames with scores, copies, type changes and odd file names", () => {
    const text = [
      `:000000 100644 ${Z} ${A} A`,
      "new file.txt",
      `:100644 000000 ${A} ${Z} D`,
      "gone\ttab.txt",
      `:100644 100755 ${A} ${B} R087`,
      "old name",
      "new name",
      `:100644 100644 ${A} ${A} C100`,
      "src.ts",
      "copy.ts",
      `:100644 120000 ${A} ${B} T`,
      "link",
      `:160000 160000 ${A} ${B} M`,
      "vendor/lib",
      "",
    ].join("\0");
    const files = parseRawDiff(text);
    expect(files.map((f) => [f.status, f.path, f.oldPath, f.similarity, f.kind, f.modeChanged])).toEqual([
      ["A", "new file.txt", null, null, "file", false],
      ["D", "gone\ttab.txt", null, null, "file", false],
      ["R", "new name", "old name", 87, "executable", true],
      ["C", "copy.ts", "src.ts", 100, "file", false],
      ["T", "link", null, null, "symlink", true],
      ["M", "vendor/lib", null, null, "submodule", false],
    ]);
    expect(files[0]).toMatchObject({ oldMode: null, oldSha: null, newSha: A });
    expect(files[1]).toMatchObject({ newMode: null, newSha: null, oldKind: "file" });
  });
});

describe("parseMergeTreeConflict", () => {
  it("collects conflicted names and CONFLICT messages, ignoring informational ones", () => {
    const tree = "c".repeat(40);
    const text = [
      tree,
      "f",
      "h",
      "",
      "1",
      "f",
      "Auto-merging",
      "Auto-merging f\n",
      "1",
      "f",
      "CONFLICT (contents)",
      "CONFLICT (content): Merge conflict in f\n",
      "2",
      "old",
      "renamed",
      "CONFLICT (rename/delete)",
      "CONFLICT (rename/delete): old renamed to renamed in t2, but deleted in t1.\n",
      "",
    ].join("\0");
    expect(parseMergeTreeConflict(text)).toEqual({
      files: ["f", "h", "old", "renamed"],
      messages: ["CONFLICT (content): Merge conflict in f", "CONFLICT (rename/delete): old renamed to renamed in t2, but deleted in t1."],
    });
  });
});

describe("porcelain parsers", () => {
  it("reads worktree entries with branches, detached heads, locks and prunable ones", () => {
    const text = [
      "worktree /repo",
      `HEAD ${A}`,
      "branch refs/heads/main",
      "",
      "worktree /wt/one",
      `HEAD ${B}`,
      "detached",
      "locked initializing",
      "",
      "worktree /wt/two",
      `HEAD ${B}`,
      "branch refs/heads/omk/g/t",
      "prunable gitdir file points to non-existent location",
      "",
      "",
    ].join("\0");
    expect(parseWorktreeList(text)).toEqual([
      { path: "/repo", head: A, branch: "refs/heads/main", bare: false, locked: false, lockReason: null, prunable: false },
      { path: "/wt/one", head: B, branch: null, bare: false, locked: true, lockReason: "initializing", prunable: false },
      { path: "/wt/two", head: B, branch: "refs/heads/omk/g/t", bare: false, locked: false, lockReason: null, prunable: true },
    ]);
  });

  it("reads status entries, renames with their source", () => {
    const text = [" M src/a.ts", "R  new.ts", "old.ts", "?? dir/", "A  with space.txt", ""].join("\0");
    expect(parseStatus(text)).toEqual([
      { path: "src/a.ts", status: " M", oldPath: null },
      { path: "new.ts", status: "R ", oldPath: "old.ts" },
      { path: "dir/", status: "??", oldPath: null },
      { path: "with space.txt", status: "A ", oldPath: null },
    ]);
  });
});
