/**
 * Superseded tasks: a task whose work conflicted at integration in a round
 * is not integrated again in a later round (its work stays on its branch and
 * under refs/omk/attempts); the follow-up of that round takes its files over.
 * The tasks that depend on it hold its work, so they are superseded with it.
 */
import type { GoalEvent, Task } from "@omk/state";

/** Tasks `ids` and every task that depends on them, directly or not. */
export function withDependents(tasks: readonly Pick<Task, "id" | "dependencies">[], ids: Iterable<string>): Set<string> {
  const out = new Set(ids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of tasks) {
      if (!out.has(t.id) && t.dependencies.some((d) => out.has(d))) {
        out.add(t.id);
        grew = true;
      }
    }
  }
  return out;
}

/** Tasks whose integration conflicted in a round before `round`, with their dependents. */
export function supersededTasks(events: readonly GoalEvent[], round: number, tasks: readonly Pick<Task, "id" | "dependencies">[]): Set<string> {
  const conflicted = events.flatMap((e) => (e.type === "integration_recorded" && e.data.outcome === "conflict" && e.data.round < round ? [e.data.taskId] : []));
  return withDependents(tasks, conflicted);
}

/** Task ids some integration merged (integration_recorded, outcome integrated). */
export function integratedTasks(events: readonly GoalEvent[]): Set<string> {
  const out = new Set<string>();
  for (const e of events) if (e.type === "integration_recorded" && e.data.outcome === "integrated") for (const m of e.data.merged) out.add(m.taskId);
  return out;
}
