import { terminalSafe } from "./safe.js";
import { type BudgetReport, formatDuration, type Goal, type LockOwner, type UsageQuality } from "@omk/state";

function limit(value: number | null, fmt: (n: number) => string): string {
  return value === null ? "unlimited" : fmt(value);
}

const usd = (n: number) => `$${n.toFixed(2)}`;
const int = (n: number) => n.toLocaleString("en-US");

/** Tokens used, as far as they are known: a 0 nobody reported is "unknown", a partial count a lower bound. */
export function usedTokens(tokens: number, quality: UsageQuality | undefined): string {
  if (quality === "unknown") return tokens === 0 ? "unknown (no engine reported usage)" : `${int(tokens)}+ (some sessions reported no usage)`;
  if (quality === "partial") return `${int(tokens)}+ (partial: a lower bound)`;
  return int(tokens);
}

/** USD used, as far as it is known: never $0.00 when no cost was reported. */
export function usedUsd(amount: number, unknownRecords: number, quality: UsageQuality | undefined): string {
  if (amount === 0 && (unknownRecords > 0 || quality === "unknown")) return "unknown (no cost reported)";
  return `${usd(amount)}${unknownRecords > 0 || quality === "unknown" || quality === "partial" ? "+ (cost unknown for some usage)" : ""}`;
}

/** Budget lines: used / limit (remaining), one per dimension. `quality`: the goal's usage quality (goal.usage.quality). */
export function budgetLines(report: BudgetReport, quality?: UsageQuality): string[] {
  const mark = (d: "time" | "tokens" | "usd") => (report.exhausted.includes(d) ? "  EXHAUSTED" : "");
  const r = report.remaining;
  return [
    `time    ${formatDuration(report.used.timeMs)} of ${limit(report.limits.timeMs, formatDuration)}${r.timeMs === null ? "" : ` (${formatDuration(r.timeMs)} left)`}${mark("time")}`,
    `tokens  ${usedTokens(report.used.tokens, quality)} of ${limit(report.limits.tokens, int)}${r.tokens === null ? "" : ` (${int(r.tokens)} left)`}${mark("tokens")}`,
    `usd     ${usedUsd(report.used.usd, report.usdUnknownRecords, quality)} of ${limit(report.limits.usd, usd)}${r.usd === null ? "" : ` (${usd(r.usd)} left)`}${mark("usd")}`,
  ];
}

export function statusLine(goal: Goal): string {
  return `${goal.status}${goal.phase === null ? "" : ` (phase: ${goal.phase})`}${goal.statusReason === null ? "" : ` — ${goal.statusReason}`}`;
}

export function goalText(goal: Goal, report: BudgetReport, lock: LockOwner | undefined, goalDir: string): string {
  const lines = [
    `goal     ${goal.id}`,
    `text     ${goal.normalizedText}`,
    `status   ${statusLine(goal)}`,
    `repo     ${goal.repoRoot}${goal.baseCommit === null ? "" : ` @ ${goal.baseCommit.slice(0, 12)}`}`,
    `created  ${goal.createdAt}`,
    `updated  ${goal.updatedAt} (event ${goal.lastSeq})`,
    `agents   up to ${goal.budget.maxAgents}`,
    `runner   ${lock === undefined ? "none" : `pid ${lock.pid} on ${lock.host}, heartbeat ${lock.heartbeatAt}`}`,
    ...budgetLines(report, goal.usage.quality).map((l, i) => (i === 0 ? `budget   ${l}` : `         ${l}`)),
  ];
  if (goal.constraints.length > 0) lines.push(`constraints: ${goal.constraints.join("; ")}`);
  if (goal.terminalCriteria.length > 0) lines.push(`done when: ${goal.terminalCriteria.join("; ")}`);
  for (const a of goal.amendments) lines.push(`amended  ${a.text !== undefined ? `text: ${a.text}` : `answer: ${a.answer ?? ""}`} (event ${a.seq})`);
  lines.push(`round    ${goal.round ?? 1}`);
  if (goal.plan !== undefined) lines.push(`plan     ${goal.plan.goalClass} (${goal.plan.strategy} planner)`);
  if (goal.oracle !== undefined) lines.push(`oracle   revision ${goal.oracle.revision}, ${goal.oracle.hash.slice(0, 12)}`);
  if (goal.confinement !== undefined) lines.push(`confined ${goal.confinement === "unconfined" ? "no (--unconfined)" : goal.confinement}`);
  if (goal.headCommit !== undefined) lines.push(`head     ${goal.headCommit.slice(0, 12)}`);
  if (goal.outcome !== null) lines.push(`outcome  ${goalDir}/${goal.outcome.file}`);
  if (goal.decision !== undefined) lines.push(`decision ${decisionLine(goal.decision)}`);
  lines.push(`dir      ${goalDir}`);
  if (goal.taskGraph !== null) lines.push(`tasks    ${goal.taskGraph.tasks.length}`, ...taskRows(goal.taskGraph.tasks).map((r) => `  ${r}`));
  // Goal text, reasons, task titles (an agent's plan): each line shown as one line, escapes visible.
  return `${lines.map(terminalSafe).join("\n")}\n`;
}

type Task = NonNullable<Goal["taskGraph"]>["tasks"][number];

/** One row per task: id, status, role, title, retries, dependencies. */
function taskRows(tasks: readonly Task[]): string[] {
  const width = Math.max(0, ...tasks.map((t) => t.id.length));
  return tasks.map(
    (t) =>
      `${t.id.padEnd(width)}  ${t.status.padEnd(9)} [${t.role}] ${t.title}${t.retries > 0 ? ` (${t.retries} retr${t.retries === 1 ? "y" : "ies"})` : ""}${t.dependencies.length === 0 ? "" : ` (after ${t.dependencies.join(", ")})`}`,
  );
}

/** The integrator's decision in words: `accepted at <head>` / `rejected at <head>: <reason>`. */
function decisionLine(decision: NonNullable<Goal["decision"]>): string {
  return `${decision.decision} at ${decision.headCommit.slice(0, 12)}${decision.reason === undefined ? "" : `: ${decision.reason}`}`;
}

export function goalMarkdown(goal: Goal, report: BudgetReport): string {
  const rows = budgetLines(report, goal.usage.quality).map((l) => {
    const [dim, ...rest] = l.split(/\s+/);
    return `| ${dim} | ${rest.join(" ")} |`;
  });
  return [
    `# Goal ${goal.id}`,
    "",
    `> ${goal.normalizedText}`,
    "",
    `- **Status:** ${goal.status}${goal.phase === null ? "" : ` (phase ${goal.phase})`}`,
    ...(goal.statusReason === null ? [] : [`- **Reason:** ${goal.statusReason}`]),
    ...(goal.decision === undefined ? [] : [`- **Decision:** ${decisionLine(goal.decision)}`]),
    `- **Repository:** \`${goal.repoRoot}\`${goal.baseCommit === null ? "" : ` at \`${goal.baseCommit}\``}`,
    `- **Created:** ${goal.createdAt}`,
    `- **Max agents:** ${goal.budget.maxAgents}`,
    `- **Round:** ${goal.round ?? 1}`,
    ...(goal.plan === undefined ? [] : [`- **Plan:** ${goal.plan.goalClass} (${goal.plan.strategy} planner)`]),
    ...(goal.oracle === undefined ? [] : [`- **Oracle:** revision ${goal.oracle.revision}, \`${goal.oracle.hash.slice(0, 12)}\``]),
    ...(goal.headCommit === undefined ? [] : [`- **Head:** \`${goal.headCommit}\``]),
    ...(goal.outcome === null ? [] : [`- **Outcome:** ${goal.outcome.file}`]),
    ...(goal.constraints.length === 0 ? [] : ["", "## Constraints", "", ...goal.constraints.map((c) => `- ${c}`)]),
    ...(goal.terminalCriteria.length === 0 ? [] : ["", "## Done when", "", ...goal.terminalCriteria.map((c) => `- ${c}`)]),
    "",
    "## Budget",
    "",
    "| dimension | used |",
    "|---|---|",
    ...rows,
    ...(goal.taskGraph === null
      ? []
      : [
          "",
          "## Tasks",
          "",
          "| task | status | role | title |",
          "|---|---|---|---|",
          ...goal.taskGraph.tasks.map((t) => `| ${t.id} | ${t.status} | ${t.role} | ${t.title.replaceAll("|", "\\|")} |`),
        ]),
    "",
  ]
    .map(terminalSafe)
    .join("\n");
}

export function listRow(goal: Goal): string {
  const text = goal.normalizedText.length > 60 ? `${goal.normalizedText.slice(0, 57)}...` : goal.normalizedText;
  return terminalSafe(`${goal.id}  ${goal.status.padEnd(19)} ${goal.createdAt.slice(0, 19).replace("T", " ")}  ${text}`);
}
