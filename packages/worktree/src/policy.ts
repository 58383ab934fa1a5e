/**
 * Which refs OMK may move. Structural rule first: OMK writes only its own
 * namespaces, `refs/heads/omk/...` (task and integration branches) and
 * `refs/omk/...` (kept attempts); every other ref is read-only, whatever the
 * configuration says. On top of that the base branch and the protected
 * branches are read-only even inside `omk/`, and are never pushed.
 */
import { normalizeScopePath, pathInScope } from "@omk/state";
import { type ProtectedRef, problem } from "./errors.js";

export type RefPolicy = {
  /** The goal's base branch (e.g. "main"): read-only. */
  readonly baseBranch?: string | undefined;
  /**
   * Branch names (or path-style patterns in the @omk/state glob dialect,
   * e.g. "release/**") that are read-only. A name also protects what lies
   * below it ("release" protects "release/1.0"). Default: main, master.
   */
  readonly protectedBranches?: readonly string[] | undefined;
};

const DEFAULT_PROTECTED_BRANCHES: readonly string[] = ["main", "master"];

const HEADS = "refs/heads/";
const OMK_BRANCHES = "refs/heads/omk/";
const OMK_REFS = "refs/omk/";

/** Why `branch` (a short name such as "main" or "omk/g/t") is protected, or undefined.
 * @public (a README example uses it)
 */
export function protectedBranchReason(branch: string, policy: RefPolicy = {}): string | undefined {
  if (policy.baseBranch !== undefined && branch === policy.baseBranch) return `"${branch}" is the base branch`;
  for (const entry of policy.protectedBranches ?? DEFAULT_PROTECTED_BRANCHES) {
    if (entry === branch) return `"${branch}" is a protected branch`;
    // Patterns use the shared path-scope dialect; an entry it cannot read protects nothing more than its exact name.
    if (normalizeScopePath(entry).ok && pathInScope(branch, [entry])) return `"${branch}" is protected by "${entry}"`;
  }
  return undefined;
}

/** Whether OMK may create, move or delete `ref` (a full ref name); a ProtectedRef value when not. */
export function checkWritableRef(ref: string, policy: RefPolicy = {}): ProtectedRef | undefined {
  if (ref.startsWith(OMK_REFS)) return undefined;
  if (!ref.startsWith(OMK_BRANCHES)) {
    return problem(
      "protected_branch",
      `refusing to write ${ref}: OMK only writes its own refs (refs/heads/omk/... and refs/omk/...); base and other branches are read-only`,
      "merge or push OMK's branch yourself, or open a pull request from it",
      { ref },
    );
  }
  const reason = protectedBranchReason(ref.slice(HEADS.length), policy);
  if (reason === undefined) return undefined;
  return problem("protected_branch", `refusing to write ${ref}: ${reason}`, "remove it from the protected branches or use another goal id", { ref });
}
