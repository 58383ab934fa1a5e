/**
 * Finding the JSON answer in what a model said. Real models narrate before
 * and between tool calls ("Let me look at the code first." [Read] ...) and
 * put prose around the JSON, fenced or not. The answer is looked for in the
 * turn's final message (the text after its last tool call):
 *   1. its single fenced ```json block (or single fenced block holding an object);
 *   2. else its last balanced top-level JSON object (string-aware brace matching);
 *   3. else the whole final message as JSON.
 * When the final message holds no JSON object at all, the whole turn's text
 * is searched the same way (a model may answer, then call a tool, then say
 * "done"). A failure names what was wrong. Pure.
 */
import { err, ok, type Result } from "@omk/state";
import type { z } from "zod";

/** A session's answer: every message of the turn joined, and the final message (after the last tool call). */
export type SessionAnswer = { readonly text: string; readonly final: string };

/** Why no answer could be read: no JSON object at all, or one that is not valid JSON. */
export type AnswerIssue = { readonly kind: "no_json" | "syntax"; readonly message: string };

type Span = { readonly start: number; readonly end: number; readonly closed: boolean };

/** Top-level `{...}` spans of a text: braces inside JSON strings do not count; quotes outside an object (prose) are not strings. */
export function topLevelObjects(text: string): Span[] {
  const spans: Span[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (depth > 0 && inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" && depth > 0) {
      depth--;
      if (depth === 0) spans.push({ start, end: i + 1, closed: true });
    } else if (c === '"' && depth > 0) {
      inString = true;
    }
  }
  if (depth > 0 && start >= 0) spans.push({ start, end: text.length, closed: false });
  return spans;
}

function parse(candidate: string, where: string): Result<unknown, AnswerIssue> {
  try {
    return ok(JSON.parse(candidate));
  } catch (cause) {
    return err({ kind: "syntax", message: `JSON syntax error in ${where}: ${(cause as Error).message}` });
  }
}

const FENCE = /(?:```|~~~)[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)\n?[ \t]*(?:```|~~~)/gu;

function fromText(text: string): Result<unknown, AnswerIssue> {
  const fences = [...text.matchAll(FENCE)].map((m) => ({ lang: (m[1] ?? "").toLowerCase(), body: (m[2] ?? "").trim() }));
  const jsonFences = fences.filter((f) => f.lang === "json" || (f.lang === "" && f.body.startsWith("{")));
  if (jsonFences.length === 1 && jsonFences[0] !== undefined) return parse(jsonFences[0].body, "the fenced json block");
  const spans = topLevelObjects(text);
  let firstIssue: AnswerIssue | undefined;
  for (const span of [...spans].reverse()) {
    const where = `the JSON object at position ${span.start}`;
    if (!span.closed) {
      firstIssue ??= { kind: "syntax", message: `JSON syntax error in ${where}: the object is never closed (a "}" is missing)` };
      continue;
    }
    const parsed = parse(text.slice(span.start, span.end), where);
    if (parsed.ok) return parsed;
    firstIssue ??= parsed.error;
  }
  const trimmed = text.trim();
  if (trimmed.startsWith("[") || trimmed.startsWith('"')) {
    const whole = parse(trimmed, "the answer");
    if (!whole.ok) return whole;
    return err({ kind: "no_json", message: "no JSON object found in the answer (it is JSON, but not an object)" });
  }
  if (firstIssue !== undefined) return err(firstIssue);
  return err({ kind: "no_json", message: "no JSON object found in the answer: answer with one JSON object (a ```json block is fine)" });
}

/**
 * The JSON value of an answer, or what was wrong. `answer` is the session's
 * text and final message, or one text (taken as both).
 */
export function extractAnswer(answer: string | SessionAnswer): Result<unknown, AnswerIssue> {
  const { text, final } = typeof answer === "string" ? { text: answer, final: answer } : answer;
  const fromFinal = fromText(final);
  if (fromFinal.ok || fromFinal.error.kind === "syntax" || final === text) return fromFinal;
  return fromText(text);
}

/** A zod error as "schema error at <key path>: <message>" lines. */
export function schemaIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `schema error at ${i.path.length === 0 ? "(root)" : i.path.join(".")}: ${i.message}`);
}

/** The answer checked against a schema: the value, or every issue named (no JSON / syntax / schema at key path). */
export function parseAnswer<T>(answer: string | SessionAnswer, schema: z.ZodType<T>): Result<T, string[]> {
  const json = extractAnswer(answer);
  if (!json.ok) return err([json.error.message]);
  const parsed = schema.safeParse(json.value);
  if (parsed.success) return ok(parsed.data);
  return err(schemaIssues(parsed.error));
}
