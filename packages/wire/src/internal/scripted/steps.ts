import { appendFileSync, existsSync, mkdirSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import * as acp from "@agentclientprotocol/sdk";
import type { ScenarioStep } from "../../schemas/scenario.js";

/** Token counts a turn reports, per channel. */
/** ACP's (unstable) prompt-response usage object. */
type PromptUsage = { inputTokens: number; outputTokens: number; cachedReadTokens: number; cachedWriteTokens: number; totalTokens: number };
type TurnUsage = { response?: PromptUsage; meta?: PromptUsage };

export type PlayContext = {
  client: acp.AgentContext;
  sessionId: string;
  cwd: string;
  /** Resolves when the client sends session/cancel for this turn. */
  cancelled: Promise<void>;
  isCancelled(): boolean;
  usage: TurnUsage;
  nextToolId(): string;
  /** Kimi session log lines of this turn: the file, and lines to write after the prompt response (ms after it). */
  kimiLog?: { file: string; late: Array<{ afterMs: number; line: string }> };
};

/** Kimi Code 2.x's log: $KIMI_CODE_HOME (else ~/.kimi-code)/sessions/<workspace>/<session>/agents/main/wire.jsonl. */
function kimiLogFile(ctx: Pick<PlayContext, "sessionId" | "cwd">): string {
  const kimiHome = process.env["KIMI_CODE_HOME"] || path.join(process.env["HOME"] ?? ctx.cwd, ".kimi-code");
  return path.join(kimiHome, "sessions", "wd_scripted", ctx.sessionId, "agents", "main", "wire.jsonl");
}

/** Ends a turn in the Kimi log (if the turn wrote to it): late records after the response, then `turn.ended` after the last of them. */
export function finishKimiLog(ctx: PlayContext): void {
  // A session that wrote to the log before marks the end of every turn, as Kimi Code does.
  const log = ctx.kimiLog ?? (existsSync(kimiLogFile(ctx)) ? { file: kimiLogFile(ctx), late: [] } : undefined);
  if (log === undefined) return;
  const ended = `${JSON.stringify({ type: "turn.ended", agentId: "main", turnId: 0, reason: "completed" })}\n`;
  const last = Math.max(-1, ...log.late.map((l) => l.afterMs));
  for (const l of log.late) setTimeout(() => appendFileSync(log.file, l.line), l.afterMs);
  if (last < 0) appendFileSync(log.file, ended);
  else setTimeout(() => appendFileSync(log.file, ended), last + 1);
}

/** Process-wide state of the scripted agent: a hung agent also ignores its stdin closing. */
export const agentState = { hung: false };

/** What a step asks of the turn. */
export type StepResult = "next" | { stop: acp.StopReason };

const raw = (fd: 1 | 2, text: string) => writeSync(fd, text);

function resolvePath(ctx: PlayContext, p: string): string {
  return path.isAbsolute(p) ? p : path.join(ctx.cwd, p);
}

function addUsage(into: PromptUsage | undefined, s: { inputUncached: number; cacheRead: number; cacheWrite: number; output: number }): PromptUsage {
  const base = into ?? { inputTokens: 0, outputTokens: 0, cachedReadTokens: 0, cachedWriteTokens: 0, totalTokens: 0 };
  const next = {
    inputTokens: base.inputTokens + s.inputUncached,
    outputTokens: base.outputTokens + s.output,
    cachedReadTokens: base.cachedReadTokens + s.cacheRead,
    cachedWriteTokens: base.cachedWriteTokens + s.cacheWrite,
    totalTokens: 0,
  };
  next.totalTokens = next.inputTokens + next.outputTokens + next.cachedReadTokens + next.cachedWriteTokens;
  return next;
}

const update = (ctx: PlayContext, u: Record<string, unknown>) =>
  ctx.client.notify<unknown>(acp.methods.client.session.update, { sessionId: ctx.sessionId, update: u });

/** Puts the session root back where a replayed update says `{{cwd}}`. */
function placeholderToRoot(value: unknown, cwd: string): unknown {
  if (typeof value === "string") return value.startsWith("{{cwd}}") ? `${cwd}${value.slice("{{cwd}}".length)}` : value;
  if (Array.isArray(value)) return value.map((v) => placeholderToRoot(v, cwd));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, placeholderToRoot(v, cwd)]));
  return value;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Plays one step; the turn goes on while it returns "next". */
export async function playStep(ctx: PlayContext, step: ScenarioStep): Promise<StepResult> {
  if ("message" in step) {
    await update(ctx, { sessionUpdate: "agent_message_chunk", content: { type: "text", text: step.message } });
  } else if ("thought" in step) {
    await update(ctx, { sessionUpdate: "agent_thought_chunk", content: { type: "text", text: step.thought } });
  } else if ("plan" in step) {
    await update(ctx, { sessionUpdate: "plan", entries: step.plan });
  } else if ("write" in step) {
    const target = resolvePath(ctx, step.write.path);
    const id = ctx.nextToolId();
    const diff = { type: "diff", path: target, oldText: null, newText: step.write.content };
    const announce = step.write.announce;
    if (announce)
      await update(ctx, {
        sessionUpdate: "tool_call",
        toolCallId: id,
        title: `Write ${step.write.path}`,
        kind: "edit",
        status: "in_progress",
        locations: [{ path: target }],
      });
    let failed = false;
    try {
      if (step.write.via === "fs") {
        await ctx.client.request(acp.methods.client.fs.writeTextFile, { sessionId: ctx.sessionId, path: target, content: step.write.content });
      } else {
        // The agent's own write: in a sandbox it may fail (EROFS, ENOENT); the tool call says so, as a real agent's would.
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, step.write.content);
      }
    } catch (error) {
      failed = true;
      if (announce)
        await update(ctx, {
          sessionUpdate: "tool_call_update",
          toolCallId: id,
          status: "failed",
          content: [{ type: "content", content: { type: "text", text: (error as Error).message } }],
        });
    }
    if (!failed && announce) await update(ctx, { sessionUpdate: "tool_call_update", toolCallId: id, status: "completed", content: [diff] });
  } else if ("read" in step) {
    const target = resolvePath(ctx, step.read.path);
    const id = ctx.nextToolId();
    const announce = step.read.announce;
    if (announce)
      await update(ctx, {
        sessionUpdate: "tool_call",
        toolCallId: id,
        title: `Read ${step.read.path}`,
        kind: "read",
        status: "in_progress",
        locations: [{ path: target }],
      });
    try {
      const { content } = await ctx.client.request(acp.methods.client.fs.readTextFile, { sessionId: ctx.sessionId, path: target });
      if (announce) await update(ctx, { sessionUpdate: "tool_call_update", toolCallId: id, status: "completed", rawOutput: { bytes: content.length } });
    } catch (error) {
      if (announce) await update(ctx, { sessionUpdate: "tool_call_update", toolCallId: id, status: "failed", rawOutput: { error: (error as Error).message } });
    }
  } else if ("command" in step) {
    return await runCommand(ctx, step.command);
  } else if ("permission" in step) {
    const id = ctx.nextToolId();
    const locations = step.permission.paths.map((p) => ({ path: resolvePath(ctx, p) }));
    const request: acp.RequestPermissionRequest = {
      sessionId: ctx.sessionId,
      toolCall: { toolCallId: id, title: step.permission.title, kind: step.permission.kind, status: "pending", locations },
      options: [
        { optionId: "allow", name: "Allow", kind: "allow_once" },
        { optionId: "always", name: "Always allow", kind: "allow_always" },
        { optionId: "reject", name: "Reject", kind: "reject_once" },
      ],
    };
    const answer = await ctx.client.request(acp.methods.client.session.requestPermission, request);
    if (answer.outcome.outcome === "cancelled") return { stop: "cancelled" };
    if (answer.outcome.optionId === "reject" && step.permission.onReject === "end_turn") return { stop: "end_turn" };
  } else if ("usage" in step) {
    const u = step.usage;
    if (u.via === "prompt_response") ctx.usage.response = addUsage(ctx.usage.response, u);
    else if (u.via === "meta") ctx.usage.meta = addUsage(ctx.usage.meta, u);
    else {
      const file = kimiLogFile(ctx);
      mkdirSync(path.dirname(file), { recursive: true });
      ctx.kimiLog ??= { file, late: [] };
      appendFileSync(file, `${JSON.stringify({ type: "llm.request", agentId: "main", model: "scripted" })}\n`);
      const usage = { inputOther: u.inputUncached, output: u.output, inputCacheRead: u.cacheRead, inputCacheCreation: u.cacheWrite };
      const line = `${JSON.stringify({ type: "usage.record", agentId: "main", model: "scripted", usage, usageScope: "turn" })}\n`;
      if (u.unrecorded) {
        // the call was logged, its usage never is
      } else if (u.lateMs !== undefined) ctx.kimiLog.late.push({ afterMs: u.lateMs, line });
      else appendFileSync(file, line);
    }
  } else if ("usage_update" in step) {
    const u = step.usage_update;
    await update(ctx, {
      sessionUpdate: "usage_update",
      used: u.used,
      size: u.size,
      ...(u.costUsd === undefined ? {} : { cost: { amount: u.costUsd, currency: "USD" } }),
    });
  } else if ("update" in step) {
    await update(ctx, placeholderToRoot(step.update, ctx.cwd) as Record<string, unknown>);
  } else if ("sleep" in step) {
    await Promise.race([sleep(step.sleep), ctx.cancelled]);
  } else if ("stderr" in step) {
    raw(2, `${step.stderr}\n`);
  } else if ("raw" in step) {
    raw(1, `${step.raw}\n`);
  } else if ("hang" in step) {
    if (step.hang === "honour_cancel") {
      await ctx.cancelled;
      return { stop: "cancelled" };
    }
    agentState.hung = true;
    await new Promise<never>(() => {});
  } else if ("crash" in step) {
    if (step.crash.stderr !== undefined) raw(2, `${step.crash.stderr}\n`);
    if (step.crash.midLine) raw(1, `{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"${ctx.sessionId}","upd`);
    process.exit(step.crash.exitCode);
  } else if ("garbage" in step) {
    raw(1, `${step.garbage}\n`);
  } else if ("oversized" in step) {
    await update(ctx, { sessionUpdate: "agent_message_chunk", content: { type: "text", text: "x".repeat(step.oversized.bytes) } });
  } else if ("unknownUpdate" in step) {
    await update(ctx, { sessionUpdate: step.unknownUpdate.kind, detail: "a kind from the future" });
  } else if ("exit" in step) {
    process.exit(step.exit);
  } else if ("fail" in step) {
    throw new acp.RequestError(step.fail.code, step.fail.message, step.fail.data);
  }
  return ctx.isCancelled() ? { stop: "cancelled" } : "next";
}

async function runCommand(ctx: PlayContext, c: Extract<ScenarioStep, { command: unknown }>["command"]): Promise<StepResult> {
  const id = ctx.nextToolId();
  const terminal = await ctx.client.createTerminal({
    sessionId: ctx.sessionId,
    command: c.command,
    ...(c.args === undefined ? {} : { args: c.args }),
    ...(c.cwd === undefined ? {} : { cwd: resolvePath(ctx, c.cwd) }),
    ...(c.env === undefined ? {} : { env: Object.entries(c.env).map(([name, value]) => ({ name, value })) }),
    ...(c.outputByteLimit === undefined ? {} : { outputByteLimit: c.outputByteLimit }),
  });
  if (c.announce)
    await update(ctx, {
      sessionUpdate: "tool_call",
      toolCallId: id,
      title: `Run ${c.command}`,
      kind: "execute",
      status: "in_progress",
      content: [{ type: "terminal", terminalId: terminal.id }],
    });
  const exited = terminal.waitForExit();
  const waits: Array<Promise<unknown>> = [exited, ctx.cancelled];
  if (c.killAfterMs !== undefined) waits.push(sleep(c.killAfterMs).then(() => terminal.kill()));
  await Promise.race(waits);
  if (ctx.isCancelled()) {
    void exited.catch(() => {});
    await terminal.release().catch(() => {});
    return { stop: "cancelled" };
  }
  const status = await exited;
  const output = await terminal.currentOutput();
  await terminal.release();
  if (c.announce)
    await update(ctx, {
      sessionUpdate: "tool_call_update",
      toolCallId: id,
      status: status.exitCode === 0 ? "completed" : "failed",
      rawOutput: { exitCode: status.exitCode ?? null, signal: status.signal ?? null, output: output.output, truncated: output.truncated },
    });
  return "next";
}
