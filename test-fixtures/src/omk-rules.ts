/**
 * Model-server rules for the sessions OMK opens: the planning prompt, a
 * task's prompt, a review pass and the follow-up planning of --until-ready.
 * The matchers follow the prompts OMK writes (packages/planner
 * internal/prompt.ts, controller tasks/task-prompt.ts, review/prompt.ts,
 * followups.ts); the answers read their prompt like a model would (the
 * oracle criteria ids, the task graph) and put prose around their JSON.
 */
import type { ModelAction, ModelFault, ModelReply, ModelRequest, ModelRule } from "./model-server.js";

/** The first line of each OMK prompt. */
const OMK_PROMPT = {
  plan: /You are planning a software change for OMK\./,
  task: /^# Task \S+: /m,
  review: /^# Review \((?:reviewer|security-reviewer|break-it)\), round \d+/m,
  followups: /You plan the follow-up tasks of round \d+ of a goal\./,
} as const;

/** The oracle criteria ids a planning prompt lists. */
function criteriaIdsOf(prompt: string): string[] {
  const start = prompt.indexOf("Oracle criteria");
  if (start < 0) return [];
  const ids: string[] = [];
  for (const line of prompt.slice(start).split("\n").slice(1)) {
    const m = /^- (\S+) \(/.exec(line);
    if (m?.[1] === undefined) break;
    ids.push(m[1]);
  }
  return ids;
}

export type PlannedTask = {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly reads: readonly string[];
  readonly writes: readonly string[];
  readonly role?: string;
  /** Criteria ids; default: every criterion of the prompt. */
  readonly acceptance?: readonly string[];
  readonly budget?: { timeMs: number; tokens: number; usd: number };
};

const BUDGET = { timeMs: 600_000, tokens: 1_500_000, usd: 4 };

/** A plan answer for the prompt: prose, the JSON in a fenced block, a closing line. */
function planAnswer(prompt: string, tasks: readonly PlannedTask[], summary: string): string {
  const criteria = criteriaIdsOf(prompt);
  const plan = {
    summary,
    approach: tasks.map((t) => t.title),
    risks: ["the fix could change behaviour other callers rely on"],
    outOfScope: ["unrelated refactoring"],
    decisions: [{ decision: "fix the bug where it lives", rationale: "the smallest change that makes the behaviour right", constraints: [] }],
    tasks: tasks.map((t) => ({
      id: t.id,
      title: t.title,
      description: t.description,
      role: t.role ?? "implementer",
      dependencies: [],
      reads: [...t.reads],
      writes: [...t.writes],
      acceptance: [...(t.acceptance ?? criteria)],
      budget: t.budget ?? BUDGET,
    })),
  };
  return `I looked at the repository and the checks. Here is the plan:\n\n\`\`\`json\n${JSON.stringify(plan, null, 2)}\n\`\`\`\n\nOne task is enough: the change is small and its files are known.`;
}

/** The planning session: narrate, look at the code, then answer the plan with prose around it. */
export function planRule(tasks: readonly PlannedTask[], options: { summary?: string; look?: string; fault?: ModelFault } = {}): ModelRule {
  const look = options.look;
  return {
    name: "plan",
    match: OMK_PROMPT.plan,
    ...(options.fault === undefined ? {} : { fault: options.fault }),
    steps: [
      ...(look === undefined ? [] : [{ text: "Let me look at the code first.", actions: [{ read: look }] }]),
      (r: ModelRequest) => ({ text: planAnswer(r.instruction, tasks, options.summary ?? "Fix the bug and cover it with a regression test.") }),
    ],
  };
}

/** A review pass: it reads the diff in its prompt and approves, with prose around the verdict. */
export function reviewRule(options: { verdict?: "passed" | "blocked"; findings?: unknown[]; fault?: ModelFault } = {}): ModelRule {
  const answer = { verdict: options.verdict ?? "passed", findings: options.findings ?? [] };
  return {
    name: "review",
    match: OMK_PROMPT.review,
    ...(options.fault === undefined ? {} : { fault: options.fault }),
    steps: [
      {
        text: `I read the diff and the gate evidence. The change does what the goal asks and the regression test covers it.\n\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`\n\nNothing else to add.`,
      },
    ],
  };
}

/** Follow-up planning: one implementer task over the writes of the graph's tasks, as JSON after a sentence. */
function _followUpRule(options: { fault?: ModelFault } = {}): ModelRule {
  return {
    name: "followups",
    match: OMK_PROMPT.followups,
    ...(options.fault === undefined ? {} : { fault: options.fault }),
    steps: [
      (r: ModelRequest) => {
        const round = /follow-up tasks of round (\d+)/.exec(r.instruction)?.[1] ?? "2";
        const writes = [
          ...new Set([...r.instruction.matchAll(/^- \S+ \((?:implementer|tester|docs), \w+\) writes (.+)$/gm)].flatMap((m) => (m[1] ?? "").split(", "))),
        ].filter((w) => w !== "nothing");
        const criteria = (/Oracle criteria ids: (.*)\./.exec(r.instruction)?.[1] ?? "").split(", ").filter((c) => c !== "");
        const task = {
          id: `fix-again-r${round}`,
          title: "Fix what the last round left failing",
          description: "Make the failing checks named above pass.",
          role: "implementer",
          dependencies: [],
          reads: [],
          writes: writes.length > 0 ? writes : ["src/"],
          acceptance: criteria,
          budget: BUDGET,
        };
        return { text: `The last round left checks failing. One more task should do it:\n\n${JSON.stringify({ tasks: [task] })}\n\nThat is all.` };
      },
    ],
  };
}

/** A task session, matched by its task id (or any task): the replies in order, each narrated. */
export function taskRule(steps: ModelRule["steps"], options: { taskId?: string; name?: string; fault?: ModelFault } = {}): ModelRule {
  const id = options.taskId;
  return {
    name: options.name ?? `task${id === undefined ? "" : `:${id}`}`,
    match: id === undefined ? OMK_PROMPT.task : new RegExp(`^# Task ${id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `, "m"),
    ...(options.fault === undefined ? {} : { fault: options.fault }),
    steps,
  };
}

/** Narration and an action, for a step. */
export const say = (text: string, ...actions: ModelAction[]): ModelReply => ({ text, actions });
