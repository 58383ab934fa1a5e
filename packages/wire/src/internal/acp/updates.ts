import type { PlanEntry, ToolKind, WireEventInput } from "../../schemas/event.js";
import { normalizeUsage } from "../../usage.js";
import { textOf } from "../engine-text.js";
import type { UsageMeter } from "../usage-meter.js";
import type { AcpHost } from "./host.js";

const TOOL_KINDS = new Set<string>(["read", "edit", "delete", "move", "search", "execute", "think", "fetch", "switch_mode", "other"]);
const STATUSES = new Set<string>(["pending", "in_progress", "completed", "failed"]);

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => v !== null && typeof v === "object" && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

type ToolState = { title: string; kind: ToolKind; locations: Array<{ path: string; line?: number }>; diffs: string[] };

export type UpdateSink = AcpHost & {
  meter: UsageMeter;
  emitUsage(
    source: "acp_usage_update" | "acp_meta" | "acp_prompt_response",
    extra?: { delta?: import("../../schemas/usage.js").Usage; contextUsed?: number; contextSize?: number },
  ): void;
  /** Was this path already written through OMK's fs handler in this turn? */
  wroteThisTurn(rel: string): boolean;
  /** The session root: the folder a tool call's relative paths are resolved against. */
  root: string;
  /** The model the engine reports it switched to (config option update). */
  modelChanged(model: string): void;
};

function locations(value: unknown): Array<{ path: string; line?: number }> {
  if (!Array.isArray(value)) return [];
  const out: Array<{ path: string; line?: number }> = [];
  for (const item of value) {
    if (!isRec(item) || typeof item["path"] !== "string") continue;
    const line = item["line"];
    out.push(typeof line === "number" && Number.isInteger(line) && line >= 0 ? { path: item["path"], line } : { path: item["path"] });
  }
  return out;
}

function diffPaths(content: unknown): string[] {
  if (!Array.isArray(content)) return [];
  return content.filter((c): c is Rec => isRec(c) && c["type"] === "diff" && typeof c["path"] === "string").map((c) => c["path"] as string);
}

/** The text of a tool call's result: its text content blocks, terminal-less, and a string or `{output|error|stderr}` raw output. */
function resultText(update: Rec): string {
  const parts: string[] = [];
  const content = update["content"];
  if (Array.isArray(content)) {
    for (const item of content) {
      if (!isRec(item) || item["type"] !== "content") continue;
      const block = item["content"];
      if (isRec(block) && block["type"] === "text" && typeof block["text"] === "string") parts.push(block["text"]);
    }
  }
  const raw = update["rawOutput"];
  if (typeof raw === "string") parts.push(raw);
  else if (isRec(raw)) for (const key of ["output", "error", "stderr", "stdout", "message"]) if (typeof raw[key] === "string") parts.push(raw[key] as string);
  return parts.join("\n");
}

function planEntries(value: unknown): PlanEntry[] {
  if (!Array.isArray(value)) return [];
  const out: PlanEntry[] = [];
  for (const e of value) {
    if (!isRec(e) || typeof e["content"] !== "string") continue;
    const priority = e["priority"] === "high" || e["priority"] === "low" ? e["priority"] : "medium";
    const status = e["status"] === "in_progress" || e["status"] === "completed" ? e["status"] : "pending";
    out.push({ content: e["content"], priority, status });
  }
  return out;
}

/** Turns ACP session/update notifications into OMK events, tracking tool calls. */
export class UpdateNormalizer {
  private readonly tools = new Map<string, ToolState>();

  constructor(private readonly sink: UpdateSink) {}

  handle(update: Rec): void {
    const kind = update["sessionUpdate"];
    const sink = this.sink;
    switch (kind) {
      case "agent_message_chunk":
      case "agent_thought_chunk": {
        const content = update["content"];
        const text = isRec(content) ? (content["type"] === "text" ? str(content["text"]) : `[${textOf(content["type"])}]`) : undefined;
        // Qwen Code reports each model call's usage as `_meta.usage` on an empty agent_message_chunk.
        const counted = this.metaUsage(update);
        if (text !== undefined && !(counted && text === "")) sink.emit({ type: kind === "agent_message_chunk" ? "message" : "thought", text });
        return;
      }
      case "tool_call": {
        const id = str(update["toolCallId"]) ?? "";
        const rawKind = str(update["kind"]);
        const state: ToolState = {
          title: str(update["title"]) ?? "",
          kind: (rawKind !== undefined && TOOL_KINDS.has(rawKind) ? rawKind : "other") as ToolKind,
          locations: locations(update["locations"]),
          diffs: diffPaths(update["content"]),
        };
        this.tools.set(id, state);
        const status = str(update["status"]) ?? "pending";
        sink.emit({
          type: "tool_call_started",
          id,
          title: state.title,
          kind: state.kind,
          status: (STATUSES.has(status) ? status : "pending") as "pending",
          locations: state.locations,
        });
        if (status === "failed" || (status === "completed" && state.kind === "execute")) sink.noteRefusals(resultText(update), sink.root);
        if (status === "completed" || status === "failed") this.finish(id, status, state);
        return;
      }
      case "tool_call_update": {
        const id = str(update["toolCallId"]) ?? "";
        const state = this.tools.get(id) ?? { title: "", kind: "other" as ToolKind, locations: [], diffs: [] };
        if (typeof update["title"] === "string") state.title = update["title"];
        const rawKind = str(update["kind"]);
        if (rawKind !== undefined && TOOL_KINDS.has(rawKind)) state.kind = rawKind as ToolKind;
        if (Array.isArray(update["locations"])) state.locations = locations(update["locations"]);
        const diffs = diffPaths(update["content"]);
        if (diffs.length > 0) state.diffs = diffs;
        this.tools.set(id, state);
        const status = str(update["status"]);
        // The engine's own tools run in its sandbox: a failed one (or a command it ran) names what the sandbox refused.
        if (status === "failed" || (status === "completed" && state.kind === "execute")) sink.noteRefusals(resultText(update), sink.root);
        if (status === "completed" || status === "failed") {
          this.finish(id, status, state);
          return;
        }
        const event: WireEventInput = { type: "tool_call_updated", id };
        if (typeof update["title"] === "string") event.title = state.title;
        if (rawKind !== undefined) event.kind = state.kind;
        if (status !== undefined && STATUSES.has(status)) event.status = status as "pending";
        if (Array.isArray(update["locations"])) event.locations = state.locations;
        sink.emit(event);
        return;
      }
      case "plan":
        sink.emit({ type: "plan", entries: planEntries(update["entries"]) });
        return;
      case "usage_update": {
        const cost = update["cost"];
        if (isRec(cost) && typeof cost["amount"] === "number" && textOf(cost["currency"]).toUpperCase() === "USD") sink.meter.setSessionCost(cost["amount"]);
        const meta = update["_meta"];
        let delta: import("../../schemas/usage.js").Usage | undefined;
        if (isRec(meta)) {
          delta = normalizeUsage(meta["usage"]);
          if (delta !== undefined) sink.meter.addDelta(delta);
        }
        sink.emitUsage("acp_usage_update", {
          ...(delta === undefined ? {} : { delta }),
          ...(typeof update["used"] === "number" ? { contextUsed: update["used"] } : {}),
          ...(typeof update["size"] === "number" ? { contextSize: update["size"] } : {}),
        });
        return;
      }
      case "config_option_update": {
        const options = update["configOptions"];
        if (Array.isArray(options)) {
          for (const option of options)
            if (isRec(option) && option["category"] === "model" && typeof option["currentValue"] === "string") sink.modelChanged(option["currentValue"]);
        }
        return;
      }
      default:
        // user_message_chunk, available_commands_update, current_mode_update, session_info_update,
        // notice, compaction_*: nothing OMK acts on.
        return;
    }
  }

  /**
   * Tokens of one model call in an update's `_meta.usage` (Qwen Code 0.24:
   * `{inputTokens, outputTokens, totalTokens, thoughtTokens?, cachedReadTokens?}`
   * per call, subagents' calls included), counted at once so a budget can stop
   * the turn mid-way. A turn total in the prompt response replaces these sums
   * (UsageMeter.setTotal), so nothing is counted twice.
   */
  private metaUsage(update: Rec): boolean {
    const meta = update["_meta"];
    if (!isRec(meta)) return false;
    const delta = normalizeUsage(meta["usage"]);
    if (delta === undefined) return false;
    if (this.sink.meter.hasTotal) return true;
    this.sink.meter.addDelta(delta);
    this.sink.emitUsage("acp_meta", { delta });
    return true;
  }

  /** A finished tool call; diffs of files the engine wrote itself are recorded (and judged after the fact). */
  private finish(id: string, status: "completed" | "failed", state: ToolState): void {
    this.sink.emit({ type: "tool_call_finished", id, status, title: state.title, kind: state.kind, locations: state.locations });
    if (status !== "completed") return;
    for (const target of state.diffs) {
      const verdict = this.sink.judge(target, "write");
      if (!verdict.allowed) {
        this.sink.recordScope("write", target, verdict.reason, false);
        continue;
      }
      if (!this.sink.wroteThisTurn(verdict.rel)) this.sink.recordWrite(verdict.rel, verdict.real, undefined, "agent");
    }
  }
}
