/**
 * Write-scope checks. Which paths a write set covers is decided only by
 * @omk/state (pathInScope, normalizeScopePath: normalization, folders,
 * globs, `.git` in any spelling); this file adds what only git and the file
 * system know: renames delete their source, symlinks point somewhere,
 * submodules are other repositories, and a write can go through a symlink.
 *
 * - checkScope(capture or changes, task): after the fact, on captured
 *   changes. A symlink's destination is resolved component by component
 *   through the tree's other symlinks (those of the capture, and those the
 *   change adds), so `a -> .` plus `l -> a/a/../../x` is seen to leave.
 * - scopeChecker(task, worktreeRoot): before the fact, for the engine layer
 *   (@omk/sessions' task runner hands it over, and a write it refuses is
 *   never made).
 *   It resolves real paths, so a write through a symlink (or a symlinked
 *   folder) that leads out of the worktree, or into `.git`, is refused.
 */
import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import path from "node:path";
import { normalizeScopePath, pathInScope } from "@omk/state";
import { isInside, relativePosix } from "./internal/fs.js";
import { MAX_TREE_LINK_HOPS, resolveInTree } from "./internal/tree-links.js";
import type { Capture, ChangedFile, ChangeStatus, ScopeViolation, ScopeViolationKind } from "./schemas.js";

/** The part of a task the write check needs (a state Task fits). */
export type WriteScopedTask = { readonly id?: string; readonly writes: readonly string[] };

export type CheckScopeOptions = {
  /** Treat a submodule (gitlink) change like a file change instead of a violation. Default false. */
  readonly allowSubmodules?: boolean;
  /**
   * Every symlink of the captured tree (repository path to link text), as in
   * Capture.symlinks; taken from the capture when one is passed. Symlinks the
   * changes add or change are always known; without this, one that was in
   * the base commit already is taken for a folder.
   */
  readonly symlinks?: Readonly<Record<string, string>>;
};

function violation(kind: ScopeViolationKind, file: string, message: string, change: ChangeStatus | null, target: string | null = null): ScopeViolation {
  return { kind, path: file, message, change, target };
}

/** Why a concrete repository path is not writable under `writes`, or undefined when it is. */
function pathProblem(file: string, writes: readonly string[], change: ChangeStatus | null, verb: string): ScopeViolation | undefined {
  if (pathInScope(file, writes)) return undefined;
  const checked = normalizeScopePath(file);
  if (!checked.ok && checked.code === "git_dir") {
    return violation("git_dir", file, `${verb} ${JSON.stringify(file)} inside a .git folder: git's own files are never writable`, change);
  }
  if (!checked.ok && checked.code !== "invalid_glob") {
    return violation("invalid_path", file, `${verb} ${JSON.stringify(file)}, a path the scope rules refuse: ${checked.message}`, change);
  }
  return violation("outside_write_set", file, `${verb} ${JSON.stringify(file)}, which no entry of the write set covers`, change);
}

/** The tree's symlinks as the changes leave them: the given ones, then what the changes add, change and remove. */
function linksAfter(changes: readonly ChangedFile[], given: Readonly<Record<string, string>> | undefined): Map<string, string> {
  const links = new Map(Object.entries(given ?? {}));
  for (const change of changes) {
    if (change.status === "R" && change.oldPath !== null) links.delete(change.oldPath);
    if (change.kind === "symlink" && change.status !== "D" && change.symlinkTarget !== null) links.set(change.path, change.symlinkTarget);
    else links.delete(change.path);
  }
  return links;
}

function symlinkProblem(file: string, target: string, change: ChangeStatus, links: ReadonlyMap<string, string>): ScopeViolation | undefined {
  const destination = resolveInTree(file, target, links);
  if (!destination.ok) {
    const through = destination.via === file ? "" : ` (through the symlink ${JSON.stringify(destination.via)})`;
    const message =
      destination.reason === "loop"
        ? `symlink ${JSON.stringify(file)} points to ${JSON.stringify(target)}, which does not resolve within ${MAX_TREE_LINK_HOPS} symlinks (a loop)${through}`
        : `symlink ${JSON.stringify(file)} points to ${JSON.stringify(target)}, outside the worktree${through}`;
    return violation("symlink_escape", file, message, change, target);
  }
  const checked = normalizeScopePath(destination.path === "." ? "./" : destination.path);
  if (!checked.ok && checked.code === "git_dir") {
    return violation("git_dir", file, `symlink ${JSON.stringify(file)} points into a .git folder (${JSON.stringify(target)})`, change, target);
  }
  return undefined;
}

/** Scope violations of captured changes against the task's write set, as values (empty: all in scope). */
export function checkScope(captured: readonly ChangedFile[] | Capture, task: WriteScopedTask, options: CheckScopeOptions = {}): ScopeViolation[] {
  const changes: readonly ChangedFile[] = "files" in captured ? captured.files : captured;
  const links = linksAfter(changes, options.symlinks ?? ("files" in captured ? captured.symlinks : undefined));
  const found: ScopeViolation[] = [];
  for (const entry of task.writes) {
    const checked = normalizeScopePath(entry);
    if (!checked.ok) found.push(violation("invalid_write_entry", entry, `write-set entry ${JSON.stringify(entry)} covers nothing: ${checked.message}`, null));
  }
  for (const change of changes) {
    const add = (problem: ScopeViolation | undefined) => {
      if (problem !== undefined) found.push(problem);
    };
    if (change.kind === "submodule" || change.oldKind === "submodule") {
      if (options.allowSubmodules !== true) {
        found.push(violation("submodule", change.path, `changes submodule ${JSON.stringify(change.path)} (a gitlink to another repository)`, change.status));
        continue;
      }
    }
    if (change.status === "R" && change.oldPath !== null) add(pathProblem(change.oldPath, task.writes, "R", "renames away"));
    const verb = change.status === "D" ? "deletes" : change.status === "A" || change.status === "C" ? "adds" : "changes";
    add(pathProblem(change.path, task.writes, change.status, verb));
    if (change.kind === "symlink" && change.status !== "D" && change.symlinkTarget !== null)
      add(symlinkProblem(change.path, change.symlinkTarget, change.status, links));
  }
  return found;
}

type ScopeDecision = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly violation: ScopeViolation };

/** What a write does to the last component: "write" follows a symlink there, "remove" acts on the link itself. */
type WriteOp = "write" | "remove";

export type ScopeCheck = (target: string, op?: WriteOp) => ScopeDecision;

const MAX_LINK_HOPS = 40;

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The real path of `p` even when its tail does not exist yet: the deepest existing ancestor resolved, the rest appended. */
function realOfMaybeMissing(p: string, hops = 0): string {
  const missing: string[] = [];
  let current = p;
  for (;;) {
    if (lexists(current)) {
      const rest = missing.reverse();
      try {
        return path.join(realpathSync(current), ...rest);
      } catch {
        // A dangling symlink (or a loop) on the way: resolve it by hand.
      }
      if (hops >= MAX_LINK_HOPS) return path.join(current, ...rest);
      const link = readlinkSync(current);
      return realOfMaybeMissing(path.join(path.resolve(path.dirname(current), link), ...rest), hops + 1);
    }
    const parent = path.dirname(current);
    if (parent === current) return path.join(current, ...missing.reverse());
    missing.push(path.basename(current));
    current = parent;
  }
}

/** Where a write to `abs` lands: symlinks followed all the way (dangling ones too). */
function resolveWrite(abs: string, op: WriteOp): string {
  let current = path.join(realOfMaybeMissing(path.dirname(abs)), path.basename(abs));
  if (op === "remove") return current;
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    let link: string;
    try {
      if (!lstatSync(current).isSymbolicLink()) return current;
      link = readlinkSync(current);
    } catch {
      return current;
    }
    const next = path.resolve(path.dirname(current), link);
    current = path.join(realOfMaybeMissing(path.dirname(next)), path.basename(next));
  }
  return current;
}

/**
 * A write check for the engine layer: the same rules as checkScope, applied
 * to a path before it is written (absolute, or relative to the worktree root).
 */
export function scopeChecker(task: WriteScopedTask, worktreeRoot: string): ScopeCheck {
  const given = path.resolve(worktreeRoot);
  const root = realpathSync(given);
  return (target, op = "write") => {
    let abs = path.isAbsolute(target) ? path.resolve(target) : path.resolve(root, target);
    if (!isInside(root, abs) && isInside(given, abs)) abs = path.join(root, path.relative(given, abs));
    if (!isInside(root, abs) || abs === root) {
      return {
        ok: false,
        violation: violation("escapes_worktree", target, `${JSON.stringify(target)} is not a file inside the task's worktree ${root}`, null),
      };
    }
    const rel = relativePosix(root, abs);
    const lexical = pathProblem(rel, task.writes, null, "writes");
    if (lexical?.kind === "git_dir") return { ok: false, violation: lexical };
    const real = resolveWrite(abs, op);
    if (!isInside(root, real) || real === root) {
      return {
        ok: false,
        violation: violation("symlink_escape", rel, `writing ${JSON.stringify(rel)} would go through a symlink to ${real}, outside the worktree`, null, real),
      };
    }
    const realRel = relativePosix(root, real);
    const through = realRel === rel ? undefined : pathProblem(realRel, task.writes, null, `writes (through a symlink at ${JSON.stringify(rel)})`);
    if (through?.kind === "git_dir") return { ok: false, violation: { ...through, target: realRel } };
    if (lexical !== undefined) return { ok: false, violation: lexical };
    if (through !== undefined) return { ok: false, violation: { ...through, target: realRel } };
    return { ok: true, path: rel };
  };
}
