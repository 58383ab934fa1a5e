// A secret quoted by a reviewer and printed by a failing gate in a later round stays out of every file of the
// goal dir. Real git, the real scripted engine, real gates.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { FailureSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import { bookProvider, GOAL_TEXT, makeGoal, makeRepo, message, readyBook, SLUGIFY_TEST, turn, usage, write } from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

describe("runGoal: secrets across rounds", () => {
  it("keeps a secret quoted by a reviewer and printed by a failing gate out of every file of the goal dir", async () => {
    const ENV_SECRET = "s3cr3t-value-abcdef123456";
    const LITERAL = "literal-Zq9xWv7Ku3pM";
    const GH = `ghp_${"A".repeat(36)}`;
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const blocking = turn(
      usage(300, 50),
      message(
        JSON.stringify({
          verdict: "blocked",
          findings: [{ severity: "blocker", message: `the code logs ${ENV_SECRET}, ${LITERAL} and ${GH}`, file: "src/slugify.js", line: 1 }],
        }),
      ),
    );
    // Round 2's test prints the secrets (reversed in the source, in no form the capture screen knows, and put back at run time) and fails.
    const encoded = [...`${ENV_SECRET} ${LITERAL} ${GH}`].reverse().join("");
    const leaky = `${SLUGIFY_TEST}\ntest("leaks", () => {\n  const s = [..."${encoded}"].reverse().join("");\n  console.log("key:", s);\n  assert.equal(s, "nothing", s);\n});\n`;
    const book = readyBook({ "review:reviewer": blocking, "task:fix-r2": turn(usage(10, 10), write("test/slugify.test.js", leaky), message("ok")) });
    const result = await runGoal({
      store,
      goalId,
      engine: bookProvider(book),
      env: { ...process.env, MY_API_TOKEN: ENV_SECRET },
      secrets: [LITERAL],
      untilReady: true,
      maxRounds: 2,
      scheduler: { pollMs: 50 },
    });
    expect(result.ok && result.value.status).toBe("not_ready");
    const dir = store.paths(goalId).dir;
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(JSON.stringify(failure.cause.details)).toContain("gate test failed");
    expect(JSON.stringify(failure.cause.details)).toContain("[REDACTED");
    const fix = (await store.readGoal(goalId)).taskGraph?.tasks.find((t) => t.id === "fix-r2");
    expect(fix?.description).toContain("[REDACTED");
    const leaks = filesUnder(dir)
      .filter((f) => path.basename(f) !== "scenario.json")
      .filter((f) => {
        const text = readFileSync(f, "utf8");
        return text.includes(ENV_SECRET) || text.includes(LITERAL) || text.includes(GH);
      })
      .map((f) => path.relative(dir, f));
    expect(leaks).toEqual([]);
  }, 120_000);
});
