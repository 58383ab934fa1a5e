import type { RequestPermissionRequest, RequestPermissionResponse } from "@agentclientprotocol/sdk";
import type { PermissionPolicy } from "../../policy.js";
import type { AcpHost } from "./host.js";

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => v !== null && typeof v === "object" && !Array.isArray(v);

/** Paths a tool call names: its locations and the paths of its diffs. */
function toolCallPaths(toolCall: unknown): string[] {
  if (!isRec(toolCall)) return [];
  const paths = new Set<string>();
  if (Array.isArray(toolCall["locations"])) for (const l of toolCall["locations"]) if (isRec(l) && typeof l["path"] === "string") paths.add(l["path"]);
  if (Array.isArray(toolCall["content"]))
    for (const c of toolCall["content"]) if (isRec(c) && c["type"] === "diff" && typeof c["path"] === "string") paths.add(c["path"]);
  return [...paths];
}

/**
 * Answers session/request_permission through the policy and records the
 * decision. Allowing picks `allow_once` (never "always", so every later
 * request is judged again); if the engine offers none, `reject_once`, else
 * "cancelled". Rejecting picks `reject_once`, else "cancelled". After a
 * cancel the answer is "cancelled", as ACP requires.
 */
export function choosePermission(host: AcpHost, params: RequestPermissionRequest, cancelling: boolean, policy: PermissionPolicy): RequestPermissionResponse {
  const toolCall = params.toolCall as unknown as Rec;
  const paths = toolCallPaths(toolCall);
  const base = {
    ...(typeof toolCall["toolCallId"] === "string" ? { toolCallId: toolCall["toolCallId"] } : {}),
    ...(typeof toolCall["title"] === "string" ? { title: toolCall["title"] } : {}),
    ...(typeof toolCall["kind"] === "string" ? { kind: toolCall["kind"] } : {}),
    paths,
  };
  if (cancelling) {
    host.emit({ type: "permission", ...base, decision: "cancelled", reason: "the turn is being cancelled" });
    return { outcome: { outcome: "cancelled" } };
  }
  const decision = policy(base, host.judge);
  const options = (Array.isArray(params.options) ? params.options : []).filter((o) => isRec(o) && typeof o.optionId === "string");
  const offered = (kind: string) => options.find((o) => o.kind === kind);
  if (decision.decision === "reject") {
    for (const target of paths) {
      const verdict = host.judge(target, "write");
      if (!verdict.allowed) {
        host.recordScope("write", target, verdict.reason, true);
        break;
      }
    }
  }
  // Only one-time options: an "always" answer would let later requests skip the policy.
  const once = offered(decision.decision === "allow" ? "allow_once" : "reject_once");
  if (once !== undefined) {
    host.emit({ type: "permission", ...base, decision: decision.decision, optionId: once.optionId, reason: decision.reason });
    return { outcome: { outcome: "selected", optionId: once.optionId } };
  }
  const rejectOnce = decision.decision === "allow" ? offered("reject_once") : undefined;
  if (rejectOnce !== undefined) {
    host.emit({
      type: "permission",
      ...base,
      decision: "reject",
      optionId: rejectOnce.optionId,
      reason: `${decision.reason}; but the engine offered no allow_once option (OMK never picks "always")`,
    });
    return { outcome: { outcome: "selected", optionId: rejectOnce.optionId } };
  }
  host.emit({
    type: "permission",
    ...base,
    decision: "cancelled",
    reason: `${decision.reason}; the engine offered no ${decision.decision}_once option${decision.decision === "allow" ? " and no reject_once" : ""} (OMK never picks "always")`,
  });
  return { outcome: { outcome: "cancelled" } };
}
