// A write refused in one round is recorded, does not block the next round's review, and is listed in
// proof.json as a known gap. Real git, the real scripted engine, real gates.
import { readFileSync } from "node:fs";
import { ProofSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import {
  bookProvider,
  GOAL_TEXT,
  makeGoal,
  makeRepo,
  message,
  readyBook,
  SLUGIFY_BUGGY,
  SLUGIFY_SRC,
  SLUGIFY_TEST,
  turn,
  usage,
  write,
} from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

describe("runGoal: refused writes across rounds", () => {
  it("a write refused in round 1 does not block round 2's review; proof.json lists it as a known gap", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const book = readyBook({
      "task:slugify": turn(
        usage(10, 10),
        write("README.md", "taken over\n"),
        write("src/slugify.js", SLUGIFY_BUGGY),
        write("test/slugify.test.js", SLUGIFY_TEST),
        message("Done."),
      ),
      "task:fix-r2": turn(usage(10, 10), write("src/slugify.js", SLUGIFY_SRC), message("Fixed.")),
    });
    const result = await runGoal({ store, goalId, engine: bookProvider(book), untilReady: true, scheduler: { pollMs: 50 } });
    const why =
      result.ok && result.value.outcomeFile !== null && result.value.status !== "ready"
        ? readFileSync(result.value.outcomeFile, "utf8")
        : JSON.stringify(result);
    expect(result.ok && result.value.status, why).toBe("ready");
    const events = await store.readEvents(goalId);
    expect(
      events
        .filter((e) => e.type === "scope_violation_recorded")
        .map((e) => e.type === "scope_violation_recorded" && [e.data.taskId, e.data.path, e.data.atWrite]),
    ).toEqual([["slugify", "README.md", true]]);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.knownGaps).toContain("round 1: task slugify tried to write README.md outside its write set (refused)");
  }, 120_000);
});
