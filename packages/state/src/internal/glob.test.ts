import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GLOBSTAR, literalSegment, type Pattern, parseGlobSegment, patternsIntersect, type Segment } from "./glob.js";

function segment(text: string): Segment {
  const parsed = parseGlobSegment(text);
  if (!parsed.ok) throw new Error(`test setup: ${text} ${parsed.error}`);
  return parsed.value;
}

function glob(text: string): Pattern {
  return text.split("/").map(segment);
}

function file(text: string): Pattern {
  return text.split("/").map(literalSegment);
}

/** An independent reading of the dialect for one segment, through RegExp. */
function segmentRegExp(text: string): RegExp {
  const chars = Array.from(text);
  let source = "";
  let i = 0;
  const escapeChar = (char: string): string => char.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
  while (i < chars.length) {
    const char = chars[i] as string;
    if (char === "*") {
      source += "[^/]*";
      i += 1;
    } else if (char === "?") {
      source += "[^/]";
      i += 1;
    } else if (char === "[") {
      i += 1;
      let body = "";
      if (chars[i] === "!" || chars[i] === "^") {
        body += "^/";
        i += 1;
      }
      let first = true;
      while (chars[i] !== "]" || first) {
        const member = chars[i] as string;
        if (chars[i + 1] === "-" && chars[i + 2] !== undefined && chars[i + 2] !== "]") {
          body += `${escapeChar(member)}-${escapeChar(chars[i + 2] as string)}`;
          i += 3;
        } else {
          body += escapeChar(member);
          i += 1;
        }
        first = false;
      }
      i += 1;
      source += `[${body}]`;
    } else {
      source += escapeChar(char);
      i += 1;
    }
  }
  return new RegExp(`^${source}$`, "u");
}

/** An independent reading of `**`: zero or more whole segments. */
function referenceMatch(patternSegments: readonly string[], fileSegments: readonly string[]): boolean {
  const [head, ...rest] = patternSegments;
  if (head === undefined) return fileSegments.length === 0;
  if (head === "**") {
    return referenceMatch(rest, fileSegments) || (fileSegments.length > 0 && referenceMatch(patternSegments, fileSegments.slice(1)));
  }
  const first = fileSegments[0];
  return first !== undefined && segmentRegExp(head).test(first) && referenceMatch(rest, fileSegments.slice(1));
}

const globToken = fc.constantFrom("a", "b", ".", "*", "?", "[ab]", "[!a]", "[a-b]", "[]a]");
const globSegmentText = fc
  .array(globToken, { minLength: 1, maxLength: 3 })
  .map((tokens) => tokens.join(""))
  .filter((text) => !text.includes("**"));
const globText = fc.array(fc.oneof(globSegmentText, fc.constant("**")), { minLength: 1, maxLength: 4 });
const fileSegmentText = fc.string({ unit: fc.constantFrom("a", "b", ".", "]", "c"), minLength: 1, maxLength: 4 });
const fileText = fc.array(fileSegmentText, { minLength: 1, maxLength: 5 });

/** Every string over {a, b, ., ], c} of length 0..max: enough witnesses for patterns over {a, b, ., ]} ("c" stands for any other character). */
function allStrings(max: number): string[] {
  let layer = [""];
  const all = [""];
  for (let length = 1; length <= max; length += 1) {
    layer = layer.flatMap((prefix) => ["a", "b", ".", "]", "c"].map((char) => prefix + char));
    all.push(...layer);
  }
  return all;
}
const WITNESSES = allStrings(4);

describe("parseGlobSegment", () => {
  it.each([
    ["[ab", "unclosed"],
    ["[!", "unclosed"],
    ["[]", "unclosed"],
    ["[z-a]", "reversed range"],
    ["[[:alpha:]]", "POSIX class"],
    ["*.{ts,tsx}", "braces"],
    ["a**", "whole segment"],
    ["***", "whole segment"],
    ["[!\u0020-\u{10FFFF}]", "matches no character"],
  ])("refuses %j (%s)", (text, problem) => {
    const parsed = parseGlobSegment(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(problem);
  });

  it("reads ** alone as the globstar and keeps literal text", () => {
    expect(parseGlobSegment("**")).toEqual({ ok: true, value: GLOBSTAR });
    const plain = parseGlobSegment("a]}.ts");
    expect(plain.ok && plain.value.kind === "segment" ? plain.value.literal : "wild").toBe("a]}.ts");
    const wild = parseGlobSegment("[a]");
    expect(wild.ok && wild.value.kind === "segment" ? wild.value.literal : "wild").toBeUndefined();
  });
});

describe("patternsIntersect", () => {
  it.each([
    ["src/*.ts", "src/a.ts", true],
    ["src/*.ts", "src/a/b.ts", false],
    ["src/**/*.ts", "src/a.ts", true],
    ["src/**/*.ts", "src/a/b/c.ts", true],
    ["src/**/*.ts", "lib/a.ts", false],
    ["**", "a/b/c", true],
    ["src/**", "src", true],
    ["*", ".env", true],
    ["?", "ab", false],
    ["[!a]", "a", false],
    ["[!a]", "é", true],
    ["[^a]", "a", false],
    ["[^a]", "b", true],
    ["[!-0]", "/", false],
    ["[!-0]", "z", true],
    ["[]a]", "]", true],
    ["[[]id]", "[id]", true],
    ["[[]id]", "i", false],
    ["*.md", "a/b.md", false],
    ["[a-c]x", "bx", true],
    ["[a-c]x", "dx", false],
  ])("glob %j against file %j is %s", (pattern, path, expected) => {
    expect(patternsIntersect(glob(pattern), file(path))).toBe(expected);
    expect(patternsIntersect(file(path), glob(pattern))).toBe(expected);
  });

  it.each([
    ["src/*.ts", "src/*.md", false],
    ["src/**/*.ts", "src/a/*.md", false],
    ["src/**", "src/a/*.md", true],
    ["**/a", "b/**", true],
    ["*a", "b*", true],
    ["a*", "*b*c", true],
    ["a*", "b*", false],
    ["*.ts", "*.tsx", false],
    ["[ab]", "[!ab]", false],
    ["[!a]", "[!b]", true],
    ["?", "??", false],
    ["*/x", "a/*/x", false],
  ])("globs %j and %j intersect: %s", (x, y, expected) => {
    expect(patternsIntersect(glob(x), glob(y))).toBe(expected);
    expect(patternsIntersect(glob(y), glob(x))).toBe(expected);
  });

  it("matches files exactly as an independent reference does", () => {
    fc.assert(
      fc.property(globText, fileText, (patternSegments, fileSegments) => {
        const pattern = patternSegments.map(segment);
        expect(patternsIntersect(pattern, fileSegments.map(literalSegment))).toBe(referenceMatch(patternSegments, fileSegments));
      }),
      { numRuns: 500 },
    );
  });

  it("decides segment overlap exactly: true iff some string matches both", () => {
    const short = fc
      .array(globToken, { minLength: 1, maxLength: 2 })
      .map((tokens) => tokens.join(""))
      .filter((text) => !text.includes("**"));
    fc.assert(
      fc.property(short, short, (x, y) => {
        const expected = WITNESSES.some((w) => segmentRegExp(x).test(w) && segmentRegExp(y).test(w));
        expect(patternsIntersect([segment(x)], [segment(y)])).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  // No timing assertion (speed is for benchmarks): a backtracking matcher is
  // exponential in the 1000 stars and would never finish; the memoized one
  // answers within the test timeout.
  it("answers on long hostile segments", () => {
    const long = `${"*a".repeat(1000)}b`;
    expect(patternsIntersect([segment(long)], [segment(`${"*a".repeat(1000)}c`)])).toBe(false);
  });
});
