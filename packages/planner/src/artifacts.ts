/**
 * The plan artifacts, rendered as text from the plan and the oracle: a pure
 * function, so the same plan always gives byte-identical files.
 *   brief.md           the goal as a short PRD
 *   technical-plan.md  repository facts, gates, approach, tasks, risks
 *   test-spec.md       the oracle in words
 *   decisions.jsonl    one decision per line, with rationale and constraints
 *   task-graph.json    the validated task graph
 */
import type { Criterion, Oracle } from "@omk/state";
import { describeInspection } from "./inspection.js";
import { CLASS_LABELS } from "./internal/signals.js";
import type { Plan } from "./plan.js";

export const ARTIFACT_FILES = ["brief.md", "technical-plan.md", "test-spec.md", "decisions.jsonl", "task-graph.json"] as const;
type ArtifactFile = (typeof ARTIFACT_FILES)[number];
export type PlanArtifacts = Readonly<Record<ArtifactFile, string>>;

const bullets = (items: readonly string[], none = "none") => (items.length === 0 ? [`- ${none}`] : items.map((i) => `- ${i}`));
const code = (argv: readonly string[]) => `\`${argv.join(" ")}\``;
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function brief(plan: Plan, oracle: Oracle): string {
  const classes = plan.classes.map((c) => CLASS_LABELS[c]).join(", ");
  return [
    `# ${plan.title}`,
    "",
    `> ${plan.goal}`,
    "",
    `Class: ${plan.goalClass === "mixed" ? `mixed (${classes})` : classes}.`,
    "",
    "## Summary",
    "",
    plan.summary,
    "",
    "## Done when",
    "",
    ...oracle.criteria.map((c) => `- ${c.description} (\`${c.id}\`)`),
    "",
    "## Constraints",
    "",
    ...bullets(plan.constraints),
    "",
    "## Out of scope",
    "",
    ...bullets(plan.outOfScope),
    "",
    "## Why this class",
    "",
    ...bullets(plan.signals.filter((s) => s.class !== null).map((s) => `"${s.match}" (${s.source}) points to ${s.class} (weight ${s.weight})`)),
    "",
  ].join("\n");
}

function technicalPlan(plan: Plan): string {
  const tasks = plan.graph.tasks.map(
    (t) =>
      `| ${t.id} | ${t.role} | ${t.dependencies.join(", ") || "-"} | ${cell(t.reads.join(", ") || "-")} | ${cell(t.writes.join(", ") || "-")} | ${t.acceptance.join(", ")} | ${Math.round(t.budget.timeMs / 60_000)} min, ${t.budget.tokens} tokens, $${t.budget.usd} |`,
  );
  return [
    `# Technical plan: ${plan.title}`,
    "",
    `Strategy: ${plan.strategy}.`,
    "",
    "## Repository",
    "",
    ...describeInspection(plan.inspection).map((l) => `- ${l}`),
    "",
    "## Gates",
    "",
    ...bullets(
      plan.gates.map((g) => `${g.name} (${g.kind}${g.required ? ", required" : ""}): ${code(g.command)}`),
      "none detected",
    ),
    "",
    "## Approach",
    "",
    ...plan.approach.map((step, i) => `${i + 1}. ${step}`),
    "",
    "## Tasks",
    "",
    "| id | role | after | reads | writes | serves | budget |",
    "|---|---|---|---|---|---|---|",
    ...tasks,
    "",
    ...plan.graph.tasks.flatMap((t) => [`### ${t.id}: ${t.title}`, "", t.description, ""]),
    "## Risks",
    "",
    ...bullets(plan.risks),
    "",
  ].join("\n");
}

function howToRun(c: Criterion): string {
  switch (c.kind) {
    case "command":
      return `run ${code(c.run.command)} in \`${c.run.cwd}\`; it must exit 0`;
    case "test_case":
      return `run ${code(c.run.command)}; the JUnit case ${c.run.case.match === "exact" ? "named" : "whose name holds"} \`${c.run.case.name}\` must pass`;
    case "gate":
      return `the gate \`${c.run.gate}\` must pass`;
    case "golden":
      return c.run.compare === "stdout"
        ? `run ${code(c.run.command)} on base and head; the outputs must be identical`
        : `run ${code(c.run.command)} on base and head; every case passing on base must pass on head`;
    case "benchmark": {
      const metric = c.run.metric.source === "duration" ? "wall time (ms)" : `the number matched by \`${c.run.metric.pattern}\` (${c.run.metric.unit})`;
      return `run ${code(c.run.command)} on base and head; ${metric} must be ${c.run.better} on head by at least ${Math.round(c.run.minImprovement * 100)}%`;
    }
    case "review":
      return `a ${c.run.reviewer} checks: ${c.run.checklist.join("; ")}`;
  }
}

function testSpec(plan: Plan, oracle: Oracle, oracleHash: string | undefined): string {
  return [
    `# Test spec: ${plan.title}`,
    "",
    "The oracle: what done means, as checks a machine can run. It is frozen before execution; changing it is a new revision.",
    "",
    `Oracle hash: ${oracleHash ?? "not frozen yet"}.`,
    "",
    ...oracle.criteria.flatMap((c) => [
      `## ${c.id} (${c.kind})`,
      "",
      c.description,
      "",
      `- How: ${howToRun(c)}.`,
      `- Red → green: ${c.mustFailOnBase ? "yes, it must fail on the base commit first; passing there already makes it vacuous" : "no"}.`,
      `- Served by: ${
        plan.graph.tasks
          .filter((t) => t.acceptance.includes(c.id))
          .map((t) => t.id)
          .join(", ") || "no task"
      }.`,
      "",
    ]),
    "A criterion is passed, failed, not run or vacuous (a check that cannot fail, or a test that was never red when it had to be); the goal is ready only when every criterion passed on the integrated head.",
    "",
  ].join("\n");
}

export function renderArtifacts(plan: Plan, oracle: Oracle, options: { oracleHash?: string } = {}): PlanArtifacts {
  return {
    "brief.md": brief(plan, oracle),
    "technical-plan.md": technicalPlan(plan),
    "test-spec.md": testSpec(plan, oracle, options.oracleHash),
    "decisions.jsonl": plan.decisions
      .map((d) => `${JSON.stringify({ id: d.id, decision: d.decision, rationale: d.rationale, constraints: d.constraints })}\n`)
      .join(""),
    "task-graph.json": `${JSON.stringify(plan.graph, null, 2)}\n`,
  };
}
