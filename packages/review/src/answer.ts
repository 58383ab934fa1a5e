/**
 * Reading an engine review pass's answer: one JSON object found in the
 * model's final message, checked against ReviewAnswerSchema; and turning
 * it into findings. Pure.
 */
import { parseAnswer, type SessionAnswer } from "@omk/planner";
import type { Result } from "@omk/core";
import type { ReviewPass } from "@omk/sessions";
import { BLOCKING_SEVERITIES, type ReviewAnswer, ReviewAnswerSchema, type ReviewFinding } from "./types.js";

/**
 * The answer as a ReviewAnswer, or what was wrong (no JSON object, a JSON
 * syntax error, or schema errors at their key paths). The answer is looked
 * for in the final message (planner's extractAnswer): its last fenced json
 * block or balanced JSON object by position; narration is ignored.
 */
export function parseReviewAnswer(answer: string | SessionAnswer): Result<ReviewAnswer, string> {
  const parsed = parseAnswer(answer, ReviewAnswerSchema);
  return parsed.ok ? parsed : { ok: false, error: parsed.error.join("; ") };
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
