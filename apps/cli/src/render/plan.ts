import type { FrozenOracle, Goal } from "@omk/state";
import { printable } from "../invocation.js";
import { terminalSafe } from "./safe.js";

/** `omk goal plan`'s answer: the planned tasks, the frozen oracle's criteria, and the command that runs the goal. */
export function planText(planned: Goal, oracle: FrozenOracle | undefined): string {
  const tasks = planned.taskGraph?.tasks ?? [];
  const lines = [`tasks (${tasks.length}):`];
  for (const t of tasks)
    lines.push(
      `  ${t.id}  [${t.role}] ${t.title}${t.dependencies.length === 0 ? "" : ` (after ${t.dependencies.join(", ")})`}  writes: ${t.writes.join(", ") || "nothing"}`,
    );
  if (oracle !== undefined) {
    lines.push(`criteria (${oracle.oracle.criteria.length}, oracle ${oracle.hash.slice(0, 12)}):`);
    for (const c of oracle.oracle.criteria) lines.push(`  ${c.id}  [${c.kind}] ${c.description}`);
  }
  lines.push(`next: ${printable(`omk goal run ${planned.id}`)}`);
  // Task titles and criteria come from the engine: each shown as one line.
  return `${lines.map(terminalSafe).join("\n")}\n`;
}
