import { z } from "zod";
import { PlanEntrySchema, StopReasonSchema, ToolKindSchema } from "./event.js";

const Tokens = z.number().int().nonnegative();

const UsageStepSchema = z.strictObject({
  inputUncached: Tokens.default(0),
  cacheRead: Tokens.default(0),
  cacheWrite: Tokens.default(0),
  output: Tokens.default(0),
  /**
   * How the agent reports it: on the prompt response's `usage` (ACP, unstable),
   * in the prompt response's `_meta.usage`, or as a Kimi Code `usage.record`
   * line (after an `llm.request` line) in
   * `${KIMI_CODE_HOME:-$HOME/.kimi-code}/sessions/wd_scripted/<session>/agents/main/wire.jsonl`,
   * where the turn's end is marked by a `turn.ended` line.
   * Reports of one turn add up.
   */
  via: z.enum(["prompt_response", "meta", "kimi_log"]).default("prompt_response"),
  /**
   * kimi_log only: write the record this many ms after the prompt response (as
   * Kimi Code sometimes does). The turn's `turn.ended` record follows the last
   * record of the turn, as in Kimi's log.
   */
  lateMs: z.number().int().nonnegative().optional(),
  /** kimi_log only: log the model call (`llm.request`) but no `usage.record` for it (a call cut short). */
  unrecorded: z.boolean().optional(),
});

/** One thing the scripted agent does during a turn. Each step is an object with exactly one key. */
export const ScenarioStepSchema = z.union([
  z.strictObject({ message: z.string().describe("agent_message_chunk text") }),
  z.strictObject({ thought: z.string().describe("agent_thought_chunk text") }),
  z.strictObject({ plan: z.array(PlanEntrySchema).describe("a plan update (replaces the whole plan)") }),
  z.strictObject({
    write: z.strictObject({
      path: z.string().describe("relative to the session cwd, or absolute"),
      content: z.string(),
      via: z.enum(["fs", "direct"]).default("fs").describe("fs: through the client's fs/write_text_file; direct: the agent writes the file itself"),
      announce: z.boolean().default(true).describe("send tool_call updates around it (replays carry their own)"),
    }),
  }),
  z.strictObject({ read: z.strictObject({ path: z.string(), announce: z.boolean().default(true) }) }),
  z.strictObject({
    command: z.strictObject({
      command: z.string(),
      args: z.array(z.string()).optional(),
      cwd: z.string().optional(),
      env: z.record(z.string(), z.string()).optional(),
      outputByteLimit: z.number().int().positive().optional(),
      killAfterMs: z.number().int().positive().optional().describe("terminal/kill the command after this long"),
      announce: z.boolean().default(true),
    }),
  }),
  z.strictObject({
    permission: z.strictObject({
      title: z.string(),
      kind: ToolKindSchema.default("edit"),
      paths: z.array(z.string()).default([]),
      onReject: z.enum(["continue", "end_turn"]).default("continue"),
    }),
  }),
  z.strictObject({ usage: UsageStepSchema }),
  z.strictObject({
    usage_update: z.strictObject({
      used: Tokens,
      size: Tokens,
      costUsd: z.number().nonnegative().optional().describe("cumulative session cost"),
    }),
  }),
  z.strictObject({
    update: z
      .record(z.string(), z.unknown())
      .describe("a raw session/update payload (its `sessionUpdate` kind and fields), sent as is; strings starting with {{cwd}} get the session root"),
  }),
  z.strictObject({ sleep: z.number().int().nonnegative().describe("milliseconds; a cancel ends it early") }),
  z.strictObject({ stderr: z.string().describe("a line on stderr") }),
  z.strictObject({ raw: z.string().describe("a line written to stdout as is (replay)") }),
  // faults
  z.strictObject({
    hang: z.enum(["honour_cancel", "ignore_cancel"]).describe("never answer the prompt; with honour_cancel, end `cancelled` on session/cancel"),
  }),
  z.strictObject({
    crash: z.strictObject({
      midLine: z.boolean().default(true).describe("write half a JSON-RPC line before exiting"),
      exitCode: z.number().int().min(0).max(255).default(3),
      stderr: z.string().optional(),
    }),
  }),
  z.strictObject({ garbage: z.string().describe("a line on stdout that is not JSON") }),
  z.strictObject({ oversized: z.strictObject({ bytes: z.number().int().positive() }).describe("one agent_message_chunk line of about this many bytes") }),
  z.strictObject({ unknownUpdate: z.strictObject({ kind: z.string() }).describe("a session/update of a kind no client knows") }),
  z.strictObject({ exit: z.number().int().min(0).max(255).describe("exit at once with this code") }),
  z.strictObject({
    fail: z
      .strictObject({ code: z.number().int(), message: z.string(), data: z.unknown().optional() })
      .describe("answer the prompt with this JSON-RPC error (e.g. Qwen Code's -32603 `Internal error` with the model server's 401 in `data.details`)"),
  }),
]);
export type ScenarioStep = z.infer<typeof ScenarioStepSchema>;

export const ScenarioTurnSchema = z.strictObject({
  /** Text the prompt must contain; a prompt that does not is answered with an error. */
  expect: z.string().optional(),
  steps: z.array(ScenarioStepSchema).default([]),
  stop: StopReasonSchema.default("end_turn"),
});
export type ScenarioTurn = z.infer<typeof ScenarioTurnSchema>;

/** A scripted session: what `omk-scripted-agent` plays, turn by turn. */
export const ScenarioSchema = z.strictObject({
  version: z.literal(1).default(1),
  name: z.string().optional(),
  agent: z
    .strictObject({ name: z.string().default("omk-scripted-agent"), version: z.string().default("1.0.0") })
    .default({ name: "omk-scripted-agent", version: "1.0.0" }),
  /** Fault: wait this long before reading anything (slow start). */
  startDelayMs: z.number().int().nonnegative().default(0),
  /** Fault: answer -32000 (authentication required) at session/new or at the first prompt. */
  auth: z.enum(["none", "session_new", "prompt"]).default("none"),
  /** Fault: ignore SIGTERM (so only SIGKILL ends it). */
  ignoreSigterm: z.boolean().default(false),
  /** Models offered: as a `model` config option, or the older `models` field with session/set_model. */
  models: z
    .strictObject({
      via: z.enum(["config_option", "legacy"]),
      /** Model ids, or `{id, name, description}` to offer a display name (and description) too. */
      available: z.array(z.union([z.string(), z.strictObject({ id: z.string(), name: z.string(), description: z.string().optional() })])).min(1),
      current: z.string(),
    })
    .optional(),
  turns: z.array(ScenarioTurnSchema).default([]),
});
export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
