import { z } from "zod";
import { IdSchema } from "../ids.js";
import { ScopePathSchema } from "../scope.js";
import { NonNegativeIntSchema, SCHEMA_VERSION, TimestampSchema } from "./common.js";

const TASK_STATUSES = ["pending", "ready", "running", "done", "failed", "blocked", "cancelled"] as const;
export const TaskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

export const TaskRoleSchema = z.enum(["implementer", "tester", "reviewer", "security-reviewer", "docs", "integrator"]);
export type TaskRole = z.infer<typeof TaskRoleSchema>;

/** A task's own caps; reserved from the goal's budget before dispatch. */
export const TaskBudgetSchema = z.object({
  timeMs: z.number().int().positive(),
  tokens: z.number().int().positive(),
  usd: z.number().positive().finite(),
});
export type TaskBudget = z.infer<typeof TaskBudgetSchema>;

export const LeaseSchema = z.object({
  worker: z.string().min(1),
  acquiredAt: TimestampSchema,
  expiresAt: TimestampSchema,
});
export type Lease = z.infer<typeof LeaseSchema>;

export const TaskSchema = z.object({
  id: IdSchema,
  title: z.string().min(1),
  description: z.string(),
  role: TaskRoleSchema,
  dependencies: z.array(IdSchema),
  reads: z.array(ScopePathSchema).describe("paths the task reads; a folder covers what it holds"),
  writes: z.array(ScopePathSchema).describe("paths the task may change; anything else is a scope violation"),
  acceptance: z.array(z.string().min(1)).describe("ids of the oracle criteria this task serves"),
  budget: TaskBudgetSchema,
  priority: z.number().int().default(0),
  retries: NonNegativeIntSchema.default(0),
  maxRetries: NonNegativeIntSchema.default(2),
  lease: LeaseSchema.nullable().default(null),
  status: TaskStatusSchema.default("pending"),
  evidence: z.array(z.string()).default([]).describe("paths of evidence files, relative to the goal dir"),
});
export type Task = z.infer<typeof TaskSchema>;

export const TaskGraphSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  tasks: z.array(TaskSchema),
});
export type TaskGraph = z.infer<typeof TaskGraphSchema>;
