// Per-test evidence with no .omk/ config: a plain `npm test` project is judged per test case, and a project whose
// test cases cannot be read is told so at planning time (no round is spent on a criterion that can never be met).
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { FailureSchema, ProofSchema } from "@omk/state";
import { cleanupTempDirs, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import { bookProvider, collect, GOAL_TEXT, makeGoal, PROJECT, planSession, readyBook } from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

/** PROJECT without .omk/gates.yaml, with this test script. */
async function plainRepo(testScript: string, extra: Record<string, string> = {}): Promise<string> {
  const repo = makeTempDir();
  for (const dir of ["src", "test"]) mkdirSync(path.join(repo, dir), { recursive: true });
  const files = { ...PROJECT, ...extra };
  delete files[".omk/gates.yaml"];
  files["package.json"] = `${JSON.stringify({ name: "textkit", version: "1.0.0", type: "module", private: true, scripts: { test: testScript } }, null, 2)}\n`;
  await initGitRepo(repo, files);
  rmSync(path.join(repo, ".omk"), { recursive: true, force: true });
  return repo;
}

describe.concurrent("runGoal: per-test evidence from a plain package script", () => {
  it("`npm run test` running `node --test test/` (no config): ends ready, red → green per test case", async () => {
    const repo = await plainRepo("node --test test/");
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    // Detected gates: test (npm run test), secrets, dependencies: the plan serves the secrets gate too.
    const plan = JSON.stringify(planSession()).replace(
      '\\"acceptance\\":[\\"acceptance-tests\\",\\"gate-test\\"]',
      '\\"acceptance\\":[\\"acceptance-tests\\",\\"gate-test\\",\\"gate-secrets\\"]',
    );
    expect(plan).toContain("gate-secrets");
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook({ plan: JSON.parse(plan) })), scheduler: { pollMs: 50 } });
    const failure = result.ok && result.value.status !== "ready" ? readFileSync(store.paths(goalId).failure, "utf8") : "";
    expect(result.ok && result.value.status, failure).toBe("ready");
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    const acceptance = proof.criteria.find((c) => c.id === "acceptance-tests");
    expect(acceptance?.verdict).toBe("passed");
    expect(JSON.stringify(acceptance)).toContain("[oracle:acceptance-tests] slugify joins words with dashes");
  }, 120_000);

  it("a test script whose cases cannot be read blocks at planning with the config line that fixes it; --until-ready spends no round", async () => {
    const repo = await plainRepo("node run-tests.js", { "run-tests.js": 'import "./test/truncate.test.js";\n' });
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const { events, onEvent } = collect();
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook()), untilReady: true, onEvent, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status).toBe("blocked_on_human");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("needs_answer");
    expect(failure.cause.message).toMatch(/no per-test evidence can be had from the test command `npm run test`/);
    expect(failure.cause.details?.["questions"]).toEqual([expect.stringMatching(/tests: \{ format: tap \}/)]);
    const goal = await store.readGoal(goalId);
    expect(goal.taskGraph).toBeNull();
    expect(events.filter((e) => e.type === "task_update" || e.type === "round_started")).toEqual([]);
  }, 60_000);
});
