/**
 * Building an oracle: the criteria a goal of a given class needs, from data
 * the controller gathered (the gates @omk/gates detected, the project's test
 * command, the goal's own terminal criteria). Pure: nothing is run here.
 *
 * Shapes by class (each also gets one criterion per required gate):
 * - bugfix: a regression test, red on base and green on head; a review.
 * - feature: acceptance tests, red → green; a review.
 * - greenfield: acceptance tests, red → green; a smoke command (the build,
 *   else the test command); a review.
 * - rewrite (port, migration): compatibility by comparison: every test
 *   passing on base passes on head, golden gates, `golden:` criteria; a review.
 * - refactor: behaviour unchanged (no passing test lost); a review.
 * - hardening: security tests red → green and/or the security gates; a
 *   security review.
 * - performance: a benchmark against base (benchmark gates, `bench:`
 *   criteria); behaviour unchanged; a review.
 * - docs: a docs build or link check (gates named for docs, or the goal's
 *   own commands); a review.
 * - mixed: the union of its classes' criteria.
 * New tests are found by a tag in their name, `[oracle:<criterion id>]`,
 * which the plan tells the tester to use. When a class's essential check
 * cannot be formed (no test command for a red → green test, no benchmark,
 * no docs check), the oracle is blocked with the question that unblocks it.
 */
import {
  type Criterion,
  type GateDescriptor,
  GateDescriptorSchema,
  type GoalClass,
  GoalClassSchema,
  type Oracle,
  OracleSchema,
  SCHEMA_VERSION,
} from "@omk/state";
import { z } from "zod";
import { improvementFromText, parseUserCriteria } from "./internal/user-criteria.js";
import { formatCommand } from "./vacuity.js";

const OracleRequestSchema = z
  .object({
    goalClass: GoalClassSchema,
    classes: z
      .array(GoalClassSchema.exclude(["mixed"]))
      .min(1)
      .optional()
      .describe("a mixed goal's classes; others default to [goalClass]"),
    goalText: z.string().min(1),
    gates: z.array(GateDescriptorSchema).default([]),
    testCommand: z.array(z.string()).min(1).nullable().default(null).describe("runs the tests and writes a JUnit report"),
    buildCommand: z.array(z.string()).min(1).nullable().default(null),
    terminalCriteria: z.array(z.string().min(1)).default([]),
  })
  .transform((request, ctx) => {
    const classes = request.classes ?? (request.goalClass === "mixed" ? [] : [request.goalClass]);
    if (request.goalClass === "mixed" ? classes.length < 2 : classes.length !== 1 || classes[0] !== request.goalClass) {
      ctx.addIssue({ code: "custom", path: ["classes"], message: "a mixed goal lists two or more classes; any other lists only its own class" });
    }
    return { ...request, classes };
  });
export type OracleRequest = z.input<typeof OracleRequestSchema>;

type OracleBlock = { readonly class: GoalClass | null; readonly message: string; readonly question: string };

export type OracleBuild =
  | { readonly status: "formed"; readonly oracle: Oracle; readonly notes: readonly string[] }
  | { readonly status: "blocked"; readonly reasons: readonly OracleBlock[]; readonly questions: readonly string[] };

type Ctx = z.output<typeof OracleRequestSchema>;
type Shape = { criteria: Criterion[]; blocks: OracleBlock[]; notes: string[] };

const DOCS_GATE = /\b(docs?|documentation|links?|markdown|mdx|vale|typedoc|sphinx|mkdocs|docusaurus)\b/iu;

/** The tag a new test's name carries so the oracle can find it in a JUnit report. */
export function testTag(criterionId: string): string {
  return `[oracle:${criterionId}]`;
}

function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/gu, "-")
    .replace(/^[^a-z0-9]+|-+$/gu, "");
  return s === "" ? "gate" : s.slice(0, 100);
}

function gateCriterion(gate: GateDescriptor): Criterion {
  return {
    id: `gate-${slug(gate.name)}`,
    kind: "gate",
    description: `the ${gate.kind} gate "${gate.name}" passes on the head commit`,
    mustFailOnBase: false,
    run: { gate: gate.name },
  };
}

function taggedTest(ctx: Ctx, id: string, what: string): Criterion | undefined {
  if (ctx.testCommand === null) return undefined;
  return {
    id,
    kind: "test_case",
    description: `${what}: a test whose name holds ${testTag(id)} fails on the base commit and passes on the head commit`,
    mustFailOnBase: true,
    run: { command: [...ctx.testCommand], case: { name: testTag(id), match: "contains" } },
  };
}

function noPassingTestLost(ctx: Ctx, id: string, what: string): Criterion | undefined {
  if (ctx.testCommand === null) return undefined;
  return {
    id,
    kind: "golden",
    description: `${what}: every test case that passes on the base commit passes on the head commit`,
    mustFailOnBase: false,
    run: { command: [...ctx.testCommand], compare: "passing_cases" },
  };
}

function review(id: string, reviewer: "reviewer" | "security-reviewer", checklist: string[]): Criterion {
  return { id, kind: "review", description: `a ${reviewer} approves the change against its checklist`, mustFailOnBase: false, run: { reviewer, checklist } };
}

const NO_TESTS = "Which command runs the project's tests and writes a JUnit report (e.g. `npx vitest run --reporter=junit`)?";

function shapeFor(goalClass: GoalClass, ctx: Ctx): Shape {
  const criteria: Criterion[] = [];
  const blocks: OracleBlock[] = [];
  const notes: string[] = [];
  const push = (c: Criterion | undefined) => {
    if (c !== undefined) criteria.push(c);
  };
  const block = (message: string, question: string) => blocks.push({ class: goalClass, message, question });
  switch (goalClass) {
    case "bugfix": {
      const test = taggedTest(ctx, "regression-test", "the bug is reproduced by a regression test");
      if (test === undefined) block("a bug fix needs a regression test that fails on the base commit, and no test command is known", NO_TESTS);
      push(test);
      push(
        review("review", "reviewer", [
          "the fix addresses the cause, not the symptom",
          "the regression test reproduces the reported failure",
          "no unrelated behaviour changed",
        ]),
      );
      break;
    }
    case "feature": {
      const test = taggedTest(ctx, "acceptance-tests", "the new behaviour is specified by acceptance tests");
      if (test === undefined) block("a feature needs acceptance tests that fail before it exists, and no test command is known", NO_TESTS);
      push(test);
      push(
        review("review", "reviewer", [
          "the feature does what the goal asks",
          "the acceptance tests exercise it from the user's side",
          "docs mention the new behaviour",
        ]),
      );
      break;
    }
    case "greenfield": {
      const test = taggedTest(ctx, "acceptance-tests", "the new project's behaviour is specified by acceptance tests");
      if (test === undefined) block("a new project needs acceptance tests, and no test command was chosen", NO_TESTS);
      push(test);
      const smoke = ctx.buildCommand ?? ctx.testCommand;
      if (smoke !== null) {
        push({
          id: "smoke",
          kind: "command",
          description: `smoke check: \`${formatCommand(smoke)}\` exits 0 on a clean checkout of the head commit`,
          mustFailOnBase: false,
          run: { command: [...smoke], cwd: "." },
        });
      }
      push(review("review", "reviewer", ["the project builds and runs from a clean checkout", "the README says how to run it"]));
      break;
    }
    case "rewrite": {
      const compat = noPassingTestLost(ctx, "compat-tests", "compatibility");
      push(compat);
      const golden = ctx.gates.filter((g) => g.kind === "golden").map(gateCriterion);
      criteria.push(...golden);
      const ownGolden = ctx.terminalCriteria.some((line) => /^golden\s*:/iu.test(line.trim()));
      if (compat === undefined && golden.length === 0 && !ownGolden) {
        block(
          "a rewrite needs a compatibility check between base and head, and there is no test suite, golden gate or `golden:` criterion",
          "Which command's output must stay the same after the rewrite (add it as `golden: <command>`), or which command runs the tests?",
        );
      }
      if (compat !== undefined && ctx.classes.length === 1)
        notes.push("a port to another language may rename test cases; name the outputs that must match as `golden: <command>` criteria");
      push(review("review", "reviewer", ["the public interface is unchanged or every change is listed", "no feature of the original is dropped"]));
      break;
    }
    case "refactor": {
      const unchanged = noPassingTestLost(ctx, "behaviour-unchanged", "behaviour is unchanged");
      push(unchanged);
      if (unchanged === undefined && ctx.gates.filter((g) => g.required).length === 0) {
        block(
          "a refactor must keep existing checks green, and the project has no test suite or required gate",
          "Which command checks that the behaviour is unchanged?",
        );
      }
      push(review("review", "reviewer", ["no behaviour changed", "the structure is simpler than before"]));
      break;
    }
    case "hardening": {
      push(taggedTest(ctx, "security-tests", "the weakness is demonstrated by a test"));
      const security = ctx.gates.filter((g) => g.kind === "security" && !g.required).map(gateCriterion);
      criteria.push(...security);
      if (ctx.testCommand === null && ctx.gates.every((g) => g.kind !== "security")) {
        block(
          "hardening needs a security test or a security gate, and neither is available",
          "Which check proves the weakness is closed (a test command, or a security scanner to run as a gate)?",
        );
      }
      push(
        review("security-review", "security-reviewer", [
          "the weakness named by the goal is closed",
          "no new weakness is introduced (inputs, secrets, permissions)",
        ]),
      );
      break;
    }
    case "performance": {
      const minImprovement = improvementFromText(ctx.goalText);
      const benches = ctx.gates.filter((g) => g.kind === "benchmark");
      for (const gate of benches) {
        criteria.push({
          id: `benchmark-${slug(gate.name)}`,
          kind: "benchmark",
          description: `the benchmark "${gate.name}" runs at least ${Math.round(minImprovement * 100)}% faster on head than on base`,
          mustFailOnBase: false,
          run: { command: [...gate.command], metric: { source: "duration", unit: "ms" }, better: "lower", minImprovement },
        });
      }
      const ownBench = ctx.terminalCriteria.some((line) => /^bench\b/iu.test(line.trim()));
      if (benches.length === 0 && !ownBench) {
        block(
          "a performance goal needs a benchmark to compare base and head, and none is configured",
          "Which command measures the speed (add it as a benchmark gate, or as `bench: <command>`), and by how much should it improve?",
        );
      }
      push(noPassingTestLost(ctx, "behaviour-unchanged", "behaviour is unchanged"));
      push(review("review", "reviewer", ["the speed-up does not trade away correctness", "the benchmark measures the path the goal names"]));
      break;
    }
    case "docs": {
      const docsGates = ctx.gates.filter((g) => DOCS_GATE.test(g.name) || DOCS_GATE.test(g.command.join(" ")));
      criteria.push(...docsGates.filter((g) => !g.required).map(gateCriterion));
      const ownCommand = ctx.terminalCriteria.some((line) => /^(command|red)\s*:/iu.test(line.trim()));
      if (docsGates.length === 0 && !ownCommand) {
        block(
          "a docs goal needs a docs build or link check, and none is configured",
          "Which command builds the docs or checks their links (add it as a gate, or as `command: <command>`)?",
        );
      }
      push(review("docs-review", "reviewer", ["the docs are accurate against the code", "examples in the docs run as written"]));
      break;
    }
    case "mixed":
      break;
  }
  return { criteria, blocks, notes };
}

/**
 * The oracle for a goal, or the reasons it cannot be formed (each with the
 * question a person must answer). Criteria are ordered: the class's own
 * checks, the required gates, the goal's own criteria, the reviews.
 */
export function buildOracle(input: OracleRequest): OracleBuild {
  const ctx = OracleRequestSchema.parse(input);
  const criteria = new Map<string, Criterion>();
  const reviews = new Map<string, Criterion>();
  const blocks: OracleBlock[] = [];
  const notes: string[] = [];
  const add = (c: Criterion) => {
    const into = c.kind === "review" ? reviews : criteria;
    if (!criteria.has(c.id) && !reviews.has(c.id)) into.set(c.id, c);
  };
  for (const goalClass of ctx.classes) {
    const shape = shapeFor(goalClass, ctx);
    shape.criteria.forEach(add);
    blocks.push(...shape.blocks);
    notes.push(...shape.notes);
  }
  for (const gate of ctx.gates.filter((g) => g.required)) add(gateCriterion(gate));
  const own = parseUserCriteria(ctx.terminalCriteria, {
    classes: ctx.classes,
    testCommand: ctx.testCommand,
    minImprovement: improvementFromText(ctx.goalText),
  });
  own.criteria.forEach(add);
  for (const problem of own.problems) blocks.push({ class: null, message: problem.message, question: problem.question });
  if (blocks.length > 0) return { status: "blocked", reasons: blocks, questions: [...new Set(blocks.map((b) => b.question))] };
  const oracle = OracleSchema.parse({
    schemaVersion: SCHEMA_VERSION,
    goalClass: ctx.goalClass,
    classes: ctx.classes,
    criteria: [...criteria.values(), ...reviews.values()],
  });
  return { status: "formed", oracle, notes: [...new Set(notes)] };
}
