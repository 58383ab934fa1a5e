import path from "node:path";
import type { ScopeAccess } from "./scope.js";

/** A permission request, whatever the protocol (ACP request_permission, Wire ApprovalRequest). */
export type PermissionRequest = {
  toolCallId?: string;
  title?: string;
  /** ACP tool kind (`edit`, `execute`, ...) or Wire action name. */
  kind?: string;
  /** Paths the tool will touch, as the engine gave them. */
  paths: readonly string[];
};

export type PermissionDecision = { decision: "allow" | "reject"; reason: string };

/** What a policy can ask about a path: inside the root and allowed by the caller's scope? */
/** `real` is the absolute path with symlinks resolved; `rel` is relative to the root with `/` separators. */
export type PathJudge = (target: string, access: ScopeAccess) => { allowed: true; rel: string; real: string } | { allowed: false; reason: string };

export type PermissionPolicy = (request: PermissionRequest, judge: PathJudge) => PermissionDecision;

const READ_KINDS = new Set(["read", "search", "fetch", "think", "ReadFile", "Glob", "Grep", "SearchWeb", "FetchURL"]);

/**
 * The default policy: allow when every path the tool names is inside the
 * session root and the caller's scope (read access for read-like kinds, write
 * access for the rest); reject otherwise. A request naming no path is allowed:
 * the writes and commands it leads to still go through OMK's own handlers,
 * which check them again at the moment they happen.
 */
export const defaultPermissionPolicy: PermissionPolicy = (request, judge) => {
  const access: ScopeAccess = request.kind !== undefined && READ_KINDS.has(request.kind) ? "read" : "write";
  for (const target of request.paths) {
    const verdict = judge(target, access);
    if (!verdict.allowed) return { decision: "reject", reason: verdict.reason };
  }
  if (request.paths.length === 0) return { decision: "allow", reason: "no path named; file and command access is checked when it happens" };
  return { decision: "allow", reason: `${access} inside scope: ${request.paths.map((p) => path.basename(p)).join(", ")}` };
};
