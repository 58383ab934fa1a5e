import type { GateDescriptor, GoalClass } from "@omk/state";
import { describe, expect, it } from "vitest";
import { buildOracle, type OracleBuild, type OracleRequest } from "./build.js";

const TESTS = ["npx", "vitest", "run", "--reporter=junit", "--outputFile=junit.xml"];
const GATES: GateDescriptor[] = [
  { name: "unit", kind: "test", required: true, command: ["npx", "vitest", "run"] },
  { name: "lint", kind: "lint", required: true, command: ["npx", "biome", "lint"] },
  { name: "parse-bench", kind: "benchmark", required: false, command: ["node", "bench/parse.mjs"] },
  { name: "audit", kind: "security", required: false, command: ["npm", "audit", "--audit-level=high"] },
  { name: "docs-links", kind: "custom", required: false, command: ["npx", "markdown-link-check", "README.md"] },
  { name: "cli-output", kind: "golden", required: false, command: ["node", "bin/cli.mjs", "--help"] },
];

function request(goalClass: GoalClass, over: Partial<OracleRequest> = {}): OracleRequest {
  return { goalClass, goalText: "a goal", gates: GATES, testCommand: TESTS, buildCommand: null, ...over };
}

/** The shape of an oracle: kind, `!` for red → green, and id, in order. */
function shape(build: OracleBuild): string[] {
  if (build.status !== "formed") throw new Error(`blocked: ${build.reasons.map((r) => r.message).join("; ")}`);
  return build.oracle.criteria.map((c) => `${c.kind}${c.mustFailOnBase ? "!" : ""}:${c.id}`);
}

describe("buildOracle: one shape per goal class", () => {
  const shapes: Array<[GoalClass, Partial<OracleRequest>, string[]]> = [
    ["bugfix", {}, ["test_case!:regression-test", "gate:gate-unit", "gate:gate-lint", "review:review"]],
    ["feature", {}, ["test_case!:acceptance-tests", "gate:gate-unit", "gate:gate-lint", "review:review"]],
    [
      "greenfield",
      { buildCommand: ["npm", "run", "build"] },
      ["test_case!:acceptance-tests", "command:smoke", "gate:gate-unit", "gate:gate-lint", "review:review"],
    ],
    ["rewrite", {}, ["golden:compat-tests", "gate:gate-cli-output", "gate:gate-unit", "gate:gate-lint", "review:review"]],
    ["refactor", {}, ["golden:behaviour-unchanged", "gate:gate-unit", "gate:gate-lint", "review:review"]],
    ["hardening", {}, ["test_case!:security-tests", "gate:gate-audit", "gate:gate-unit", "gate:gate-lint", "review:security-review"]],
    [
      "performance",
      { goalText: "Make parsing 30% faster" },
      ["benchmark:benchmark-parse-bench", "golden:behaviour-unchanged", "gate:gate-unit", "gate:gate-lint", "review:review"],
    ],
    ["docs", {}, ["gate:gate-docs-links", "gate:gate-unit", "gate:gate-lint", "review:docs-review"]],
  ];

  it.each(shapes)("%s", (goalClass, over, expected) => {
    const build = buildOracle(request(goalClass, over));
    expect(shape(build)).toEqual(expected);
    if (build.status === "formed") expect(build.oracle).toMatchObject({ goalClass, classes: [goalClass] });
  });

  it("gives every class a different shape", () => {
    const all = shapes.map(([goalClass, over]) => shape(buildOracle(request(goalClass, over))).join(","));
    expect(new Set(all).size).toBe(shapes.length);
  });

  it("tags new tests so they can be found by name in a JUnit report", () => {
    const build = buildOracle(request("bugfix"));
    expect(build.status === "formed" && build.oracle.criteria[0]).toMatchObject({
      kind: "test_case",
      run: { command: TESTS, case: { name: "[oracle:regression-test]", match: "contains" } },
    });
  });

  it("measures the benchmark against base with the improvement the goal asks for", () => {
    const build = buildOracle(request("performance", { goalText: "Make the parser 2x faster" }));
    const bench = build.status === "formed" ? build.oracle.criteria.find((c) => c.kind === "benchmark") : undefined;
    expect(bench).toMatchObject({ run: { better: "lower", minImprovement: 0.5, metric: { source: "duration" }, command: ["node", "bench/parse.mjs"] } });
  });

  it("unites the shapes of a mixed goal without duplicates", () => {
    const build = buildOracle(request("mixed", { classes: ["bugfix", "docs"] }));
    expect(shape(build)).toEqual([
      "test_case!:regression-test",
      "gate:gate-docs-links",
      "gate:gate-unit",
      "gate:gate-lint",
      "review:review",
      "review:docs-review",
    ]);
    expect(build.status === "formed" && build.oracle).toMatchObject({ goalClass: "mixed", classes: ["bugfix", "docs"] });
  });

  it("adds the goal's own terminal criteria", () => {
    const build = buildOracle(
      request("feature", {
        terminalCriteria: [
          "red: node scripts/check-json-flag.mjs",
          "golden: node bin/cli.mjs report",
          "test: report prints JSON",
          "The output is readable by jq",
          "bench /rows: (\\d+)/ higher: node bench.mjs",
        ],
      }),
    );
    expect(shape(build)).toEqual([
      "test_case!:acceptance-tests",
      "gate:gate-unit",
      "gate:gate-lint",
      "command!:user-1",
      "golden:user-2",
      "test_case!:user-3",
      "benchmark:user-5",
      "review:review",
      "review:user-review",
    ]);
    const own = build.status === "formed" ? build.oracle.criteria : [];
    expect(own.find((c) => c.id === "user-1")?.run).toEqual({ command: ["sh", "-c", "node scripts/check-json-flag.mjs"], cwd: "." });
    expect(own.find((c) => c.id === "user-5")?.run).toMatchObject({ metric: { source: "stdout", pattern: "rows: (\\d+)" }, better: "higher" });
    expect(own.find((c) => c.id === "user-review")?.run).toEqual({ reviewer: "reviewer", checklist: ["The output is readable by jq"] });
  });
});

describe("buildOracle: blocked when the oracle cannot be formed", () => {
  it.each([
    ["bugfix", { testCommand: null }, "regression test", "Which command runs the project's tests"],
    ["feature", { testCommand: null }, "acceptance tests", "Which command runs the project's tests"],
    ["greenfield", { testCommand: null, gates: [] }, "acceptance tests", "Which command runs the project's tests"],
    ["performance", { gates: [] }, "needs a benchmark", "Which command measures the speed"],
    ["docs", { gates: [] }, "docs build or link check", "Which command builds the docs"],
    ["rewrite", { testCommand: null, gates: [] }, "compatibility check", "must stay the same"],
    ["refactor", { testCommand: null, gates: [] }, "keep existing checks green", "behaviour is unchanged"],
    ["hardening", { testCommand: null, gates: [] }, "security test or a security gate", "proves the weakness is closed"],
  ] as const)("%s with %j", (goalClass, over, message, question) => {
    const build = buildOracle(request(goalClass, over as Partial<OracleRequest>));
    expect(build.status).toBe("blocked");
    if (build.status === "blocked") {
      expect(build.reasons[0]).toMatchObject({ class: goalClass, message: expect.stringContaining(message) });
      expect(build.questions.join("\n")).toContain(question);
    }
  });

  it("refuses a terminal criterion that cannot fail, naming it", () => {
    const build = buildOracle(request("feature", { terminalCriteria: ["command: echo ok", "command: npm test || true", "red: exit 1"] }));
    expect(build.status).toBe("blocked");
    if (build.status === "blocked") {
      expect(build.reasons.map((r) => r.message)).toEqual([
        "criterion user-1 runs `echo ok`, which cannot fail: `echo` always exits 0",
        expect.stringMatching(/^criterion user-2 runs `npm test \|\| true`, which cannot fail: `\|\| true` masks/),
        "criterion user-3 runs `exit 1`, which cannot pass: `exit 1` always fails",
      ]);
    }
  });

  it("blocks a mixed goal when one of its classes is blocked", () => {
    const build = buildOracle(request("mixed", { classes: ["refactor", "performance"], gates: GATES.filter((g) => g.kind !== "benchmark") }));
    expect(build.status === "blocked" && build.reasons.map((r) => r.class)).toEqual(["performance"]);
  });

  it("rejects a request whose classes contradict its class (a caller bug)", () => {
    expect(() => buildOracle(request("mixed", { classes: ["bugfix"] }))).toThrow(/mixed goal lists two or more/);
    expect(() => buildOracle(request("bugfix", { classes: ["docs"] }))).toThrow(/mixed goal lists two or more/);
  });
});
