import { Readable, Writable } from "node:stream";
import * as acp from "@agentclientprotocol/sdk";
import type { Scenario } from "../../schemas/scenario.js";
import { agentState, finishKimiLog, type PlayContext, playStep } from "./steps.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type SessionState = { cwd: string; model: string | undefined; cancel: (() => void) | undefined; cancelled: boolean };

/**
 * The scripted engine: an ACP agent (the SDK's agent side) that plays a
 * scenario over stdio, turn by turn, faults included.
 */
export async function runScriptedAgent(scenario: Scenario): Promise<void> {
  if (scenario.ignoreSigterm) process.on("SIGTERM", () => {});
  if (scenario.startDelayMs > 0) await sleep(scenario.startDelayMs);
  const sessions = new Map<string, SessionState>();
  let prompts = 0;
  let nextSession = 1;
  let toolIds = 1;
  const models = scenario.models;
  const offered = (models?.available ?? []).map((m) => (typeof m === "string" ? { id: m, name: m } : m));
  const ids = offered.map((m) => m.id);

  const configOptions = (current: string | undefined) =>
    models?.via === "config_option"
      ? [
          {
            id: "model",
            name: "Model",
            category: "model",
            type: "select",
            currentValue: current ?? models.current,
            options: offered.map((m) => ({ value: m.id, name: m.name, ...(m.description === undefined ? {} : { description: m.description }) })),
          },
        ]
      : undefined;

  const app = acp
    .agent({ name: scenario.agent.name })
    .onRequest(acp.methods.agent.initialize, () => ({
      protocolVersion: acp.PROTOCOL_VERSION,
      agentCapabilities: { loadSession: false },
      authMethods: scenario.auth === "none" ? [] : [{ id: "scripted-login", name: "scripted login" }],
      agentInfo: { name: scenario.agent.name, version: scenario.agent.version },
    }))
    .onRequest(acp.methods.agent.authenticate, () => {
      throw acp.RequestError.authRequired(undefined, "the scripted engine cannot log in");
    })
    .onRequest(acp.methods.agent.session.new, ({ params }) => {
      if (scenario.auth === "session_new") throw acp.RequestError.authRequired(undefined, "log in first");
      const sessionId = `scripted-${process.pid}-${nextSession++}`;
      sessions.set(sessionId, { cwd: params.cwd, model: models?.current, cancel: undefined, cancelled: false });
      const options = configOptions(models?.current);
      return {
        sessionId,
        ...(options === undefined ? {} : { configOptions: options as acp.SessionConfigOption[] }),
        ...(models?.via === "legacy"
          ? {
              models: {
                currentModelId: models.current,
                availableModels: offered.map((m) => ({ modelId: m.id, name: m.name, ...(m.description === undefined ? {} : { description: m.description }) })),
              },
            }
          : {}),
      } as acp.NewSessionResponse;
    })
    .onRequest(acp.methods.agent.session.setConfigOption, ({ params }) => {
      const session = sessions.get(params.sessionId);
      if (session === undefined) throw acp.RequestError.resourceNotFound(params.sessionId);
      if (params.configId !== "model" || models?.via !== "config_option")
        throw acp.RequestError.invalidParams(undefined, `unknown config option ${params.configId}`);
      if (typeof params.value !== "string" || !ids.includes(params.value))
        throw acp.RequestError.invalidParams(undefined, `unknown model ${String(params.value)}`);
      session.model = params.value;
      return { configOptions: configOptions(session.model) as acp.SessionConfigOption[] };
    })
    .onRequest<{ sessionId: string; modelId: string }, Record<string, never>>(
      "session/set_model",
      (raw) => raw as { sessionId: string; modelId: string },
      ({ params }) => {
        const session = sessions.get(params.sessionId);
        if (session === undefined) throw acp.RequestError.resourceNotFound(params.sessionId);
        if (models?.via !== "legacy" || !ids.includes(params.modelId)) throw acp.RequestError.invalidParams(undefined, `unknown model ${params.modelId}`);
        session.model = params.modelId;
        return {};
      },
    )
    .onNotification(acp.methods.agent.session.cancel, ({ params }) => {
      const session = sessions.get(params.sessionId);
      if (session === undefined) return;
      session.cancelled = true;
      session.cancel?.();
    })
    .onRequest(acp.methods.agent.session.prompt, async ({ params, client }) => {
      const session = sessions.get(params.sessionId);
      if (session === undefined) throw acp.RequestError.resourceNotFound(params.sessionId);
      const index = prompts++;
      if (scenario.auth === "prompt" && index === 0) throw acp.RequestError.authRequired(undefined, "log in first");
      const turn = scenario.turns[index];
      if (turn === undefined) return { stopReason: "end_turn" };
      const text = params.prompt.map((b) => (b.type === "text" ? b.text : "")).join("");
      if (turn.expect !== undefined && !text.includes(turn.expect))
        throw acp.RequestError.invalidParams(undefined, `scenario turn ${index + 1} expects a prompt containing "${turn.expect}"`);
      session.cancelled = false;
      const cancelled = new Promise<void>((resolve) => {
        session.cancel = resolve;
      });
      const ctx: PlayContext = {
        client,
        sessionId: params.sessionId,
        cwd: session.cwd,
        cancelled,
        isCancelled: () => session.cancelled,
        usage: {},
        nextToolId: () => `tool-${toolIds++}`,
      };
      let stopReason: acp.StopReason = turn.stop;
      for (const step of turn.steps) {
        if (session.cancelled) {
          stopReason = "cancelled";
          break;
        }
        const result = await playStep(ctx, step);
        if (result !== "next") {
          stopReason = result.stop;
          break;
        }
      }
      if (session.cancelled) stopReason = "cancelled";
      session.cancel = undefined;
      finishKimiLog(ctx);
      return {
        stopReason,
        ...(ctx.usage.response === undefined ? {} : { usage: ctx.usage.response }),
        ...(ctx.usage.meta === undefined ? {} : { _meta: { usage: ctx.usage.meta } }),
      } as acp.PromptResponse;
    });

  const stream = acp.ndJsonStream(Writable.toWeb(process.stdout) as WritableStream<Uint8Array>, Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>);
  const connection = app.connect(stream);
  await connection.closed;
  // A hung agent does not notice its client leaving: only a signal ends it.
  if (agentState.hung) await new Promise<never>(() => setInterval(() => {}, 60_000));
}
