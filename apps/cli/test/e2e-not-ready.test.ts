// End to end through the built `omk` binary with the scripted engine: what an agent says never
// decides done. An agent claiming success while the test gate fails ends not_ready with that gate's
// evidence; an agent deleting a test (the suite still passes, the reviewers approve) is caught by review.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { claimsDoneBook, DELETED_TEST, deletedTestBook, FEATURE_GOAL } from "./e2e/books.js";
import {
  cleanupE2e,
  describeRun,
  EXIT_BY_STATUS,
  eventsOf,
  goalDirOf,
  goalIdOf,
  lostTaskCommits,
  newWorld,
  outcomePathOf,
  readEvents,
  readFailure,
  scripted,
  showGoal,
  statusOf,
} from "./e2e/helpers.js";
import { TEST_GATE } from "./e2e/repo.js";

afterAll(cleanupE2e);

/** Every object in a JSON value (depth first). */
function objectsIn(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.flatMap(objectsIn);
  if (value !== null && typeof value === "object") return [value as Record<string, unknown>, ...Object.values(value).flatMap(objectsIn)];
  return [];
}

describe.concurrent("omk goal run: not ready, with the reason (e2e, scripted engine)", () => {
  it("an agent claiming done while the test gate fails ends not_ready, naming the gate with its log as evidence", { timeout: 150_000 }, async () => {
    const w = await newWorld();
    const run = await w.omk("goal", "run", FEATURE_GOAL, ...scripted(w.book("claims-done", claimsDoneBook())));
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.not_ready);
    const goalId = goalIdOf(run.stdout);
    expect(statusOf(run.stdout)).toBe("not_ready");
    const goalDir = goalDirOf(w.stateDir, goalId);

    // The agent said all tests pass; the session and the task still "succeeded" (the agent's text never decides).
    const events = readEvents(w.stateDir, goalId);
    expect(eventsOf(events, "task_succeeded").map((e) => e.data.taskId)).toContain("implement");
    const transcript = readFileSync(path.join(goalDir, "runs", "implement", "1", "transcript.jsonl"), "utf8");
    expect(transcript).toContain("All tests pass");

    // The head's verification failed on the test gate, whose log shows the failing acceptance test.
    const failedRuns = eventsOf(events, "verification_recorded").filter((e) => e.data.verdict === "failed");
    expect(failedRuns.length, "a failed verification of the head is recorded").toBeGreaterThan(0);
    const gate = failedRuns.at(-1)?.data.gates.find((g) => g.name === TEST_GATE);
    expect(gate?.outcome).toBe("failed");
    const logs = gate?.logs.map((l) => l.path) ?? [];
    expect(logs.length).toBeGreaterThan(0);
    const logText = logs.map((l) => readFileSync(path.resolve(goalDir, l), "utf8")).join("\n");
    expect(logText).toContain("farewell says goodbye by name");

    // failure.json: the cause names the gate, and the gate's log is among the evidence.
    const failure = readFailure(outcomePathOf(run.stdout, "failure"));
    expect(failure).toMatchObject({ goalId, status: "not_ready" });
    expect(["gates_failed", "oracle_failed"]).toContain(failure.cause.code);
    expect(JSON.stringify(failure.cause)).toContain(TEST_GATE);
    // The gate's log is evidence: listed itself, or named by a listed gates report (report.json names every log with its digest).
    const listed = failure.evidence.filter((e) => logs.includes(e));
    const inRunOf = (report: string, log: string) => path.resolve(goalDir, log).startsWith(`${path.dirname(path.resolve(goalDir, report))}${path.sep}`);
    const viaReport = failure.evidence.filter(
      (e) => e.endsWith("report.json") && logs.some((l) => inRunOf(e, l) && readFileSync(path.resolve(goalDir, e), "utf8").includes(path.basename(l))),
    );
    expect([...listed, ...viaReport], `evidence ${failure.evidence.join(", ")} should lead to one of ${logs.join(", ")}`).not.toEqual([]);
    expect(JSON.stringify(failure.cause)).toContain("farewell says goodbye by name");
    for (const file of failure.evidence) expect(existsSync(path.resolve(goalDir, file)), file).toBe(true);
    expect(failure.resume.command).toContain(`omk goal resume ${goalId}`);
    // Without --until-ready no follow-up round ran.
    expect(eventsOf(events, "round_started").filter((e) => e.data.round > 1)).toEqual([]);
    expect((await showGoal(w, goalId)).status).toBe("not_ready");
    expect(await lostTaskCommits(w.repo, events)).toEqual([]);
  });

  it("a deleted test is caught by review even though the suite passes and the reviewers approve", { timeout: 150_000 }, async () => {
    const w = await newWorld();
    const run = await w.omk("goal", "run", FEATURE_GOAL, ...scripted(w.book("deleted-test", deletedTestBook())));
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.not_ready);
    const goalId = goalIdOf(run.stdout);
    const goalDir = goalDirOf(w.stateDir, goalId);
    const events = readEvents(w.stateDir, goalId);

    // The deletion was the tester's own (inside its write set): captured, no scope violation.
    const captured = eventsOf(events, "attempt_captured").find((e) => e.data.taskId === "write-tests");
    expect(captured?.data.changedFiles).toContain(DELETED_TEST);
    expect(eventsOf(events, "scope_violation_recorded")).toEqual([]);
    // The gates passed on the head; the engine reviewers said passed.
    expect(eventsOf(events, "verification_recorded").at(-1)?.data.verdict).toBe("passed");
    const reviews = eventsOf(events, "review_recorded");
    expect(reviews.filter((r) => r.data.pass === "reviewer" || r.data.pass === "security-reviewer").map((r) => r.data.verdict)).toEqual(["passed", "passed"]);
    expect(reviews.some((r) => r.data.verdict === "blocked" && r.data.blocking > 0)).toBe(true);

    // reviews/ holds a tamper finding about the deleted test.
    const reviewDir = path.join(goalDir, "reviews");
    const findings = readdirSync(reviewDir)
      .filter((f) => f.endsWith(".json"))
      .flatMap((f) => objectsIn(JSON.parse(readFileSync(path.join(reviewDir, f), "utf8"))));
    const tamper = findings.filter((o) => o["source"] === "tamper");
    expect(tamper.length, `findings in ${reviewDir}`).toBeGreaterThan(0);
    expect(tamper.some((o) => JSON.stringify(o).includes(DELETED_TEST))).toBe(true);
    expect(tamper.every((o) => o["waivable"] === false && o["severity"] === "blocker")).toBe(true);

    const failure = readFailure(outcomePathOf(run.stdout, "failure"));
    expect(failure.status).toBe("not_ready");
    expect(["review_blocked", "tampering"]).toContain(failure.cause.code);
    expect(failure.evidence.some((e) => e.startsWith("reviews/"))).toBe(true);
  });
});
