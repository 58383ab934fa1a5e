/**
 * The glob engine behind the path-scope rules; the dialect is described in
 * ../scope.ts, which validates paths before they reach this file.
 *
 * A pattern is a list of segments. A segment is either the globstar `**`
 * (zero or more whole path segments) or a list of tokens: `*` (any run of
 * characters inside one segment) and character sets (a literal character,
 * `?`, or a bracket class). A concrete file is a pattern of literal segments.
 *
 * Matching a file and deciding whether two entries overlap are one question,
 * "do these two patterns share a path?", answered by a search over the
 * product of the two patterns (a product automaton: states are pairs of
 * positions). The answer is exact for the languages the patterns describe;
 * it ignores only that a real path has no empty segment and no `.`, `..` or
 * `.git` segment, which can only turn a "disjoint" into an "overlap", never
 * the other way round.
 */

import { err, ok, type Result } from "@omk/core";

type Range = readonly [low: number, high: number];

type Token = { readonly kind: "star" } | { readonly kind: "set"; readonly ranges: readonly Range[] };

export type Segment =
  | { readonly kind: "globstar" }
  | {
      readonly kind: "segment";
      readonly tokens: readonly Token[];
      /** The segment's text when it has no wildcard token (a fast path for literal comparison). */
      readonly literal: string | undefined;
    };

export type Pattern = readonly Segment[];

/** A parsed segment, or the problem with it (one line that reads after the entry). */
export type SegmentParse = Result<Segment, string>;

const MAX_CODE_POINT = 0x10ffff;

/**
 * The characters a path segment may hold, as code-point ranges: no control
 * characters, no `/`, no DEL, no lone surrogates. `?`, `*` and negated
 * classes range over this set.
 */
const UNIVERSE: readonly Range[] = [
  [0x20, 0x2e],
  [0x30, 0x7e],
  [0x80, 0xd7ff],
  [0xe000, MAX_CODE_POINT],
];

export const GLOBSTAR: Segment = { kind: "globstar" };

const STAR: Token = { kind: "star" };
const ANY_CHAR: Token = { kind: "set", ranges: UNIVERSE };

function codePoint(char: string): number {
  return char.codePointAt(0) ?? 0;
}

function literalToken(char: string): Token {
  const point = codePoint(char);
  return { kind: "set", ranges: [[point, point]] };
}

/** Sorts and merges ranges so that they are disjoint and non-adjacent. */
function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [low, high] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && low <= last[1] + 1) {
      last[1] = Math.max(last[1], high);
    } else {
      merged.push([low, high]);
    }
  }
  return merged;
}

/** Intersection of two merged range lists. */
function intersectRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as Range;
    const y = b[j] as Range;
    const low = Math.max(x[0], y[0]);
    const high = Math.min(x[1], y[1]);
    if (low <= high) out.push([low, high]);
    if (x[1] < y[1]) i += 1;
    else j += 1;
  }
  return out;
}

/** Complement of merged ranges within [0, MAX_CODE_POINT]. */
function complementRanges(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [low, high] of ranges) {
    if (low > next) out.push([next, low - 1]);
    next = high + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function rangesIntersect(a: readonly Range[], b: readonly Range[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as Range;
    const y = b[j] as Range;
    if (Math.max(x[0], y[0]) <= Math.min(x[1], y[1])) return true;
    if (x[1] < y[1]) i += 1;
    else j += 1;
  }
  return false;
}

const LITERAL_BRACKET_FIX = 'write "[[]" for a literal "["';

/** Parses a bracket class whose `[` is at chars[start]. */
function parseClass(chars: readonly string[], start: number): Result<{ readonly token: Token; readonly next: number }, string> {
  let i = start + 1;
  let negated = false;
  if (chars[i] === "!" || chars[i] === "^") {
    negated = true;
    i += 1;
  }
  const ranges: Range[] = [];
  let first = true;
  for (;;) {
    const char = chars[i];
    if (char === undefined) {
      return err(`has an unclosed "[" (a character class); close it, e.g. "[ab]", or ${LITERAL_BRACKET_FIX}`);
    }
    if (char === "]" && !first) {
      i += 1;
      break;
    }
    if (char === "[" && chars[i + 1] === ":") {
      return err(`uses a POSIX class such as "[[:alpha:]]", which is not supported; list the characters or a range instead, e.g. "[a-z]"`);
    }
    const dash = chars[i + 1];
    const end = chars[i + 2];
    if (dash === "-" && end !== undefined && end !== "]") {
      const low = codePoint(char);
      const high = codePoint(end);
      if (low > high) {
        return err(`has the reversed range "${char}-${end}" in a character class; write the lower character first, e.g. "[${end}-${char}]"`);
      }
      ranges.push([low, high]);
      i += 3;
    } else {
      const point = codePoint(char);
      ranges.push([point, point]);
      i += 1;
    }
    first = false;
  }
  const merged = mergeRanges(ranges);
  const members = intersectRanges(negated ? complementRanges(merged) : merged, UNIVERSE);
  if (members.length === 0) {
    return err(`has a character class that matches no character allowed in a path; remove it or name the characters it should match, e.g. "[ab]"`);
  }
  return ok({ token: { kind: "set", ranges: members }, next: i });
}

/** A segment whose every character stands for itself (a concrete path, or an entry without wildcards). */
export function literalSegment(text: string): Segment {
  return { kind: "segment", tokens: Array.from(text, literalToken), literal: text };
}

/**
 * Parses one segment (no `/`) of a glob entry. `**` alone is the globstar;
 * `**` next to other characters, and braces, are refused with a problem that
 * names the fix (it reads after the entry, e.g. `"a**" uses ...`).
 */
export function parseGlobSegment(text: string): SegmentParse {
  if (text === "**") return ok(GLOBSTAR);
  const chars = Array.from(text);
  const tokens: Token[] = [];
  let wild = false;
  let i = 0;
  while (i < chars.length) {
    const char = chars[i] as string;
    if (char === "*") {
      if (chars[i + 1] === "*") {
        return err(`uses "**" inside a segment; "**" must be a whole segment, e.g. "src/**" or "src/**/*.ts", and "*" matches within one segment`);
      }
      tokens.push(STAR);
      wild = true;
      i += 1;
    } else if (char === "?") {
      tokens.push(ANY_CHAR);
      wild = true;
      i += 1;
    } else if (char === "[") {
      const parsed = parseClass(chars, i);
      if (!parsed.ok) return parsed;
      tokens.push(parsed.value.token);
      wild = true;
      i = parsed.value.next;
    } else if (char === "{") {
      return err(
        `uses braces; brace expansion is not supported: write one entry per alternative, e.g. "src/*.ts" and "src/*.tsx" (write "[{]" for a literal "{")`,
      );
    } else {
      tokens.push(literalToken(char));
      i += 1;
    }
  }
  return ok({ kind: "segment", tokens, literal: wild ? undefined : text });
}

/** True when the segment is a wildcard (the globstar, or a segment with `*`, `?` or a class). */
export function isWildSegment(segment: Segment): boolean {
  return segment.kind === "globstar" || segment.literal === undefined;
}

/** Whether some single segment string matches both token lists. */
function tokensIntersect(s: readonly Token[], t: readonly Token[]): boolean {
  const width = t.length + 1;
  const seen = new Uint8Array((s.length + 1) * width);
  const stack: number[] = [0];
  seen[0] = 1;
  const visit = (p: number, q: number): void => {
    const key = p * width + q;
    if (seen[key] === 0) {
      seen[key] = 1;
      stack.push(key);
    }
  };
  for (let key = stack.pop(); key !== undefined; key = stack.pop()) {
    const p = Math.floor(key / width);
    const q = key % width;
    if (p === s.length && q === t.length) return true;
    const x = s[p];
    const y = t[q];
    // A star may stop matching (epsilon), or eat one character the other side reads.
    if (x?.kind === "star") {
      visit(p + 1, q);
      if (y?.kind === "set" && rangesIntersect(y.ranges, UNIVERSE)) visit(p, q + 1);
    }
    if (y?.kind === "star") {
      visit(p, q + 1);
      if (x?.kind === "set" && rangesIntersect(x.ranges, UNIVERSE)) visit(p + 1, q);
    }
    if (x?.kind === "set" && y?.kind === "set" && rangesIntersect(x.ranges, y.ranges)) visit(p + 1, q + 1);
  }
  return false;
}

function segmentsIntersect(x: Extract<Segment, { kind: "segment" }>, y: Extract<Segment, { kind: "segment" }>): boolean {
  if (x.literal !== undefined && y.literal !== undefined) return x.literal === y.literal;
  return tokensIntersect(x.tokens, y.tokens);
}

/**
 * Whether some path matches both patterns. With a pattern of literal
 * segments on one side this is "does the pattern match this file".
 */
export function patternsIntersect(a: Pattern, b: Pattern): boolean {
  const width = b.length + 1;
  const seen = new Uint8Array((a.length + 1) * width);
  const stack: number[] = [0];
  seen[0] = 1;
  const visit = (i: number, j: number): void => {
    const key = i * width + j;
    if (seen[key] === 0) {
      seen[key] = 1;
      stack.push(key);
    }
  };
  for (let key = stack.pop(); key !== undefined; key = stack.pop()) {
    const i = Math.floor(key / width);
    const j = key % width;
    if (i === a.length && j === b.length) return true;
    const x = a[i];
    const y = b[j];
    // A globstar may stop (epsilon), or eat one whole segment the other side reads
    // (every segment pattern matches at least one string, so this never invents a path).
    if (x?.kind === "globstar") {
      visit(i + 1, j);
      if (y?.kind === "segment") visit(i, j + 1);
    }
    if (y?.kind === "globstar") {
      visit(i, j + 1);
      if (x?.kind === "segment") visit(i + 1, j);
    }
    if (x?.kind === "segment" && y?.kind === "segment" && segmentsIntersect(x, y)) visit(i + 1, j + 1);
  }
  return false;
}
