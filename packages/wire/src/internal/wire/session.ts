import { randomUUID } from "node:crypto";
import { EngineAuthRequiredError, EngineRequestError, EngineTimeoutError, ProtocolError, type WireError } from "../../errors.js";
import { isAuthFailure, withAgentDetail } from "../agent-error.js";
import { err, ok, type Result } from "@omk/core";
import type { EngineSpec } from "../../schemas/engine.js";
import { WIRE_VERSION } from "../../version.js";
import { BaseSession, type SessionContext } from "../base-session.js";
import { delay } from "../deadline.js";
import type { EngineProcess } from "../engine-process.js";
import { textOf } from "../engine-text.js";
import type { PromptOutcome, TurnState } from "../turn.js";
import { toolArgs, WireEventMapper } from "./events.js";

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => v !== null && typeof v === "object" && !Array.isArray(v);

type Pending = {
  method: string;
  resolve: (value: { ok: true; result: unknown } | { ok: false; code: number; message: string; data: unknown } | { closed: string }) => void;
};

/** The command line of `kimi --wire` for a session. */
export function wireArgs(spec: EngineSpec, root: string, sessionId: string): string[] {
  return [
    ...spec.args,
    "--wire",
    "--work-dir",
    root,
    "--session",
    sessionId,
    ...(spec.yolo ? ["--yolo"] : []),
    ...(spec.model === undefined ? [] : ["--model", spec.model]),
    ...(spec.maxStepsPerTurn === undefined ? [] : ["--max-steps-per-turn", String(spec.maxStepsPerTurn)]),
  ];
}

const AUTH_CODES = new Set([-32001, -32004]);

/**
 * A Kimi Wire session (the legacy `kimi --wire` protocol), written by OMK:
 * JSON-RPC over lines with string ids, events, approvals through the same
 * permission policy, cancel, max steps, usage from StatusUpdate (subagents
 * included). The engine never answers pending requests when it exits, so
 * they are settled here when its stdout ends.
 */
export class WireSession extends BaseSession {
  readonly protocol = "kimi-wire" as const;
  private readonly pending = new Map<string, Pending>();
  private readonly mapper: WireEventMapper;
  private closedReason: string | undefined;

  constructor(
    ctx: SessionContext,
    proc: EngineProcess,
    private readonly id: string,
  ) {
    super(ctx, proc);
    this.mapper = new WireEventMapper({
      emit: (e) => this.emit(e),
      judge: this.judge,
      recordWrite: (...a) => this.recordWrite(...a),
      recordScope: (...a) => this.recordScope(...a),
      noteRefusals: (text, cwd) => this.noteRefusals(text, cwd),
      recordCommand: (r) => this.recordCommand(r),
      usage: (delta, used, size) => {
        ctx.meter.addDelta(delta);
        this.emitUsage("wire_status_update", {
          delta,
          ...(used === undefined ? {} : { contextUsed: used }),
          ...(size === undefined ? {} : { contextSize: size }),
        });
      },
      turn: () => this.turn,
      root: ctx.root,
    });
    // Lines come through onStdoutLine; the byte stream itself is only drained.
    void proc.output.pipeTo(new WritableStream()).catch(() => {});
    void proc.closed.then(() => this.settleAll("the engine exited"));
  }

  get sessionId(): string {
    return this.id;
  }

  activity(): void {
    this.touch();
  }

  /** One stdout line (already split by the process layer). */
  line(bytes: Buffer, dropped: number): void {
    if (dropped > 0) {
      this.emit({
        type: "anomaly",
        kind: "oversized_message",
        detail: `a stdout line of ${bytes.length + dropped} bytes exceeds the ${this.ctx.spec.maxMessageBytes}-byte limit`,
      });
      this.closedReason = "oversized";
      void this.kill("oversized message");
      return;
    }
    const text = bytes.toString("utf8").trim();
    if (text === "") return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.emit({ type: "anomaly", kind: "unparsable_line", detail: `not a JSON-RPC line: ${this.ctx.redact(text.slice(0, 200))}` });
      return;
    }
    if (!isRec(message)) {
      this.emit({ type: "anomaly", kind: "invalid_message", detail: "a JSON line that is not an object" });
      return;
    }
    const method = message["method"];
    if (method === "event" && isRec(message["params"])) {
      const { type, payload } = message["params"];
      if (typeof type === "string") this.mapper.handle(type, isRec(payload) ? payload : {});
      return;
    }
    if (method === "request" && isRec(message["params"])) {
      this.onRequest(message["id"], message["params"]);
      return;
    }
    if (typeof method !== "string" && "id" in message) {
      const id = message["id"];
      const pending = typeof id === "string" ? this.pending.get(id) : undefined;
      if (pending === undefined) {
        this.emit({ type: "anomaly", kind: "unknown_response", detail: `response to unknown request id ${JSON.stringify(id)}` });
        return;
      }
      this.pending.delete(id as string);
      const error = message["error"];
      if (isRec(error))
        pending.resolve({
          ok: false,
          code: typeof error["code"] === "number" ? error["code"] : -32603,
          message: textOf(error["message"]),
          data: error["data"],
        });
      else pending.resolve({ ok: true, result: message["result"] });
      return;
    }
    this.emit({ type: "anomaly", kind: "invalid_message", detail: `unexpected message${typeof method === "string" ? ` "${method}"` : ""}` });
  }

  private writes: Promise<void> = Promise.resolve();

  /** Writes one compact JSON-RPC line; writes are queued so lines never interleave. */
  private write(message: Rec): void {
    const bytes = new TextEncoder().encode(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
    this.writes = this.writes.then(async () => {
      const writer = this.proc.input.getWriter();
      try {
        await writer.write(bytes);
      } catch {
        // the engine is gone: its exit settles the pending requests
      } finally {
        writer.releaseLock();
      }
    });
  }

  private request(
    method: string,
    params: Rec,
  ): Promise<{ ok: true; result: unknown } | { ok: false; code: number; message: string; data: unknown } | { closed: string }> {
    if (this.closedReason !== undefined) return Promise.resolve({ closed: this.closedReason });
    const id = randomUUID();
    return new Promise((resolve) => {
      this.pending.set(id, { method, resolve });
      this.write({ method, id, params });
    });
  }

  private settleAll(reason: string): void {
    this.closedReason ??= reason;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.resolve({ closed: this.closedReason });
    }
  }

  private onRequest(id: unknown, params: Rec): void {
    const type = params["type"];
    const payload = isRec(params["payload"]) ? params["payload"] : {};
    if (type === "ApprovalRequest") {
      const call = this.mapper.toolCall(textOf(payload["tool_call_id"]));
      const paths = new Set<string>();
      if (Array.isArray(payload["display"])) for (const d of payload["display"]) if (isRec(d) && typeof d["path"] === "string") paths.add(d["path"]);
      const argPath = call === undefined ? undefined : toolArgs(call.args)["path"];
      if (typeof argPath === "string") paths.add(argPath);
      const sender = typeof payload["sender"] === "string" ? payload["sender"] : call?.name;
      const base = {
        ...(call === undefined ? {} : { toolCallId: call.id }),
        ...(typeof payload["description"] === "string" ? { title: payload["description"] } : {}),
        ...(sender === undefined ? {} : { kind: sender }),
        paths: [...paths],
      };
      let response: "approve" | "reject";
      if (this.turn === undefined || this.turn.cancelling) {
        response = "reject";
        this.emit({ type: "permission", ...base, decision: "cancelled", reason: "the turn is being cancelled" });
      } else {
        const decision = this.ctx.policy(base, this.judge);
        response = decision.decision === "allow" ? "approve" : "reject";
        if (response === "reject") {
          for (const target of base.paths) {
            const verdict = this.judge(target, "write");
            if (!verdict.allowed) {
              this.recordScope("write", target, verdict.reason, true);
              break;
            }
          }
        }
        this.emit({ type: "permission", ...base, decision: decision.decision, optionId: response, reason: decision.reason });
      }
      this.write({
        id,
        result: { request_id: payload["id"] ?? id, response, ...(response === "reject" ? { feedback: "refused by OMK's scope policy" } : {}) },
      });
      return;
    }
    if (type === "ToolCallRequest") {
      this.write({
        id,
        result: {
          tool_call_id: payload["id"] ?? null,
          return_value: { is_error: true, output: "", message: "OMK registers no external tools", display: [], extras: null },
        },
      });
      return;
    }
    if (typeof type !== "string") this.emit({ type: "anomaly", kind: "invalid_message", detail: "a request whose type is not a string" });
    this.write({ id, error: { code: -32601, message: `OMK does not handle ${typeof type === "string" ? type : "untyped"} requests`, data: null } });
  }

  /** `initialize` (optional in Wire: an engine that does not know it is still usable). */
  async handshake(): Promise<Result<void, WireError>> {
    const { deadlines } = this.ctx;
    const answer = this.request("initialize", {
      protocol_version: "1.10",
      client: { name: "omk", version: WIRE_VERSION },
      external_tools: [],
      capabilities: { supports_question: false, supports_plan_mode: false },
      hooks: [],
    });
    const timer = delay(deadlines.handshakeMs);
    const first = await Promise.race([answer, timer.promise.then(() => "timeout" as const)]);
    timer.clear();
    if (first === "timeout") {
      this.emit({ type: "deadline", deadline: "handshake", ms: deadlines.handshakeMs, action: "kill" });
      await this.kill("initialize: timeout");
      return err(new EngineTimeoutError(this.engine, "handshake", deadlines.handshakeMs, "kill", "initialize"));
    }
    if ("closed" in first) return err(await this.crashError(`initialize: ${first.closed}`));
    if (!first.ok) {
      if (AUTH_CODES.has(first.code) || isAuthFailure(first.code, first.message, first.data))
        return err(
          new EngineAuthRequiredError(this.engine, this.ctx.spec.login, `initialize: ${withAgentDetail(first.message, first.data)}`, { agent: this.agent }),
        );
      if (first.code !== -32601)
        return err(new EngineRequestError(this.engine, "initialize", first.code, withAgentDetail(first.message, first.data), first.data));
      return ok(undefined);
    }
    const server = isRec(first.result) ? first.result["server"] : undefined;
    if (isRec(server))
      this.agent = {
        ...(typeof server["name"] === "string" ? { name: server["name"] } : {}),
        ...(typeof server["version"] === "string" ? { version: server["version"] } : {}),
      };
    return ok(undefined);
  }

  protected async sendPrompt(text: string, _turn: TurnState): Promise<PromptOutcome> {
    this.mapper.steps = 0;
    const answer = await this.request("prompt", { user_input: text });
    if ("closed" in answer) {
      if (answer.closed === "oversized")
        return { kind: "error", error: new ProtocolError(this.engine, `a message exceeded the ${this.ctx.spec.maxMessageBytes}-byte limit`), fatal: true };
      return { kind: "closed", detail: `prompt: ${answer.closed}` };
    }
    if (!answer.ok) {
      if (AUTH_CODES.has(answer.code) || isAuthFailure(answer.code, answer.message, answer.data))
        return {
          kind: "error",
          error: new EngineAuthRequiredError(this.engine, this.ctx.spec.login, `prompt: ${withAgentDetail(answer.message, answer.data)}`, {
            agent: this.agent,
          }),
          fatal: false,
        };
      return {
        kind: "error",
        error: new EngineRequestError(this.engine, "prompt", answer.code, withAgentDetail(answer.message, answer.data), answer.data),
        fatal: false,
      };
    }
    const result = isRec(answer.result) ? answer.result : {};
    const steps = typeof result["steps"] === "number" ? result["steps"] : this.mapper.steps;
    switch (result["status"]) {
      case "finished":
        return { kind: "stop", stopReason: "end_turn", steps };
      case "cancelled":
        return { kind: "stop", stopReason: "cancelled", steps };
      case "max_steps_reached":
        return { kind: "stop", stopReason: "max_turn_requests", steps };
      default:
        return {
          kind: "error",
          error: new ProtocolError(this.engine, `prompt answered with an unknown status ${JSON.stringify(result["status"])}`),
          fatal: false,
        };
    }
  }

  protected sendCancel(): void {
    void this.request("cancel", {});
  }

  protected shutdownProtocol(reason: string): void {
    this.settleAll(reason);
  }

  protected async stopAuxiliary(): Promise<void> {}

  protected override async goodbye(): Promise<void> {
    this.proc.endInput();
  }
}
