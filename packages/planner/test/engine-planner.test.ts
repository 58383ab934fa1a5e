import { describe, expect, it } from "vitest";
import {
  type AskPlan,
  type ClassifiedIntake,
  createEnginePlanner,
  createPlanner,
  extractJson,
  intake,
  MAX_ANSWER_CHARS,
  MAX_PLAN_TASKS,
  type PlannerEvent,
} from "../src/index.js";
import { GATES, oracleFor, TS_REPO } from "./fixtures.js";

const NO_JSON = "no JSON object found in the answer: answer with one JSON object (a ```json block is fine)";
const BUDGET = { timeMs: 600_000, tokens: 200_000, usd: 1 };
const goal = intake({ text: "Fix the crash when `omk report` reads an empty file", inspection: TS_REPO }) as ClassifiedIntake;
const oracle = oracleFor(["bugfix"]);
const input = { intake: goal, inspection: TS_REPO, gates: GATES, oracle };

const task = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  title: id,
  description: `do ${id}`,
  role: "implementer",
  dependencies: [],
  reads: ["."],
  writes: [],
  acceptance: [],
  budget: BUDGET,
  ...over,
});
const answer = (tasks: unknown[]) =>
  JSON.stringify({
    summary: "Reproduce the crash with a test, then fix the reader.",
    approach: ["write the test", "fix", "review"],
    risks: ["empty vs missing file"],
    decisions: [{ decision: "test first", rationale: "red before green" }],
    tasks,
  });

const VALID = answer([
  task("regression", { role: "tester", writes: ["test/report.test.ts"], acceptance: ["regression-test"] }),
  task("fix", { dependencies: ["regression"], writes: ["src/report.ts"], acceptance: ["regression-test", "gate-unit", "gate-lint"] }),
  task("review", { role: "reviewer", dependencies: ["fix"], acceptance: ["review"] }),
]);
const CYCLE_AND_CONFLICT = answer([
  task("regression", { role: "tester", dependencies: ["review"], writes: ["src/"], acceptance: ["regression-test"] }),
  task("fix", { writes: ["src/report.ts"], acceptance: ["regression-test", "gate-unit", "gate-lint"] }),
  task("review", { role: "reviewer", dependencies: ["regression"], acceptance: ["review"] }),
]);

/** A scripted engine behind the port: answers in order, and records what it was asked. */
function scripted(answers: string[]): { ask: AskPlan; prompts: string[] } {
  const prompts: string[] = [];
  return {
    prompts,
    ask: async (prompt, context) => {
      prompts.push(prompt);
      const next = answers[context.attempt - 1];
      if (next === undefined) throw new Error("the script ran out of answers");
      return next;
    },
  };
}

describe("engine-assisted planner (scripted engine through the port)", () => {
  it("retries an invalid answer with its errors appended, then accepts a valid one", async () => {
    const engine = scripted(["Sure! Here is my plan: first write a test, then fix it.", VALID]);
    const events: PlannerEvent[] = [];
    const planner = createEnginePlanner({ askPlan: engine.ask, maxAttempts: 3, onEvent: (e) => events.push(e) });
    const r = await planner.plan(input);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.plan).toMatchObject({ strategy: "engine", goalClass: "bugfix", summary: "Reproduce the crash with a test, then fix the reader." });
    expect(r.value.plan.graph.tasks.map((t) => [t.id, t.dependencies])).toEqual([
      ["regression", []],
      ["fix", ["regression"]],
      ["review", ["fix"]],
    ]);
    expect(r.value.plan.decisions.map((d) => d.id)).toEqual(["classification", "strategy", "engine-1"]);
    expect(r.value.attempts.map((a) => a.errors)).toEqual([[NO_JSON], []]);
    // The first prompt carries the goal, the repository, the gates and the oracle; the second adds the rejection.
    expect(engine.prompts[0]).toContain("Goal: Fix the crash when `omk report` reads an empty file");
    expect(engine.prompts[0]).toContain("Named in the goal:\n- codeSpans: `omk report`");
    expect(engine.prompts[0]).toContain("- regression-test (test_case, must fail on the base commit first)");
    expect(engine.prompts[0]).toContain("- unit (test, required): pnpm vitest run");
    expect(engine.prompts[1]?.startsWith(engine.prompts[0] as string)).toBe(true);
    expect(engine.prompts[1]).toContain("Answer 1 was rejected:\n- no JSON object found in the answer");
    expect(events).toEqual([
      { type: "plan_attempt_started", attempt: 1 },
      { type: "plan_attempt_rejected", attempt: 1, errors: [NO_JSON] },
      { type: "plan_attempt_started", attempt: 2 },
      { type: "plan_accepted", attempt: 2 },
    ]);
  });

  it("feeds graph validation errors back: a cycle and an unordered conflict are named in the retry prompt", async () => {
    const engine = scripted([CYCLE_AND_CONFLICT, `\`\`\`json\n${VALID}\n\`\`\``]);
    const r = await createEnginePlanner({ askPlan: engine.ask }).plan(input);
    expect(r.ok).toBe(true);
    const retry = engine.prompts[1] ?? "";
    expect(retry).toContain("- cycle: dependency cycle: regression → review → regression");
    expect(retry).toContain('- unordered_conflict: tasks "regression" and "fix" touch overlapping paths');
  });

  it("rejects with evidence, every attempt and its errors, when no answer is valid", async () => {
    const engine = scripted(["{ not json", JSON.stringify({ summary: "x", approach: [], tasks: [] }), CYCLE_AND_CONFLICT]);
    const r = await createEnginePlanner({ askPlan: engine.ask, maxAttempts: 3 }).plan(input);
    expect(r.ok).toBe(false);
    if (r.ok || r.error.code !== "engine_answers_rejected") throw new Error("expected a rejection");
    expect(r.error.attempts).toHaveLength(3);
    expect(r.error.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(r.error.attempts[0]?.errors[0]).toMatch(/^JSON syntax error in the JSON object at position 0: the object is never closed/);
    expect(r.error.attempts[1]?.errors).toEqual([
      "schema error at approach: Too small: expected array to have >=1 items",
      "schema error at tasks: Too small: expected array to have >=1 items",
    ]);
    expect(r.error.attempts[2]?.errors.some((e) => e.startsWith("cycle:"))).toBe(true);
    expect(r.error.attempts.map((a) => a.answer)).toEqual(["{ not json", JSON.stringify({ summary: "x", approach: [], tasks: [] }), CYCLE_AND_CONFLICT]);
    expect(r.error.attempts[2]?.prompt).toContain("Answer 2 was rejected:");
    expect(r.error.message).toMatch(/rejected 3 time\(s\)/);
    expect(engine.prompts).toHaveLength(3);
  });

  it("rejects unsafe paths and unknown criteria in an engine's tasks", async () => {
    const bad = answer([
      task("fix", { writes: ["/etc/passwd"], acceptance: ["regression-test"] }),
      task("review", { role: "reviewer", dependencies: ["fix"], acceptance: ["review", "made-up"] }),
    ]);
    const r = await createEnginePlanner({ askPlan: scripted([bad]).ask, maxAttempts: 1 }).plan(input);
    const errors = !r.ok && r.error.code === "engine_answers_rejected" ? (r.error.attempts[0]?.errors ?? []) : [];
    expect(errors.some((e) => e.startsWith('unsafe_path: task "fix" writes an unsafe path: "/etc/passwd" is absolute'))).toBe(true);
    expect(errors).toContain(
      'unknown_criterion: task "review" serves "made-up", which is not a criterion of the oracle (regression-test, review, gate-unit, gate-lint)',
    );
  });
});

describe("createPlanner", () => {
  it("is engine-assisted when an engine port is given, deterministic otherwise: one interface", async () => {
    const engine = createPlanner({ askPlan: scripted([VALID]).ask });
    const plain = createPlanner();
    expect([engine.strategy, plain.strategy]).toEqual(["engine", "deterministic"]);
    for (const planner of [engine, plain]) {
      const r = await planner.plan(input);
      expect(r.ok && r.value.plan.strategy).toBe(planner.strategy);
    }
  });
});

describe("extractJson", () => {
  it("takes the whole answer, its single fenced block, or its last object", () => {
    expect(extractJson(' {"a":1} ')).toEqual({ ok: true, value: { a: 1 } });
    expect(extractJson('Plan:\n```json\n{"a":1}\n```\n')).toEqual({ ok: true, value: { a: 1 } });
    expect(extractJson('```json\n{"a":1}\n```\n```json\n{"b":2}\n```')).toEqual({ ok: true, value: { b: 2 } });
    expect(extractJson("I think the plan is good")).toEqual({ ok: false, error: NO_JSON });
  });
});

describe("a narrated plan answer (prose, tool calls, prose, JSON)", () => {
  it("is accepted from the final message after the last tool call", async () => {
    const text = `Let me look at the code first.I'll read src/report.ts {maybe}.Now I know what to do. Here is the plan:\n\n\`\`\`json\n${VALID}\n\`\`\`\n\nLet me know if you want changes.`;
    const final = `Now I know what to do. Here is the plan:\n\n\`\`\`json\n${VALID}\n\`\`\`\n\nLet me know if you want changes.`;
    const r = await createEnginePlanner({ askPlan: async () => ({ text, final }), maxAttempts: 1 }).plan(input);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.plan.graph.tasks.map((t) => t.id)).toEqual(["regression", "fix", "review"]);
    expect(r.value.attempts[0]?.answer).toBe(text);
  });
});

describe("a huge plan answer", () => {
  const N = 20_000;
  const chainOf = (make: (i: number) => unknown) => answer(Array.from({ length: N }, (_, i) => make(i)));

  it("a 20,000-task chain over MAX_ANSWER_CHARS is rejected before parsing, naming the limit", async () => {
    const huge = chainOf((i) => task(`t${i}`, { dependencies: i === 0 ? [] : [`t${i - 1}`], acceptance: ["regression-test"] }));
    expect(huge.length).toBeGreaterThan(MAX_ANSWER_CHARS);
    const r = await createEnginePlanner({ askPlan: scripted([huge]).ask, maxAttempts: 1 }).plan(input);
    const errors = !r.ok && r.error.code === "engine_answers_rejected" ? r.error.attempts[0]?.errors : undefined;
    expect(errors).toEqual([
      `the final message is ${huge.length} characters, over the limit of ${MAX_ANSWER_CHARS} (MAX_ANSWER_CHARS): answer with one JSON object only`,
    ]);
  });

  it("a 20,000-task chain under the size cap is rejected by MAX_PLAN_TASKS before any graph work, and the retry prompt names it", async () => {
    const compact = chainOf((i) => ({ id: `t${i}`, dependencies: i === 0 ? [] : [`t${i - 1}`] }));
    expect(compact.length).toBeLessThan(MAX_ANSWER_CHARS);
    const engine = scripted([compact, VALID]);
    const r = await createEnginePlanner({ askPlan: engine.ask, maxAttempts: 2 }).plan(input);
    expect(r.ok).toBe(true);
    const limit = `schema error at tasks: a plan has at most ${MAX_PLAN_TASKS} tasks (MAX_PLAN_TASKS): plan fewer, larger tasks`;
    expect(r.ok && r.value.attempts[0]?.errors).toEqual([limit]);
    expect(engine.prompts[1]).toContain(`- ${limit}`);
  });
});
