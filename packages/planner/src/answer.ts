/**
 * Finding the JSON answer in what a model said. Real models narrate before
 * and between tool calls ("Let me look at the code first." [Read] ...) and
 * put prose around the JSON, fenced or not. The answer is looked for in the
 * turn's final message (the text after its last tool call), whose
 * candidates are collected with their positions, in one left-to-right scan:
 *   - a fenced ```json block (or a fence with no language whose body starts
 *     with "{"); fences open and close at the start of a line, so a ``` inside
 *     a JSON string is not a fence; other fences are code and are skipped;
 *   - a top-level `{...}` object (string-aware brace matching) that parses, or
 *     that looks like JSON (`{"` or `{}`) and does not; a fence that starts
 *     inside an object is part of that object. A `{` that never closes (a
 *     stray quote in narration, `{name"}`, swallows the rest of the text)
 *     does not swallow later text: scanning resumes after that brace.
 * The LAST candidate by position is the answer, right or wrong: an earlier
 * one may be a quoted example or fixture, so there is no falling back to it.
 * Braces in prose that are not JSON (`{mostly}`) are not candidates.
 * When the final message holds no candidate at all, the whole turn's text is
 * searched the same way: models often give the JSON, then call a tool or say
 * "Done.", and the final message is then only "Done.". A failure names what
 * was wrong. Pure.
 */
import { err, ok, type Result } from "@omk/core";
import type { z } from "zod";

/** A session's answer: every message of the turn joined, and the final message (after the last tool call). */
export type SessionAnswer = { readonly text: string; readonly final: string };

/** Why no answer could be read: no JSON object at all, one that is not valid JSON, or a text over MAX_ANSWER_CHARS. */
export type AnswerIssue = { readonly kind: "no_json" | "syntax" | "too_large"; readonly message: string };

/**
 * The most characters of answer text searched (1 MiB of characters). A
 * larger text is rejected before any parsing: no plan, review or follow-up
 * needs it, and parsing it would cost time and memory for nothing.
 */
export const MAX_ANSWER_CHARS = 1_048_576;

/** A `{` that never closes makes the scan resume after it; past this many, the answer is rejected (each costs one scan to the end). */
export const MAX_UNCLOSED_OBJECTS = 64;

type Span = { readonly start: number; readonly end: number; readonly closed: boolean };

/** The end (exclusive) of the balanced object opening at `start`, string-aware, or -1 when it never closes. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * Top-level `{...}` spans of a text: braces inside JSON strings do not count;
 * quotes outside an object (prose) are not strings. A `{` that never closes
 * is one unclosed span, and scanning resumes after it.
 */
export function topLevelObjects(text: string): Span[] {
  const spans: Span[] = [];
  let unclosed = 0;
  for (let i = text.indexOf("{"); i >= 0 && unclosed <= MAX_UNCLOSED_OBJECTS; i = text.indexOf("{", i)) {
    const end = objectEnd(text, i);
    if (end >= 0) {
      spans.push({ start: i, end, closed: true });
      i = end;
    } else {
      spans.push({ start: i, end: text.length, closed: false });
      unclosed++;
      i++;
    }
  }
  return spans;
}

/**
 * A problem as one line: the line breaks and control characters a model's
 * text brings in (V8's JSON errors quote the text around the error) are
 * shown escaped. Problems go into one-line errors, events and retry prompts.
 */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function parse(candidate: string, where: string): Result<unknown, AnswerIssue> {
  try {
    return ok(JSON.parse(candidate));
  } catch (cause) {
    return err({ kind: "syntax", message: oneLine(`JSON syntax error in ${where}: ${(cause as Error).message}`) });
  }
}

/** A fence at a line start: opener with its language, body, and a closer of the same character on a line of its own. */
const FENCE = /(`{3,}|~{3,})[ \t]*([A-Za-z0-9_-]*)[^\n]*\n(?:([\s\S]*?)\n)?[ \t]*\1[`~]*[ \t]*(?=\n|$)/y;
const LOOKS_LIKE_JSON = /^\{\s*["}]/u;

const atLineStart = (text: string, i: number): boolean => {
  for (let j = i - 1; j >= 0; j--) {
    const c = text[j];
    if (c === "\n") return true;
    if (c !== " " && c !== "\t") return false;
  }
  return true;
};

type Candidate = { readonly start: number; readonly value: Result<unknown, AnswerIssue> };
type Scan = { readonly candidates: Candidate[]; readonly lastIssue: AnswerIssue | undefined; readonly overflow: boolean };

/** The answer candidates of a text in position order, and the last issue of a brace span that is not a candidate. */
function scan(text: string): Scan {
  const candidates: Candidate[] = [];
  let lastIssue: AnswerIssue | undefined;
  let unclosed = 0;
  const noCloser = new Set<string>();
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if ((c === "`" || c === "~") && text.startsWith(c.repeat(3), i) && !noCloser.has(c) && atLineStart(text, i)) {
      FENCE.lastIndex = i;
      const m = FENCE.exec(text);
      if (m === null) {
        // No closer for this fence char anywhere after here: later openers of it cannot close either.
        noCloser.add(c);
        i += 3;
        continue;
      }
      const lang = (m[2] ?? "").toLowerCase();
      const body = (m[3] ?? "").trim();
      if (lang === "json" || (lang === "" && body.startsWith("{"))) candidates.push({ start: i, value: parse(body, "the fenced json block") });
      i = FENCE.lastIndex;
      continue;
    }
    if (c !== "{") {
      i++;
      continue;
    }
    const where = `the JSON object at position ${i}`;
    const looksLikeJson = LOOKS_LIKE_JSON.test(text.slice(i, i + 64));
    const end = objectEnd(text, i);
    if (end < 0) {
      const issue: AnswerIssue = { kind: "syntax", message: `JSON syntax error in ${where}: the object is never closed (a "}" is missing)` };
      if (looksLikeJson) candidates.push({ start: i, value: err(issue) });
      else lastIssue = issue;
      if (++unclosed > MAX_UNCLOSED_OBJECTS) return { candidates, lastIssue, overflow: true };
      i++;
      continue;
    }
    const value = parse(text.slice(i, end), where);
    if (value.ok || looksLikeJson) candidates.push({ start: i, value });
    else lastIssue = value.error;
    i = end;
  }
  return { candidates, lastIssue, overflow: false };
}

type Found = { readonly answer: Result<unknown, AnswerIssue> | undefined; readonly lastIssue: AnswerIssue | undefined };

/** The last candidate's value or the text's rejection (answer undefined when the text holds no candidate at all). */
function fromText(text: string, what: string): Found {
  if (text.length > MAX_ANSWER_CHARS) {
    const message = `${what} is ${text.length} characters, over the limit of ${MAX_ANSWER_CHARS} (MAX_ANSWER_CHARS): answer with one JSON object only`;
    return { answer: err({ kind: "too_large", message }), lastIssue: undefined };
  }
  const found = scan(text);
  if (found.overflow) {
    const message = `${what} has more than ${MAX_UNCLOSED_OBJECTS} "{" that are never closed (MAX_UNCLOSED_OBJECTS): answer with one JSON object only`;
    return { answer: err({ kind: "syntax", message }), lastIssue: undefined };
  }
  return { answer: found.candidates.at(-1)?.value, lastIssue: found.lastIssue };
}

function noCandidate(text: string, lastIssue: AnswerIssue | undefined): Result<unknown, AnswerIssue> {
  const trimmed = text.trim();
  if (trimmed.startsWith("[") || trimmed.startsWith('"')) {
    const whole = parse(trimmed, "the answer");
    if (!whole.ok) return whole;
    return err({ kind: "no_json", message: "no JSON object found in the answer (it is JSON, but not an object)" });
  }
  if (lastIssue !== undefined) return err(lastIssue);
  return err({ kind: "no_json", message: "no JSON object found in the answer: answer with one JSON object (a ```json block is fine)" });
}

/**
 * The JSON value of an answer, or what was wrong. `answer` is the session's
 * text and final message, or one text (taken as both).
 */
export function extractAnswer(answer: string | SessionAnswer): Result<unknown, AnswerIssue> {
  const { text, final } = typeof answer === "string" ? { text: answer, final: answer } : answer;
  // The final message decides when it holds any candidate, even a wrong one. Only when it holds none
  // is the whole turn searched: models often give the JSON, then call a tool or say "Done.".
  const fromFinal = fromText(final, "the final message");
  if (fromFinal.answer !== undefined) return fromFinal.answer;
  const fromTurn = final === text ? fromFinal : fromText(text, "the answer");
  if (fromTurn.answer !== undefined) return fromTurn.answer;
  return noCandidate(final, fromFinal.lastIssue ?? fromTurn.lastIssue);
}

/** A zod error as "schema error at <key path>: <message>" lines. */
export function schemaIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => oneLine(`schema error at ${i.path.length === 0 ? "(root)" : i.path.join(".")}: ${i.message}`));
}

/** The answer checked against a schema: the value, or every issue named (no JSON / syntax / schema at key path). */
export function parseAnswer<T>(answer: string | SessionAnswer, schema: z.ZodType<T>): Result<T, string[]> {
  const json = extractAnswer(answer);
  if (!json.ok) return err([json.error.message]);
  const parsed = schema.safeParse(json.value);
  if (parsed.success) return ok(parsed.data);
  return err(schemaIssues(parsed.error));
}
