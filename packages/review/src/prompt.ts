/**
 * The prompt of an engine review pass: the goal, the oracle's checklists for
 * this reviewer, the integrated diff (redacted, capped), the gate evidence,
 * the oracle evaluation, the deterministic findings, and the exact answer
 * format. Pure.
 */
import { createRedactor } from "@omk/core";
import type { Evaluation } from "@omk/oracle";
import type { GateEvidence, Task } from "@omk/state";
import type { ReviewPass } from "@omk/sessions";
import type { ReviewCriterion, ReviewFinding } from "./types.js";

/** The diff shown to a reviewer is cut at this many bytes (the reviewer can run `git diff` in its checkout for the rest). */
export const REVIEW_DIFF_MAX_BYTES = 200 * 1024;

/** What a review prompt shows: the goal, the change (base, head, diff), the plan's tasks, the head's evidence and the oracle's checklists. */
export type ReviewPromptInput = {
  readonly goalText: string;
  readonly round: number;
  readonly baseCommit: string;
  /** The integrated head. */
  readonly headCommit: string;
  /** `git diff base..head`: the integrated diff. */
  readonly diff: string;
  readonly changedFiles: readonly string[];
  /** The task graph, for write sets. */
  readonly tasks: readonly Task[];
  /** The head's gate evidence. */
  readonly gates: readonly GateEvidence[];
  /** The oracle evaluation of the head (null when there is none). */
  readonly evaluation: Evaluation | null;
  /** The oracle's review criteria (their checklists go into the prompts). */
  readonly reviewCriteria: readonly ReviewCriterion[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Literal secrets to keep out of the prompt. */
  readonly secrets?: readonly string[];
  /** The deterministic findings (they block whatever the reviewer says). */
  readonly findings: readonly ReviewFinding[];
};

const ROLE: Record<ReviewPass, string> = {
  reviewer:
    "You are the code reviewer of this change. Judge whether it does what the goal asks, correctly and completely: wrong logic, missing cases, tests that do not test the behaviour, code that will not hold up. Passing gates do not prove correctness; read the code.",
  "security-reviewer":
    "You are the security reviewer of this change. Look for injection, unsafe input handling, path traversal, secrets or credentials in code, unsafe defaults, missing authorization, unsafe dependencies and anything that widens what an attacker can do.",
  "break-it":
    "You are the break-it reviewer of this change. Try to break it: find inputs and situations where the new behaviour is wrong. For each real weakness, report a finding and propose a failing test as a follow-up task.",
};

/** The diff cut at a line boundary within `max` bytes, with a note when cut. */
export function capDiff(diff: string, max = REVIEW_DIFF_MAX_BYTES): { text: string; cut: boolean; bytes: number } {
  const bytes = Buffer.byteLength(diff, "utf8");
  if (bytes <= max) return { text: diff, cut: false, bytes };
  const head = Buffer.from(diff, "utf8").subarray(0, max).toString("utf8");
  const lastNewline = head.lastIndexOf("\n");
  return { text: lastNewline > 0 ? head.slice(0, lastNewline + 1) : head, cut: true, bytes };
}

const fence = (text: string, lang = "") => {
  const ticks = text.includes("```") ? "~~~~" : "```";
  return `${ticks}${lang}\n${text}${text.endsWith("\n") ? "" : "\n"}${ticks}`;
};

function answerFormat(pass: ReviewPass): string {
  const example =
    pass === "break-it"
      ? `{"verdict":"blocked","findings":[{"severity":"major","message":"what breaks and how","file":"src/x.ts","line":12}],"followUps":[{"proposedBy":"<a task id of the graph>","reason":"why this test is needed","tasks":[{"id":"break-r1-empty-input","title":"Test: empty input","description":"Add a failing test showing ...","role":"tester","dependencies":[],"reads":["src"],"writes":["test/x.test.ts"],"acceptance":[],"budget":{"timeMs":600000,"tokens":200000,"usd":2}}]}]}`
      : `{"verdict":"passed","findings":[{"severity":"minor","message":"what is wrong and why","file":"src/x.ts","line":12}]}`;
  return [
    "## Your answer",
    "Answer with ONE JSON object, alone or in a single ```json block, exactly in this shape:",
    fence(example, "json"),
    '- `verdict`: "passed" or "blocked". Say "blocked" when any finding is a blocker or major.',
    '- `findings`: a list (empty when there is nothing to report). `severity`: "blocker" (must not ship), "major" (must be fixed before ready), "minor" (should be fixed), "info" (a remark). `file` and `line` are optional.',
    ...(pass === "break-it"
      ? ["- `followUps` (optional): proposals of tasks that add a FAILING test for each weakness found; each task writes only test files."]
      : []),
    "Do not change any file: this checkout is read-only and every write is refused. Any answer that is not this JSON makes the review fail.",
  ].join("\n");
}

/** The prompt of one engine review pass. */
export function reviewPrompt(pass: ReviewPass, input: ReviewPromptInput): string {
  const redactor = createRedactor({ env: { ...input.env }, values: input.secrets ?? [] });
  const redact = (text: string) => redactor.redact(text);
  const criteria = input.reviewCriteria.filter((c) => pass === "break-it" || c.run.reviewer === pass);
  const diff = capDiff(redact(input.diff));
  const out: string[] = [];
  out.push(`# Review (${pass}), round ${input.round}`, "", ROLE[pass], "");
  out.push("## The goal", redact(input.goalText).trim(), "");
  out.push(
    `The change goes from the base commit ${input.baseCommit} to the integrated head ${input.headCommit}; your working directory is a read-only checkout of the head.`,
    "",
  );
  out.push("## Checklist");
  if (criteria.length === 0) out.push("- (no checklist for this pass: use your judgement)");
  for (const c of criteria) {
    out.push(`- ${c.id}: ${c.description}`);
    for (const item of c.run.checklist) out.push(`  - [ ] ${item}`);
  }
  out.push("");
  if (input.tasks.length > 0) {
    out.push("## Tasks of the plan");
    for (const t of input.tasks) out.push(`- ${t.id} (${t.role}): ${t.title}${t.writes.length > 0 ? ` — writes ${t.writes.join(", ")}` : ""}`);
    out.push("");
  }
  out.push("## Gate evidence (head)");
  if (input.gates.length === 0) out.push("- (no gates ran)");
  for (const g of input.gates)
    out.push(`- ${g.name} (${g.kind}${g.required ? ", required" : ""}): ${g.outcome}${g.baseline !== undefined ? ` [${g.baseline}]` : ""}`);
  out.push("");
  out.push("## Oracle evaluation (head)");
  if (input.evaluation === null) out.push("- (no evaluation)");
  else {
    const e = input.evaluation;
    out.push(
      `ready: ${e.ready}; ${Object.entries(e.counts)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ")}`,
    );
    for (const c of e.criteria) out.push(`- ${c.id} (${c.kind}): ${c.verdict} — ${redact(c.reason)}`);
  }
  out.push("");
  out.push("## Deterministic findings (they block whatever you answer; no need to repeat them)");
  if (input.findings.length === 0) out.push("- none");
  for (const f of input.findings) out.push(`- [${f.source}, ${f.severity}] ${redact(f.message)}`);
  out.push("");
  out.push(`## Changed files (${input.changedFiles.length})`);
  for (const file of input.changedFiles) out.push(`- ${file}`);
  out.push("");
  out.push("## The integrated diff");
  if (diff.cut) {
    out.push(
      `(cut: the diff is ${diff.bytes} bytes; the first ${Buffer.byteLength(diff.text, "utf8")} are shown. Read the rest with \`git diff ${input.baseCommit} ${input.headCommit}\` in your working directory.)`,
    );
  }
  out.push(diff.text.length === 0 ? "(empty diff)" : fence(diff.text, "diff"), "");
  out.push(answerFormat(pass));
  return `${out.join("\n")}\n`;
}
