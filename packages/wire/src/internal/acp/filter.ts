import type { AnyMessage, Stream } from "@agentclientprotocol/sdk";

/** session/update kinds the SDK's v1 schema knows; anything else would be dropped by it with a console line. */
const KNOWN_UPDATE_KINDS = new Set([
  "user_message_chunk",
  "agent_message_chunk",
  "agent_thought_chunk",
  "tool_call",
  "tool_call_update",
  "plan",
  "available_commands_update",
  "current_mode_update",
  "config_option_update",
  "session_info_update",
  "usage_update",
  "notice",
  "compaction_update",
  "compaction_summary_chunk",
]);

export type FilterHooks = {
  anomaly(kind: "unknown_update" | "invalid_message" | "unknown_response", detail: string): void;
  /** Unknown update kinds are still handed to OMK (not to the SDK). */
  unknownUpdate(params: Record<string, unknown>): void;
};

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Sits between ndJsonStream and the SDK connection. It keeps from the SDK what
 * the SDK would only drop while printing to the console (OMK's packages never
 * print): session/update notifications of kinds it does not know or that are
 * malformed, and responses to ids OMK never sent. Each becomes an anomaly.
 */
export function filterStream(inner: Stream, hooks: FilterHooks): Stream {
  const sent = new Set<string | number>();
  const readable = inner.readable.pipeThrough(
    new TransformStream<AnyMessage, AnyMessage>({
      transform(message, controller) {
        const m = message as Record<string, unknown>;
        const hasId = "id" in m;
        const method = m["method"];
        if (typeof method !== "string" && hasId) {
          const id = m["id"] as string | number | null;
          if (id === null || !sent.has(id)) {
            hooks.anomaly("unknown_response", `response to unknown request id ${JSON.stringify(id)}`);
            return;
          }
          sent.delete(id);
        }
        if (method === "session/update" && !hasId) {
          const params = m["params"];
          const update = isRecord(params) ? params["update"] : undefined;
          if (!isRecord(params) || typeof params["sessionId"] !== "string" || !isRecord(update) || typeof update["sessionUpdate"] !== "string") {
            hooks.anomaly("invalid_message", "session/update without sessionId or update.sessionUpdate");
            return;
          }
          if (!KNOWN_UPDATE_KINDS.has(update["sessionUpdate"])) {
            hooks.anomaly("unknown_update", `session/update of unknown kind "${update["sessionUpdate"]}"`);
            hooks.unknownUpdate(params);
            return;
          }
        }
        controller.enqueue(message);
      },
    }),
  );
  const writer = inner.writable.getWriter();
  const writable = new WritableStream<AnyMessage>({
    write(message) {
      const m = message as Record<string, unknown>;
      if (typeof m["method"] === "string" && "id" in m && (typeof m["id"] === "string" || typeof m["id"] === "number")) sent.add(m["id"]);
      return writer.write(message);
    },
    close() {
      return writer.close();
    },
    abort(reason) {
      return writer.abort(reason);
    },
  });
  return { readable, writable };
}
