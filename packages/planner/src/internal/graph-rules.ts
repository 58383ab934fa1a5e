/**
 * The checks shared by graph validation and follow-up proposals: parsing
 * tasks with readable issues, dependency closure, cycles, and read/write
 * conflicts (decided by @omk/state's findConflicts: there is no second
 * implementation of the path rules here).
 */
import { findConflicts, type ScopeConflict, type Task, TaskSchema } from "@omk/state";
import { z } from "zod";

const GRAPH_ISSUE_CODES = [
  "schema",
  "duplicate_id",
  "id_taken",
  "unknown_dependency",
  "self_dependency",
  "dependency_not_accepted",
  "cycle",
  "no_acceptance",
  "unknown_criterion",
  "uncovered_criterion",
  "no_budget",
  "budget_over_cap",
  "unsafe_path",
  "protected_path",
  "unordered_conflict",
  "forbidden_action",
  "too_many_tasks",
  "unknown_proposer",
] as const;
const GraphIssueSchema = z.object({
  code: z.enum(GRAPH_ISSUE_CODES),
  message: z.string().min(1),
  tasks: z.array(z.string()).describe("the task ids (or positions) involved"),
  entries: z.array(z.string()).default([]).describe("the read/write entries involved"),
});
export type GraphIssue = z.infer<typeof GraphIssueSchema>;

const issue = (code: GraphIssue["code"], message: string, tasks: string[], entries: string[] = []): GraphIssue => ({ code, message, tasks, entries });

/** Parses each task on its own, so one bad task does not hide the others' issues. */
export function parseTasks(raw: readonly unknown[]): { tasks: Task[]; ids: string[]; issues: GraphIssue[] } {
  const tasks: Task[] = [];
  const ids: string[] = [];
  const issues: GraphIssue[] = [];
  raw.forEach((value, index) => {
    const rawId = (value as { id?: unknown } | null)?.id;
    const label = typeof rawId === "string" && rawId !== "" ? rawId : `tasks[${index}]`;
    if (typeof rawId === "string") ids.push(rawId);
    const parsed = TaskSchema.safeParse(value);
    if (parsed.success) {
      tasks.push(parsed.data);
      return;
    }
    const budgetMissing = parsed.error.issues.some((i) => i.path.length === 1 && i.path[0] === "budget");
    if (budgetMissing) issues.push(issue("no_budget", `task "${label}" has no budget (timeMs, tokens and usd, each > 0)`, [label]));
    for (const i of parsed.error.issues) {
      const [field, position] = i.path;
      if (field === "budget" && i.path.length === 1) continue;
      const scopeCode = (i as { params?: { scopePathCode?: string } }).params?.scopePathCode;
      if ((field === "reads" || field === "writes") && scopeCode !== undefined) {
        const entry = String((value as Record<string, unknown[]>)[field]?.[position as number]);
        issues.push(issue("unsafe_path", `task "${label}" ${field === "reads" ? "reads" : "writes"} an unsafe path: ${i.message}`, [label], [entry]));
      } else if (field === "budget") {
        issues.push(issue("no_budget", `task "${label}" has an invalid budget: ${i.path.join(".")}: ${i.message}`, [label]));
      } else {
        issues.push(issue("schema", `task "${label}": ${i.path.join(".") || "(task)"}: ${i.message}`, [label]));
      }
    }
  });
  return { tasks, ids, issues };
}

/** A task's transitive dependencies, looked up by id. */
export type Closure = { get(id: string): ReadonlySet<string> | undefined };

/**
 * Every task reachable through dependencies (its transitive dependencies),
 * cycles tolerated. Lazy: a task's set is computed (iteratively, with an
 * explicit stack) the first time it is asked for, so a caller that needs a
 * few tasks does not pay for all of them (a chain's full closure is n²/2 ids).
 */
export function dependencyClosure(deps: ReadonlyMap<string, readonly string[]>): Closure {
  const memo = new Map<string, Set<string>>();
  return {
    get(id) {
      if (!deps.has(id)) return undefined;
      const cached = memo.get(id);
      if (cached !== undefined) return cached;
      const seen = new Set<string>();
      const stack = [...(deps.get(id) ?? [])];
      while (stack.length > 0) {
        const next = stack.pop() as string;
        if (seen.has(next)) continue;
        seen.add(next);
        for (const dep of deps.get(next) ?? []) if (!seen.has(dep)) stack.push(dep);
      }
      memo.set(id, seen);
      return seen;
    },
  };
}

/**
 * Each dependency cycle once, as a path that starts and ends at the same
 * task (smallest id first). A depth-first search with an explicit stack, not
 * recursion: a long chain must not overflow the call stack.
 */
export function findCycles(deps: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const cycles = new Map<string, string[]>();
  const frames: Array<{ id: string; next: number }> = [];
  const open = (id: string): void => {
    state.set(id, "open");
    path.push(id);
    frames.push({ id, next: 0 });
  };
  for (const root of [...deps.keys()].sort()) {
    if (state.has(root)) continue;
    open(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as { id: string; next: number };
      const list = deps.get(frame.id) ?? [];
      if (frame.next >= list.length) {
        frames.pop();
        path.pop();
        state.set(frame.id, "done");
        continue;
      }
      const dep = list[frame.next++] as string;
      if (!deps.has(dep)) continue;
      const s = state.get(dep);
      if (s === "open") {
        // Written in execution order (a task, then the task that waits for it), smallest id first.
        const loop = path.slice(path.lastIndexOf(dep)).reverse();
        const start = loop.indexOf([...loop].sort()[0] as string);
        const cycle = [...loop.slice(start), ...loop.slice(0, start)];
        const key = [...cycle].sort().join("\u0000");
        if (!cycles.has(key)) cycles.set(key, [...cycle, cycle[0] as string]);
      } else if (s === undefined) {
        open(dep);
      }
    }
  }
  return [...cycles.values()];
}

export function cycleIssue(cycle: readonly string[]): GraphIssue {
  return issue("cycle", `dependency cycle: ${cycle.join(" → ")} (each waits for the one before it)`, [...new Set(cycle)]);
}

function describeConflict(c: ScopeConflict): string {
  const verb = (kind: "write" | "read") => (kind === "write" ? "writes" : "reads");
  const [ka, kb] = c.kind.split("-") as ["write" | "read", "write" | "read"];
  return `"${c.a.taskId}" ${verb(ka)} "${c.a.entry}" and "${c.b.taskId}" ${verb(kb)} "${c.b.entry}" (${c.kind})`;
}

/** Conflicting tasks neither of which waits (transitively) for the other. */
export function unorderedConflicts(pairs: Iterable<[Task, Task]>, closure: Closure): GraphIssue[] {
  const issues: GraphIssue[] = [];
  for (const [a, b] of pairs) {
    const conflicts = findConflicts(a, b);
    if (conflicts.length === 0) continue;
    if (closure.get(a.id)?.has(b.id) === true || closure.get(b.id)?.has(a.id) === true) continue;
    const entries = [...new Set(conflicts.flatMap((c) => [c.a.entry, c.b.entry]))];
    issues.push(
      issue(
        "unordered_conflict",
        `tasks "${a.id}" and "${b.id}" touch overlapping paths but neither depends on the other: ${conflicts.map(describeConflict).join("; ")}; make one depend on the other (directly or through other tasks), or narrow the paths`,
        [a.id, b.id],
        entries,
      ),
    );
  }
  return issues;
}

export function acceptanceIssues(tasks: readonly Task[], criteria: readonly string[] | undefined, requireCoverage: boolean): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const known = criteria === undefined ? undefined : new Set(criteria);
  for (const task of tasks) {
    if (task.acceptance.length === 0) {
      issues.push(issue("no_acceptance", `task "${task.id}" has no acceptance criteria: list the oracle criteria it serves`, [task.id]));
    }
    for (const id of task.acceptance) {
      if (known !== undefined && !known.has(id)) {
        issues.push(
          issue("unknown_criterion", `task "${task.id}" serves "${id}", which is not a criterion of the oracle (${[...known].join(", ")})`, [task.id]),
        );
      }
    }
  }
  if (requireCoverage && criteria !== undefined) {
    const served = new Set(tasks.flatMap((t) => t.acceptance));
    for (const id of criteria) {
      if (!served.has(id)) issues.push(issue("uncovered_criterion", `no task serves the oracle criterion "${id}"`, []));
    }
  }
  return issues;
}

export { issue };
