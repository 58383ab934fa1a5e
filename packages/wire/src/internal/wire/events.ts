import type { ToolKind, WireEventInput } from "../../schemas/event.js";
import type { Usage } from "../../schemas/usage.js";
import { normalizeUsage } from "../../usage.js";
import { textOf } from "../engine-text.js";
import type { TurnState } from "../turn.js";

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => v !== null && typeof v === "object" && !Array.isArray(v);

/** Kimi tool names → ACP tool kinds. */
const TOOL_KINDS: Record<string, ToolKind> = {
  Shell: "execute",
  WriteFile: "edit",
  StrReplaceFile: "edit",
  ReadFile: "read",
  Glob: "search",
  Grep: "search",
  SearchWeb: "fetch",
  FetchURL: "fetch",
  Think: "think",
  Task: "other",
};

/** The ACP kind of a Kimi tool name (own keys only: "constructor" is not a tool). */
const toolKind = (name: string): ToolKind => (Object.hasOwn(TOOL_KINDS, name) ? (TOOL_KINDS[name] as ToolKind) : "other");

type ToolCall = { id: string; name: string; args: string; startedAt: number };

export type WireEventSink = {
  emit(event: WireEventInput): void;
  judge: import("../../policy.js").PathJudge;
  recordWrite(rel: string, absolute: string, bytes: number | undefined, via: "client" | "agent"): void;
  recordScope(access: "read" | "write" | "command", target: string, reason: string, enforced: boolean): void;
  recordCommand(run: import("../../schemas/event.js").CommandRun): void;
  /** Scope events for the writes the sandbox refused that `text` names (src/refusals.ts). */
  noteRefusals(text: string, cwd: string): void;
  usage(delta: Usage, contextUsed: number | undefined, contextSize: number | undefined): void;
  turn(): TurnState | undefined;
  root: string;
};

/** Arguments of a tool call, parsed when they are complete JSON. */
export function toolArgs(raw: string): Rec {
  try {
    const parsed = JSON.parse(raw) as unknown;
    return isRec(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** Turns Kimi Wire events into OMK events; tool calls are tracked to report writes and commands. */
export class WireEventMapper {
  private readonly calls = new Map<string, ToolCall>();
  private last: ToolCall | undefined;
  steps = 0;

  constructor(private readonly sink: WireEventSink) {}

  toolCall(id: string): ToolCall | undefined {
    return this.calls.get(id);
  }

  handle(type: string, payload: Rec): void {
    const sink = this.sink;
    switch (type) {
      case "TurnBegin":
      case "TurnEnd":
      case "StepInterrupted":
      case "StepRetry":
      case "ApprovalResponse":
      case "CompactionBegin":
      case "CompactionEnd":
      case "SteerInput":
      case "HookTriggered":
      case "HookResolved":
        return;
      case "StepBegin":
        if (typeof payload["n"] === "number") this.steps = payload["n"];
        return;
      case "ContentPart":
        if ((payload["type"] === "text" && typeof payload["text"] !== "string") || (payload["type"] === "think" && typeof payload["think"] !== "string"))
          sink.emit({ type: "anomaly", kind: "invalid_message", detail: `a ContentPart whose ${payload["type"]} is not a string` });
        else if (payload["type"] === "text" && typeof payload["text"] === "string") sink.emit({ type: "message", text: payload["text"] });
        else if (payload["type"] === "think" && typeof payload["think"] === "string") sink.emit({ type: "thought", text: payload["think"] });
        return;
      case "ToolCall": {
        const fn = isRec(payload["function"]) ? payload["function"] : {};
        if (typeof payload["id"] !== "string") sink.emit({ type: "anomaly", kind: "invalid_message", detail: "a ToolCall whose id is not a string" });
        const call: ToolCall = {
          id: textOf(payload["id"]),
          name: textOf(fn["name"]) || "unknown",
          args: typeof fn["arguments"] === "string" ? fn["arguments"] : "",
          startedAt: Date.now(),
        };
        this.calls.set(call.id, call);
        this.last = call;
        sink.emit({
          type: "tool_call_started",
          id: call.id,
          title: call.name,
          kind: toolKind(call.name),
          status: "in_progress",
          locations: this.locations(call),
        });
        return;
      }
      case "ToolCallPart":
        if (this.last !== undefined && typeof payload["arguments_part"] === "string") this.last.args += payload["arguments_part"];
        return;
      case "ToolResult":
        this.toolResult(payload);
        return;
      case "StatusUpdate":
        this.status(payload);
        return;
      case "SubagentEvent": {
        const inner = payload["event"];
        if (isRec(inner) && inner["type"] === "StatusUpdate" && isRec(inner["payload"])) this.status(inner["payload"]);
        return;
      }
      case "PlanDisplay":
        if (typeof payload["content"] === "string")
          sink.emit({ type: "plan", entries: [{ content: payload["content"], priority: "medium", status: "in_progress" }] });
        return;
      default:
        sink.emit({ type: "anomaly", kind: "unknown_event", detail: `Wire event of unknown type "${type}"` });
    }
  }

  private locations(call: ToolCall): Array<{ path: string }> {
    const p = toolArgs(call.args)["path"];
    return typeof p === "string" ? [{ path: p }] : [];
  }

  private status(payload: Rec): void {
    const delta = normalizeUsage(payload["token_usage"]);
    const used = typeof payload["context_tokens"] === "number" ? payload["context_tokens"] : undefined;
    const size = typeof payload["max_context_tokens"] === "number" ? payload["max_context_tokens"] : undefined;
    if (delta !== undefined) this.sink.usage(delta, used, size);
  }

  private toolResult(payload: Rec): void {
    const sink = this.sink;
    if (typeof payload["tool_call_id"] !== "string")
      sink.emit({ type: "anomaly", kind: "invalid_message", detail: "a ToolResult whose tool_call_id is not a string" });
    const toolCallId = textOf(payload["tool_call_id"]);
    const call = this.calls.get(toolCallId);
    const ret = isRec(payload["return_value"]) ? payload["return_value"] : {};
    const failed = ret["is_error"] === true;
    const id = call?.id ?? toolCallId;
    const kind = call === undefined ? "other" : toolKind(call.name);
    const locations = call === undefined ? [] : this.locations(call);
    sink.emit({
      type: "tool_call_finished",
      id,
      status: failed ? "failed" : "completed",
      kind,
      ...(call === undefined ? {} : { title: call.name }),
      locations,
    });
    if (call === undefined) return;
    // The engine's own tools run in its sandbox: a failed one (or a shell command) names what the sandbox refused.
    if (failed || call.name === "Shell")
      sink.noteRefusals([ret["output"], ret["message"], ret["brief"]].filter((t): t is string => typeof t === "string").join("\n"), sink.root);
    const args = toolArgs(call.args);
    if (call.name === "Shell" && typeof args["command"] === "string") {
      const output = typeof ret["output"] === "string" ? ret["output"] : "";
      sink.recordCommand({
        command: args["command"],
        args: [],
        cwd: sink.root,
        exitCode: failed ? null : 0,
        signal: null,
        durationMs: Date.now() - call.startedAt,
        outputBytes: Buffer.byteLength(output),
        truncated: false,
      });
    }
    if ((call.name === "WriteFile" || call.name === "StrReplaceFile") && !failed && typeof args["path"] === "string") {
      const verdict = sink.judge(args["path"], "write");
      if (!verdict.allowed) sink.recordScope("write", args["path"], verdict.reason, false);
      else sink.recordWrite(verdict.rel, verdict.real, undefined, "agent");
    }
  }
}
