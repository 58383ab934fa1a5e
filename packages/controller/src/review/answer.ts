/**
 * Reading an engine review pass's answer: one JSON object, bare or in a
 * fenced block, checked against ReviewAnswerSchema; and turning it into
 * findings. Pure.
 */
import { extractJson } from "@omk/planner";
import { err, ok, type Result } from "@omk/state";
import { BLOCKING_SEVERITIES, type ReviewFinding, type ReviewPass } from "../types.js";
import { type ReviewAnswer, ReviewAnswerSchema } from "./types.js";

function check(value: unknown): Result<ReviewAnswer, string> {
  const parsed = ReviewAnswerSchema.safeParse(value);
  if (parsed.success) return ok(parsed.data);
  return err(parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The answer as a ReviewAnswer, or why it is not one. Tries, in order: the
 * whole text or its single fenced block (planner's extractJson), then each
 * fenced block from the last, then the text from its first `{` to its last `}`.
 */
export function parseReviewAnswer(text: string): Result<ReviewAnswer, string> {
  const first = extractJson(text);
  if (first.ok) return check(first.value);
  const fences = [...text.matchAll(/(?:```|~~~~)(?:json)?[^\n]*\n([\s\S]*?)\n?(?:```|~~~~)/gu)].map((m) => m[1] ?? "").reverse();
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  const candidates = [...fences, ...(start >= 0 && end > start ? [text.slice(start, end + 1)] : [])];
  let lastIssue: string | undefined;
  for (const candidate of candidates) {
    const value = tryJson(candidate.trim());
    if (value === undefined) continue;
    const checked = check(value);
    if (checked.ok) return checked;
    lastIssue = checked.error;
  }
  return err(lastIssue ?? first.error);
}

export const isBlocking = (severity: ReviewFinding["severity"]) => (BLOCKING_SEVERITIES as readonly string[]).includes(severity);

/**
 * The findings of an answer. A "blocked" verdict without any finding of a
 * blocking severity still blocks: it becomes a major finding saying so, so
 * that "blocked" always means "a finding of blocking severity exists".
 */
export function answerFindings(pass: ReviewPass, answer: ReviewAnswer): ReviewFinding[] {
  const findings: ReviewFinding[] = answer.findings.map((f) => ({
    source: pass,
    severity: f.severity,
    message: f.message,
    ...(f.file !== null && f.file !== undefined ? { file: f.file } : {}),
    ...(f.line !== null && f.line !== undefined && f.line > 0 ? { line: f.line } : {}),
    waivable: true,
  }));
  if (answer.verdict === "blocked" && !findings.some((f) => isBlocking(f.severity))) {
    findings.push({ source: pass, severity: "major", message: `the ${pass} answered "blocked" without a finding of blocking severity`, waivable: true });
  }
  return findings;
}
