import { describe, expect, it } from "vitest";
import { z } from "zod";
import { extractAnswer, parseAnswer, topLevelObjects } from "../src/index.js";

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
    expect(extractAnswer(text)).toEqual({ ok: true, value: { verdict: "blocked", findings: [{ severity: "major", message: 'the template `${a}` prints "}" and {unclosed' }] } });
    expect(topLevelObjects('a {"x":"}"} b {"y":1}').map((s) => [s.start, s.end])).toEqual([
      [2, 11],
      [14, 21],
    ]);
  });

  it("apostrophes and quotes in the prose around the object are not strings", () => {
    expect(extractAnswer(`Don't worry, I'll say "done" after this: {"verdict":"passed","findings":[]} It's "fine".`)).toEqual({ ok: true, value: { verdict: "passed", findings: [] } });
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
    const fenced = extractAnswer("```json\n{\"verdict\": passed}\n```");
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
});
