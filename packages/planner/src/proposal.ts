/**
 * Follow-up proposals: tasks an agent asks to add to the running graph.
 * Validated like a graph, against the current graph: new ids, dependencies
 * on tasks that are accepted (pending, ready, running) or done, no cycle,
 * acceptance and budget (> 0, under the policy's cap), safe paths,
 * conflicts with unfinished tasks only inside the dependency closure, and
 * nothing the policy forbids (publishing, force-pushing, rewriting history,
 * writing gate or CI configuration). An accepted proposal becomes one
 * `task_graph_mutated` event.
 */
import { IdSchema, type NewEvent, scopesOverlap, type Task, type TaskBudget, TaskBudgetSchema, type TaskGraph, type TaskStatus } from "@omk/state";
import { type Result, err, ok } from "@omk/core";
import { z } from "zod";
import { pairs } from "./graph.js";
import { acceptanceIssues, cycleIssue, dependencyClosure, findCycles, type GraphIssue, issue, parseTasks, unorderedConflicts } from "./internal/graph-rules.js";

const ProposalSchema = z.object({
  proposedBy: IdSchema.describe("the task whose agent proposes the follow-up"),
  reason: z.string().min(1),
  tasks: z.array(z.unknown()).min(1),
});

const ForbiddenActionSchema = z.object({
  id: z.string().min(1),
  pattern: z.string().min(1).describe("a case-insensitive regular expression"),
  reason: z.string().min(1),
});

const PlanPolicySchema = z.object({
  forbiddenActions: z.array(ForbiddenActionSchema),
  protectedPaths: z.array(z.string().min(1)).describe("paths no follow-up task may write"),
  maxTasksPerProposal: z.number().int().positive(),
  maxTaskBudget: TaskBudgetSchema.nullable(),
});
export type PlanPolicy = z.infer<typeof PlanPolicySchema>;

export const DEFAULT_POLICY: PlanPolicy = {
  forbiddenActions: [
    {
      id: "publish",
      pattern:
        "\\b(?:npm|pnpm|yarn|bun|cargo|gem|poetry|changeset)\\s+publish\\b|\\btwine\\s+upload\\b|\\bgh\\s+release\\s+create\\b|\\bdocker\\s+push\\b|\\bpublish(?:es|ing)?\\s+(?:the\\s+|a\\s+|new\\s+)?(?:package|release|crate|version|to\\s+(?:npm|pypi|crates))",
      reason: "publishing is done by a person or the release job, never by a task",
    },
    {
      id: "force-push",
      pattern: "\\bpush\\b[^\\n]*\\s(?:--force(?:-with-lease)?|-f)\\b|\\bforce[- ]push",
      reason: "force-pushing can destroy work on shared branches",
    },
    {
      id: "history-rewrite",
      pattern: "\\bgit\\s+(?:filter-branch|filter-repo)\\b|\\bgit\\s+reset\\s+--hard\\s+origin\\b|\\brewrite\\s+(?:the\\s+)?(?:git\\s+)?history\\b",
      reason: "history of shared branches is never rewritten",
    },
    {
      id: "delete-branch",
      pattern: "\\bgit\\s+push\\s+\\S+\\s+(?:--delete|:)\\S*|\\bgit\\s+branch\\s+-D\\s+(?:main|master)\\b",
      reason: "branches are deleted by the integrator under explicit policy only",
    },
    { id: "deploy", pattern: "\\bdeploy(?:s|ing)?\\s+(?:it\\s+|this\\s+)?to\\s+prod(?:uction)?\\b", reason: "deploying is outside a goal's tasks" },
  ],
  protectedPaths: [".omk/", ".github/workflows/", ".ci/"],
  maxTasksPerProposal: 5,
  maxTaskBudget: null,
};

/** Statuses of tasks a follow-up may depend on. */
const ACCEPTABLE: ReadonlySet<TaskStatus> = new Set(["pending", "ready", "running", "done"]);
/** Statuses of tasks that can still run at the same time as a new one. */
const UNFINISHED: ReadonlySet<TaskStatus> = new Set(["pending", "ready", "running"]);

export type ProposalOptions = {
  /** The oracle's criterion ids; acceptance must name them. */
  readonly criteria?: readonly string[];
  readonly policy?: PlanPolicy;
  readonly actor?: string;
};

export type AcceptedProposal = { readonly tasks: Task[]; readonly event: NewEvent };

function overCap(budget: TaskBudget, cap: TaskBudget): string[] {
  return (["timeMs", "tokens", "usd"] as const).filter((k) => budget[k] > cap[k]).map((k) => `${k} ${budget[k]} > ${cap[k]}`);
}

export function validateProposal(graph: TaskGraph, input: unknown, options: ProposalOptions = {}): Result<AcceptedProposal, GraphIssue[]> {
  const policy = options.policy ?? DEFAULT_POLICY;
  const envelope = ProposalSchema.safeParse(input);
  if (!envelope.success) {
    return err(envelope.error.issues.map((i) => issue("schema", `proposal: ${i.path.join(".") || "(root)"}: ${i.message}`, [])));
  }
  const proposal = envelope.data;
  const issues: GraphIssue[] = [];
  const existing = new Map(graph.tasks.map((t) => [t.id, t]));
  if (!existing.has(proposal.proposedBy)) {
    issues.push(issue("unknown_proposer", `the proposing task "${proposal.proposedBy}" is not in the graph`, [proposal.proposedBy]));
  }
  if (proposal.tasks.length > policy.maxTasksPerProposal) {
    issues.push(issue("too_many_tasks", `the proposal adds ${proposal.tasks.length} tasks; the policy allows ${policy.maxTasksPerProposal} per proposal`, []));
  }
  const { tasks, ids, issues: parseIssues } = parseTasks(proposal.tasks);
  issues.push(...parseIssues);
  const proposed = new Set<string>();
  for (const id of ids) {
    if (existing.has(id)) issues.push(issue("id_taken", `task id "${id}" is already in the graph`, [id]));
    else if (proposed.has(id)) issues.push(issue("duplicate_id", `task id "${id}" is proposed more than once`, [id]));
    proposed.add(id);
  }
  for (const task of tasks) {
    for (const dep of task.dependencies) {
      const target = existing.get(dep);
      if (dep === task.id) issues.push(issue("self_dependency", `task "${task.id}" depends on itself`, [task.id]));
      else if (target !== undefined && !ACCEPTABLE.has(target.status)) {
        issues.push(
          issue("dependency_not_accepted", `task "${task.id}" depends on "${dep}", which is ${target.status}; depend on accepted or done tasks`, [
            task.id,
            dep,
          ]),
        );
      } else if (target === undefined && !proposed.has(dep)) {
        issues.push(issue("unknown_dependency", `task "${task.id}" depends on "${dep}", which is neither in the graph nor proposed`, [task.id, dep]));
      }
    }
    if (policy.maxTaskBudget !== null) {
      const over = overCap(task.budget, policy.maxTaskBudget);
      if (over.length > 0) issues.push(issue("budget_over_cap", `task "${task.id}" asks for more than a task may have: ${over.join(", ")}`, [task.id]));
    }
    for (const action of policy.forbiddenActions) {
      const found = new RegExp(action.pattern, "iu").exec(`${task.title}\n${task.description}`);
      if (found !== null) issues.push(issue("forbidden_action", `task "${task.id}" asks to "${found[0].trim()}" (${action.id}): ${action.reason}`, [task.id]));
    }
    for (const write of task.writes) {
      const guarded = policy.protectedPaths.filter((p) => scopesOverlap(write, p));
      if (guarded.length > 0) {
        issues.push(
          issue(
            "protected_path",
            `task "${task.id}" writes "${write}", which covers the protected ${guarded.map((g) => `"${g}"`).join(", ")} (gate and CI configuration)`,
            [task.id],
            [write, ...guarded],
          ),
        );
      }
    }
  }
  const newDeps = new Map(tasks.map((t) => [t.id, t.dependencies.filter((d) => d !== t.id)]));
  issues.push(...findCycles(newDeps).map(cycleIssue));
  issues.push(...acceptanceIssues(tasks, options.criteria, false));
  const closure = dependencyClosure(new Map([...graph.tasks.map((t): [string, string[]] => [t.id, t.dependencies]), ...newDeps]));
  const unfinished = graph.tasks.filter((t) => UNFINISHED.has(t.status));
  const unique = tasks.filter((t, i) => tasks.findIndex((o) => o.id === t.id) === i && !existing.has(t.id));
  const checked: Array<[Task, Task]> = [...pairs(unique), ...unique.flatMap((t) => unfinished.map((u): [Task, Task] => [t, u]))];
  issues.push(...unorderedConflicts(checked, closure));

  if (issues.length > 0) return err(issues);
  return ok({
    tasks,
    event: {
      type: "task_graph_mutated",
      actor: options.actor ?? "controller",
      data: { proposedBy: proposal.proposedBy, reason: proposal.reason, added: tasks },
    },
  });
}
