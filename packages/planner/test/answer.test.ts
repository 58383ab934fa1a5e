import { describe, expect, it } from "vitest";
import { z } from "zod";
import { extractAnswer, MAX_ANSWER_CHARS, MAX_UNCLOSED_OBJECTS, parseAnswer, topLevelObjects } from "../src/index.js";

const Schema = z.object({ verdict: z.enum(["passed", "blocked"]), findings: z.array(z.object({ severity: z.string(), message: z.string() })) });

describe("extractAnswer: the answer in the words real models use", () => {
  it("takes the single fenced json block of the final message, ignoring the narration around it", () => {
    const final = 'I looked at the diff. Here is my review:\n\n```json\n{"verdict":"passed","findings":[]}\n```\n\nOverall the change looks good {mostly}.';
    const text = `Let me look at the code first.I will read src/a.ts now.${final}`;
    expect(extractAnswer({ text, final })).toEqual({ ok: true, value: { verdict: "passed", findings: [] } });
  });

  it("takes a bare JSON object followed by a trailing sentence", () => {
    expect(extractAnswer('{"verdict":"blocked","findings":[{"severity":"major","message":"x"}]}\nThat is all I found.')).toEqual({
      ok: true,
      value: { verdict: "blocked", findings: [{ severity: "major", message: "x" }] },
    });
  });

  it("takes the last of two JSON objects: the earlier one is a draft or an example", () => {
    const text = 'A finding looks like {"severity":"minor","message":"m"}. My answer:\n{"verdict":"passed","findings":[]}';
    expect(extractAnswer(text)).toEqual({ ok: true, value: { verdict: "passed", findings: [] } });
  });

  it("matches braces string-aware: braces and quotes inside strings do not end the object", () => {
    const text = 'Here it is: {"verdict":"blocked","findings":[{"severity":"major","message":"the template `${a}` prints \\"}\\" and {unclosed"}]} done.';
    expect(extractAnswer(text)).toEqual({
      ok: true,
      value: { verdict: "blocked", findings: [{ severity: "major", message: 'the template `${a}` prints "}" and {unclosed' }] },
    });
    expect(topLevelObjects('a {"x":"}"} b {"y":1}').map((s) => [s.start, s.end])).toEqual([
      [2, 11],
      [14, 21],
    ]);
  });

  it("apostrophes and quotes in the prose around the object are not strings", () => {
    expect(extractAnswer(`Don't worry, I'll say "done" after this: {"verdict":"passed","findings":[]} It's "fine".`)).toEqual({
      ok: true,
      value: { verdict: "passed", findings: [] },
    });
  });

  it("looks at the final message first: JSON the model quoted before a tool call is not the answer", () => {
    const text = 'The config is {"verdict":"blocked","findings":[]}.{"verdict":"passed","findings":[]}';
    expect(extractAnswer({ text, final: '{"verdict":"passed","findings":[]}' })).toEqual({ ok: true, value: { verdict: "passed", findings: [] } });
  });

  it("falls back to the whole turn when the final message holds no object (the model answered, then called a tool, then said done)", () => {
    const text = 'Answer: {"verdict":"passed","findings":[]}Done.';
    expect(extractAnswer({ text, final: "Done." })).toEqual({ ok: true, value: { verdict: "passed", findings: [] } });
  });

  it("names what was wrong: no JSON object, or a syntax error with its position", () => {
    const none = extractAnswer("Let me look at the code first.");
    expect(none).toEqual({ ok: false, error: { kind: "no_json", message: expect.stringMatching(/^no JSON object found in the answer/) } });
    const broken = extractAnswer('Here: {"verdict": "passed", "findings": [,]}');
    expect(broken.ok).toBe(false);
    if (broken.ok) return;
    expect(broken.error.kind).toBe("syntax");
    expect(broken.error.message).toMatch(/^JSON syntax error in the JSON object at position 6: Unexpected token/);
    const fenced = extractAnswer('```json\n{"verdict": passed}\n```');
    expect(!fenced.ok && fenced.error.message).toMatch(/^JSON syntax error in the fenced json block: /);
    const unclosed = extractAnswer('Here: {"verdict": "passed"');
    expect(!unclosed.ok && unclosed.error.message).toBe('JSON syntax error in the JSON object at position 6: the object is never closed (a "}" is missing)');
  });

  it("parseAnswer names schema errors at their key path", () => {
    expect(parseAnswer('Sure. {"verdict":"maybe","findings":[{"severity":"major"}]}', Schema)).toEqual({
      ok: false,
      error: [expect.stringMatching(/^schema error at verdict: /), expect.stringMatching(/^schema error at findings\.0\.message: /)],
    });
  });

  it("takes the LAST candidate by position: a quoted ```json fixture before the real unfenced answer is not the answer", () => {
    const final =
      'The test fixture says:\n```json\n{"verdict":"passed","findings":[]}\n```\nBut the change breaks it, so my answer is:\n{"verdict":"blocked","findings":[{"severity":"major","message":"the fixture no longer holds"}]}';
    expect(parseAnswer({ text: final, final }, Schema)).toEqual({
      ok: true,
      value: { verdict: "blocked", findings: [{ severity: "major", message: "the fixture no longer holds" }] },
    });
  });

  it("never falls back to an earlier candidate when the last one is wrong: it names what was wrong", () => {
    const schema = parseAnswer('```json\n{"verdict":"passed","findings":[]}\n```\nMy answer: {"verdict":"blocked"}', Schema);
    expect(schema).toEqual({ ok: false, error: [expect.stringMatching(/^schema error at findings: /)] });
    const syntax = extractAnswer('A fixture: {"verdict":"passed","findings":[]}\nMine: {"verdict":"blocked","findings":[{"severity":"major","message":"x"},]}');
    expect(!syntax.ok && syntax.error.message).toMatch(/^JSON syntax error in the JSON object at position 52: /);
    const truncated = extractAnswer('A fixture: {"verdict":"passed","findings":[]}\nMine: {"verdict":"blocked","findings":[');
    expect(!truncated.ok && truncated.error.message).toBe('JSON syntax error in the JSON object at position 52: the object is never closed (a "}" is missing)');
  });

  it("a pretty-printed answer whose strings mention ``` is one object, not fences", () => {
    const value = {
      verdict: "blocked",
      findings: [
        { severity: "major", message: "the prompt opens with ```json" },
        { severity: "minor", message: "and closes with ```" },
      ],
    };
    const pretty = `Here is my review:\n${JSON.stringify(value, null, 2)}\nDone.`;
    expect(extractAnswer(pretty)).toEqual({ ok: true, value });
    expect(extractAnswer(`\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``)).toEqual({ ok: true, value });
  });

  it("a stray quote in narration does not swallow the real answer", () => {
    const text = 'I renamed {name"} in the template. {"verdict":"blocked","findings":[{"severity":"major","message":"x"}]}';
    expect(extractAnswer(text)).toEqual({ ok: true, value: { verdict: "blocked", findings: [{ severity: "major", message: "x" }] } });
    expect(extractAnswer('{"name} and then {"verdict":"passed","findings":[]}')).toEqual({ ok: true, value: { verdict: "passed", findings: [] } });
    const many = extractAnswer(`${'{"a'.repeat(MAX_UNCLOSED_OBJECTS + 1)} {"verdict":"passed","findings":[]}`);
    expect(!many.ok && many.error.message).toContain(`more than ${MAX_UNCLOSED_OBJECTS} "{" that are never closed (MAX_UNCLOSED_OBJECTS)`);
  });

  it("fences open and close at a line start; code fences are not answers", () => {
    const text = 'Run ```npm test``` first.\n```ts\nconst x = {"verdict":"blocked","findings":[]};\n```\n~~~~json\n{"verdict":"passed","findings":[]}\n~~~~\n';
    expect(extractAnswer(text)).toEqual({ ok: true, value: { verdict: "passed", findings: [] } });
  });

  it("rejects an answer text over MAX_ANSWER_CHARS before parsing, naming the limit", () => {
    const huge = `${"x".repeat(MAX_ANSWER_CHARS)} {"verdict":"passed","findings":[]}`;
    expect(extractAnswer(huge)).toEqual({
      ok: false,
      error: { kind: "too_large", message: expect.stringContaining(`over the limit of ${MAX_ANSWER_CHARS} (MAX_ANSWER_CHARS)`) },
    });
    // A huge turn does not matter when the final message holds the answer.
    expect(extractAnswer({ text: huge, final: '{"verdict":"passed","findings":[]}' }).ok).toBe(true);
  });
});
