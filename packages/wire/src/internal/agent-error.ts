/**
 * What an engine's own error answer says beyond its JSON-RPC message, and
 * whether it is an authentication failure in disguise.
 *
 * Qwen Code answers a prompt whose model call got a 401 with
 * `{code: -32603, message: "Internal error", data: {details: "401 Incorrect API key …"}}`:
 * the reason is only in `data.details`. Kimi Code and claude-agent-acp answer
 * -32000 (auth required) themselves; this maps the rest to the same error.
 */

/** JSON-RPC codes that are about the request itself (malformed, unknown method, bad params), never about a login. */
const REQUEST_SHAPE_CODES = new Set([-32700, -32600, -32601, -32602]);

/** A 401, an API key refused, unauthorized, authentication: the provider refused the credentials. */
const AUTH_FAILURE = /\b401\b|\bapi[ _-]?key\b|unauthori[sz]ed|authenticat/i;

const MAX_DETAIL = 300;

/** The agent's own detail in an error's `data`: `data.details`, `data.message`, `data.error`, or `data` when it is a string; one line, cut to 300 characters. */
function agentErrorDetail(data: unknown): string | undefined {
  let text: unknown;
  if (typeof data === "string") text = data;
  else if (typeof data === "object" && data !== null) {
    const rec = data as Record<string, unknown>;
    text = [rec["details"], rec["message"], rec["error"]].find((v) => typeof v === "string" && v.trim() !== "");
  }
  if (typeof text !== "string") return undefined;
  const line = text.replace(/\s+/g, " ").trim();
  if (line === "") return undefined;
  return line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL - 1)}…` : line;
}

/** The error's message with the agent's detail appended when it adds something. */
export function withAgentDetail(message: string, data: unknown): string {
  const detail = agentErrorDetail(data);
  if (detail === undefined || message.includes(detail)) return message;
  return `${message}: ${detail}`;
}

/** True when an error answer (not about the request's shape) says the provider refused the credentials. */
export function isAuthFailure(code: number, message: string, data: unknown): boolean {
  if (REQUEST_SHAPE_CODES.has(code)) return false;
  return AUTH_FAILURE.test(withAgentDetail(message, data));
}
