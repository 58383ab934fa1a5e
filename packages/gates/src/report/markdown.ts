import { formatMs } from "../internal/duration.js";
import type { GateComparison, GateOutcome, GateResult, GatesReport } from "../schemas/result.js";
import { describeSetup } from "../setup.js";

const ICON: Record<GateOutcome, string> = { passed: "✅", failed: "❌", flaky: "⚠️", timed_out: "⏱️", error: "💥", skipped: "⏭️" };
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const fence = (lines: readonly string[]) => `\`\`\`\n${lines.join("\n").replace(/```/g, "`\u200b``")}\n\`\`\``;

function details(gate: GateResult, judged: GateComparison | undefined): string[] {
  const out: string[] = [];
  const failingCases = gate.tests?.filter((t) => t.outcome === "failed" || t.outcome === "flaky") ?? [];
  if (judged?.tests !== undefined && judged.tests.newFailures.length > 0)
    out.push(`New failing test cases: ${judged.tests.newFailures.map((t) => `\`${t}\``).join(", ")}`);
  else if (failingCases.length > 0)
    out.push(
      `Failing test cases: ${failingCases
        .slice(0, 20)
        .map((t) => `\`${t.id}\` (${t.outcome})`)
        .join(", ")}`,
    );
  if (judged?.tests !== undefined && judged.tests.preExisting.length > 0)
    out.push(`Failing on base too: ${judged.tests.preExisting.map((t) => `\`${t}\``).join(", ")}`);
  for (const f of gate.findings ?? []) out.push(`- \`${f.file}:${f.line}\` ${f.rule}: \`${f.excerpt.replace(/`/g, "'")}\``);
  if (judged?.golden !== undefined && !judged.golden.equal) out.push(`Differs from base: ${judged.golden.differences.map((d) => d.path ?? d.what).join(", ")}`);
  if (judged?.benchmark !== undefined)
    out.push(
      `Median ${judged.benchmark.head} vs ${judged.benchmark.base} on base (ratio ${judged.benchmark.ratio?.toFixed(3) ?? "n/a"}, allowed ${judged.benchmark.maxRatio})`,
    );
  if (gate.error !== undefined) out.push(`Error: ${gate.error}`);
  const tail = [...gate.tail.stderr.slice(-10), ...gate.tail.stdout.slice(-10)];
  if (gate.outcome !== "passed" && gate.outcome !== "skipped" && tail.length > 0) out.push(fence(tail));
  return out;
}

/** The wall as a Markdown table (for PR bodies and CI summaries), with details of what did not pass. */
export function formatMarkdown(report: GatesReport): string {
  const judged = new Map((report.comparison?.gates ?? []).map((g) => [g.name, g]));
  const lines = [
    `## Verification wall: ${report.verdict === "passed" ? "✅ passed" : "❌ failed"}`,
    "",
    `Commit \`${report.commit?.slice(0, 12) ?? "(not in git)"}\`${report.dirty === true ? " (uncommitted changes)" : ""} · ${report.gates.length} gate(s) · ${formatMs(report.durationMs)} · run \`${report.runId}\`${report.comparison === undefined ? "" : ` · compared with \`${report.comparison.base.ref}\` (\`${report.comparison.base.commit?.slice(0, 12) ?? "?"}\`)`}`,
    "",
    `| gate | kind | required | outcome | ${report.comparison === undefined ? "" : "vs base | "}time | exit | log |`,
    `|---|---|---|---|${report.comparison === undefined ? "" : "---|"}---|---|---|`,
  ];
  for (const g of report.gates) {
    const j = judged.get(g.name);
    const vs = report.comparison === undefined ? "" : ` ${j === undefined ? "" : `${j.status.replace(/_/g, " ")}${j.blocking ? " (blocking)" : ""}`} |`;
    lines.push(
      `| ${cell(g.name)} | ${g.kind} | ${g.required ? "yes" : "no"} | ${ICON[g.outcome]} ${g.outcome}${(g.outcome === "error" || g.outcome === "skipped") && g.error !== undefined ? `: ${cell(g.error)}` : ""} |${vs} ${formatMs(g.durationMs)} | ${g.exitCode ?? g.signal ?? ""} | \`${cell(g.logs.stdout.path)}\` |`,
    );
  }
  if (report.setup?.failure !== undefined) {
    const f = report.setup.failure;
    lines.push(
      "",
      "### Dependency setup failed (`setup_failed`): no gate ran",
      "",
      `\`${cell(f.command)}\` ${f.exitCode === null ? "could not run" : `exited ${f.exitCode}`}. Fix: ${f.fix}`,
      "",
      fence(f.tail.slice(-15)),
    );
  } else if (report.setup !== undefined) lines.push("", `Dependency setup: ${describeSetup(report.setup)}`);
  const baseSetup = report.comparison?.base.setupFailed;
  if (baseSetup !== undefined)
    lines.push(
      "",
      `**The base checkout's dependency setup failed** (\`${cell(baseSetup.command)}\`): its gates are *no baseline*; required gates are judged on head alone.`,
      "",
      fence(baseSetup.tail.slice(-10)),
    );
  const deps = report.gates.flatMap((g) => g.dependencies ?? []);
  if (deps.length > 0) {
    lines.push(
      "",
      `### Dependency changes (${deps.length}): give the rationale in the review`,
      "",
      "| change | ecosystem | name | from | to | file |",
      "|---|---|---|---|---|---|",
    );
    for (const d of deps.slice(0, 200))
      lines.push(`| ${d.change} | ${d.ecosystem} | \`${cell(d.name)}\` | ${cell(d.from ?? "")} | ${cell(d.to ?? "")} | ${cell(d.file)} |`);
    if (deps.length > 200) lines.push(`| … | | ${deps.length - 200} more | | | |`);
  }
  for (const g of report.gates) {
    const j = judged.get(g.name);
    if (g.outcome === "passed" && j?.status !== "new_failure" && (g.findings?.length ?? 0) === 0) continue;
    const body = details(g, j);
    if (body.length > 0) lines.push("", `### ${g.name}: ${j?.status.replace(/_/g, " ") ?? g.outcome}`, "", ...body);
  }
  return `${lines.join("\n")}\n`;
}
