import { z } from "zod";
import { CostSchema, TurnUsageSchema, UsageQualitySchema, UsageSchema, UsageSourceSchema } from "./usage.js";

/** ACP stop reasons; Kimi Wire's `max_steps_reached` maps to `max_turn_requests`. */
export const StopReasonSchema = z.enum(["end_turn", "max_tokens", "max_turn_requests", "refusal", "cancelled"]);
export type StopReason = z.infer<typeof StopReasonSchema>;

export const ToolKindSchema = z.enum(["read", "edit", "delete", "move", "search", "execute", "think", "fetch", "switch_mode", "other"]);
export type ToolKind = z.infer<typeof ToolKindSchema>;

const ToolStatusSchema = z.enum(["pending", "in_progress", "completed", "failed"]);

const LocationSchema = z.object({ path: z.string(), line: z.number().int().nonnegative().optional() });

export const PlanEntrySchema = z.object({
  content: z.string(),
  priority: z.enum(["high", "medium", "low"]),
  status: z.enum(["pending", "in_progress", "completed"]),
});
export type PlanEntry = z.infer<typeof PlanEntrySchema>;

/** One command run through OMK's terminal handler (or the engine's own shell, for Wire). */
export const CommandRunSchema = z.object({
  command: z.string(),
  args: z.array(z.string()),
  cwd: z.string(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  durationMs: z.number().nonnegative(),
  outputBytes: z.number().int().nonnegative(),
  truncated: z.boolean(),
  /** Why OMK killed it, when it did. */
  killedBy: z.enum(["agent", "release", "cancel", "close"]).optional(),
});
export type CommandRun = z.infer<typeof CommandRunSchema>;

const base = { at: z.string() };

/**
 * Normalized session events, whatever the engine's protocol. `at` is an ISO
 * timestamp. Paths are absolute unless the field says `rel`.
 */
export const WireEventSchema = z.discriminatedUnion("type", [
  z.object({
    ...base,
    type: z.literal("session_started"),
    engine: z.string(),
    pid: z.number().int().optional(),
    sessionId: z.string(),
    agentName: z.string().optional(),
    agentVersion: z.string().optional(),
    protocol: z.enum(["acp", "kimi-wire"]),
  }),
  z.object({ ...base, type: z.literal("turn_started"), turn: z.number().int().positive() }),
  z.object({
    ...base,
    type: z.literal("turn_finished"),
    turn: z.number().int().positive(),
    stopReason: StopReasonSchema.optional(),
    error: z.string().optional(),
  }),
  z.object({ ...base, type: z.literal("message"), text: z.string() }),
  z.object({ ...base, type: z.literal("thought"), text: z.string() }),
  z.object({
    ...base,
    type: z.literal("tool_call_started"),
    id: z.string(),
    title: z.string(),
    kind: ToolKindSchema,
    status: ToolStatusSchema,
    locations: z.array(LocationSchema),
  }),
  z.object({
    ...base,
    type: z.literal("tool_call_updated"),
    id: z.string(),
    title: z.string().optional(),
    kind: ToolKindSchema.optional(),
    status: ToolStatusSchema.optional(),
    locations: z.array(LocationSchema).optional(),
  }),
  z.object({
    ...base,
    type: z.literal("tool_call_finished"),
    id: z.string(),
    status: z.enum(["completed", "failed"]),
    title: z.string().optional(),
    kind: ToolKindSchema.optional(),
    locations: z.array(LocationSchema).optional(),
  }),
  z.object({
    ...base,
    type: z.literal("file_write"),
    path: z.string(),
    rel: z.string(),
    bytes: z.number().int().nonnegative().optional(),
    /** `client`: through OMK's fs handler (scope enforced); `agent`: the engine wrote it itself (seen in a tool call). */
    via: z.enum(["client", "agent"]),
  }),
  z.object({ ...base, type: z.literal("file_read"), path: z.string(), rel: z.string() }),
  z.object({
    ...base,
    type: z.literal("scope"),
    access: z.enum(["read", "write", "command"]),
    path: z.string(),
    allowed: z.literal(false),
    reason: z.string(),
    /** true: OMK refused it; false: the engine did it on its own and OMK only saw it afterwards. */
    enforced: z.boolean(),
    /** `sandbox`: the sandbox refused it, seen in a command's output or a failed tool call's result (src/refusals.ts). */
    source: z.literal("sandbox").optional(),
  }),
  z.object({ ...base, type: z.literal("command_run"), ...CommandRunSchema.shape }),
  z.object({ ...base, type: z.literal("plan"), entries: z.array(PlanEntrySchema) }),
  z.object({
    ...base,
    type: z.literal("usage"),
    source: UsageSourceSchema,
    /** Tokens this report adds, when it reports tokens. */
    delta: UsageSchema.optional(),
    /** The turn's tokens so far. */
    turnUsage: TurnUsageSchema,
    /** The turn's cost so far. */
    turnCost: CostSchema,
    contextUsed: z.number().optional(),
    contextSize: z.number().optional(),
  }),
  z.object({
    ...base,
    type: z.literal("permission"),
    toolCallId: z.string().optional(),
    title: z.string().optional(),
    kind: z.string().optional(),
    paths: z.array(z.string()),
    decision: z.enum(["allow", "reject", "cancelled"]),
    optionId: z.string().optional(),
    reason: z.string(),
  }),
  z.object({ ...base, type: z.literal("stderr"), line: z.string() }),
  z.object({
    ...base,
    type: z.literal("anomaly"),
    kind: z.enum([
      "unparsable_line",
      "unknown_update",
      "invalid_message",
      "unknown_response",
      "oversized_message",
      "unknown_event",
      "no_model_choice",
      "usage_log",
      "usage_missing",
    ]),
    detail: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal("deadline"),
    deadline: z.enum(["handshake", "request", "turn_inactivity", "turn_total", "close"]),
    ms: z.number(),
    action: z.enum(["cancel", "kill"]),
  }),
  z.object({ ...base, type: z.literal("session_closed"), exitCode: z.number().int().nullable(), signal: z.string().nullable(), killed: z.boolean() }),
]);
export type WireEvent = z.infer<typeof WireEventSchema>;
export type WireEventType = WireEvent["type"];
/** An event as handlers create it, before the session stamps `at`. */
type WithoutAt<E> = E extends unknown ? Omit<E, "at"> : never;
export type WireEventInput = WithoutAt<WireEvent>;

/** The result of one prompt turn. */
export const TurnResultSchema = z.object({
  turn: z.number().int().positive(),
  stopReason: StopReasonSchema,
  usage: TurnUsageSchema,
  usageQuality: UsageQualitySchema,
  cost: CostSchema,
  durationMs: z.number().nonnegative(),
  /** Paths relative to the session root, in first-write order. */
  filesWritten: z.array(z.string()),
  commandsRun: z.array(CommandRunSchema),
  /** Writes the engine tried outside the scope (refused when `enforced`). */
  scopeViolations: z.number().int().nonnegative(),
  /** Kimi Wire: steps taken in the turn. */
  steps: z.number().int().nonnegative().optional(),
});
export type TurnResult = z.infer<typeof TurnResultSchema>;
