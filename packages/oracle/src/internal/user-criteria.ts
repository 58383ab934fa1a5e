import type { Criterion, GoalClass } from "@omk/state";
import { analyzeCommand, formatCommand } from "../vacuity.js";

/**
 * A goal's own terminal criteria (GoalSpec.terminalCriteria), one per line:
 *
 *   command: <shell>            must exit 0 on head
 *   red: <shell>                must fail on base and exit 0 on head
 *   test: <JUnit case name>     a test case that must pass (red on base for bugfix, feature, hardening, greenfield)
 *   golden: <shell>             same stdout on base and head
 *   bench: <shell>              wall time on head at least 10% (or the goal's "by N%") below base
 *   bench /<regex>/ [higher]: <shell>   the first group of the last matching output line instead of the time
 *
 * Anything else is prose: it becomes a checklist item of a review criterion.
 */
export type UserCriteria = {
  readonly criteria: Criterion[];
  readonly problems: Array<{ criterion: string; message: string; question: string }>;
};

const RED_GREEN_TESTS: ReadonlySet<GoalClass> = new Set(["bugfix", "feature", "hardening", "greenfield"]);
const FORM = /^(command|red|test|golden|bench)(?:\s+\/(.+)\/\s*(higher|lower)?)?\s*:\s*(.+)$/isu;

const shell = (script: string): string[] => ["sh", "-c", script];

export function parseUserCriteria(
  lines: readonly string[],
  options: { classes: readonly GoalClass[]; testCommand: readonly string[] | null; minImprovement: number },
): UserCriteria {
  const criteria: Criterion[] = [];
  const problems: UserCriteria["problems"] = [];
  const prose: string[] = [];
  lines.forEach((line, index) => {
    const id = `user-${index + 1}`;
    const match = FORM.exec(line.trim());
    if (match === null) {
      prose.push(line.trim());
      return;
    }
    const form = (match[1] as string).toLowerCase();
    const body = (match[4] as string).trim();
    if (form === "test") {
      if (options.testCommand === null) {
        problems.push({
          criterion: id,
          message: `criterion ${id} names the test "${body}", but no test command is known`,
          question: "Which command runs the tests and writes a JUnit report?",
        });
        return;
      }
      criteria.push({
        id,
        kind: "test_case",
        description: `the test case "${body}" passes on the head commit`,
        mustFailOnBase: options.classes.some((c) => RED_GREEN_TESTS.has(c)),
        run: { command: [...options.testCommand], case: { name: body, match: "contains" } },
      });
      return;
    }
    const command = shell(body);
    const analysis = analyzeCommand(command);
    if (analysis.outcome !== "maybe") {
      problems.push({
        criterion: id,
        message: `criterion ${id} runs \`${body}\`, which ${analysis.outcome === "always" ? "cannot fail" : "cannot pass"}: ${analysis.reason}`,
        question: `Criterion ${id} (\`${body}\`) ${analysis.outcome === "always" ? "always succeeds, so it proves nothing" : "always fails"}: which command should check it instead?`,
      });
      return;
    }
    if (form === "command" || form === "red") {
      criteria.push({
        id,
        kind: "command",
        description: form === "red" ? `\`${body}\` fails on the base commit and exits 0 on the head commit` : `\`${body}\` exits 0 on the head commit`,
        mustFailOnBase: form === "red",
        run: { command, cwd: "." },
      });
    } else if (form === "golden") {
      criteria.push({
        id,
        kind: "golden",
        description: `\`${body}\` prints the same output on base and head`,
        mustFailOnBase: false,
        run: { command, compare: "stdout" },
      });
    } else {
      const pattern = match[2];
      const better = pattern !== undefined && match[3]?.toLowerCase() === "higher" ? "higher" : "lower";
      criteria.push({
        id,
        kind: "benchmark",
        description: `\`${formatCommand(command)}\` improves by at least ${Math.round(options.minImprovement * 100)}% over the base commit`,
        mustFailOnBase: false,
        run: {
          command,
          metric: pattern === undefined ? { source: "duration", unit: "ms" } : { source: "stdout", pattern, unit: "value" },
          better,
          minImprovement: options.minImprovement,
        },
      });
    }
  });
  if (prose.length > 0) {
    criteria.push({
      id: "user-review",
      kind: "review",
      description: "a reviewer confirms the goal's own criteria that no command checks",
      mustFailOnBase: false,
      run: { reviewer: "reviewer", checklist: prose },
    });
  }
  return { criteria, problems };
}

/** "by 30%" / "30% faster" → 0.3; "2x faster" / "twice as fast" → 0.5; else the default. */
export function improvementFromText(text: string, fallback = 0.1): number {
  const percent = /(\d+(?:\.\d+)?)\s*%/u.exec(text);
  if (percent !== null) {
    const value = Number(percent[1]) / 100;
    if (value > 0 && value < 1) return value;
  }
  const times = /(\d+(?:\.\d+)?)\s*(?:x|×|times)\s+(?:faster|quicker|less)/iu.exec(text);
  if (times !== null) {
    const factor = Number(times[1]);
    if (factor > 1) return Math.min(0.95, 1 - 1 / factor);
  }
  if (/\btwice as (?:fast|quick)\b|\bhalve\b/iu.test(text)) return 0.5;
  return fallback;
}
