// End to end through the built `omk` binary with the scripted engine: an agent writing outside its
// task's write set. Through the client's fs requests the write is refused when asked (the file is never
// written, the task goes on, and review's deterministic scope check still blocks the goal); written by
// the agent itself it is found in the captured diff afterwards (the attempt is kept aside, never
// integrated, and the task fails). Both are recorded and reported; neither goal ends ready.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { gitIn } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { FEATURE_GOAL, OUTSIDE_FILE, outsideWriteBook } from "./e2e/books.js";
import {
  cleanupE2e,
  describeRun,
  EXIT_BY_STATUS,
  eventsOf,
  filesAt,
  goalDirOf,
  goalIdOf,
  integrationHead,
  lostTaskCommits,
  newWorld,
  outcomePathOf,
  readEvents,
  readFailure,
  scripted,
  showGoal,
  statusOf,
  type World,
} from "./e2e/helpers.js";

afterAll(cleanupE2e);

/** The refused file is nowhere in what gets integrated, and the base branch is untouched. */
async function notIntegrated(w: World, goalId: string): Promise<void> {
  expect((await gitIn(w.repo, "rev-parse", "main")).trim()).toBe(w.base);
  expect(existsSync(path.join(w.repo, OUTSIDE_FILE))).toBe(false);
  const head = await integrationHead(w.repo, goalId);
  if (head !== undefined) {
    expect(await filesAt(w.repo, head)).not.toContain(OUTSIDE_FILE);
    expect(await gitIn(w.repo, "log", "--format=%H", head, "--", OUTSIDE_FILE)).toBe("");
  }
}

describe.concurrent("omk goal run: writes outside the write set (e2e, scripted engine)", () => {
  it("refuses a write through fs when it is asked, records and reports it; the task's own work goes on", { timeout: 150_000 }, async () => {
    const w = await newWorld();
    const run = await w.omk("goal", "run", FEATURE_GOAL, ...scripted(w.book("outside-fs", outsideWriteBook("fs"))));
    const goalId = goalIdOf(run.stdout);
    const events = readEvents(w.stateDir, goalId);

    const violations = eventsOf(events, "scope_violation_recorded");
    expect(
      violations.map((v) => [v.data.taskId, v.data.path, v.data.atWrite]),
      describeRun(run),
    ).toEqual([["implement", OUTSIDE_FILE, true]]);
    // Refused at write time: the file never existed, so the attempt captured only the task's own change and succeeded.
    const captured = eventsOf(events, "attempt_captured").filter((e) => e.data.taskId === "implement");
    expect(captured.map((e) => e.data.changedFiles)).toEqual([["src/greet.js"]]);
    expect(captured[0]?.data.keptRef).toBeUndefined();
    expect(eventsOf(events, "task_succeeded").map((e) => e.data.taskId)).toEqual(expect.arrayContaining(["write-tests", "implement"]));
    await notIntegrated(w, goalId);

    // Reported: the live output names the refused path; review's deterministic check (which no engine can
    // waive) blocks on every scope violation, so the goal is not ready even though the gates pass.
    expect(`${run.stdout}\n${run.stderr}`).toContain(OUTSIDE_FILE);
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.not_ready);
    expect(statusOf(run.stdout)).toBe("not_ready");
    expect(eventsOf(events, "verification_recorded").at(-1)?.data.verdict).toBe("passed");
    const deterministic = eventsOf(events, "review_recorded").find((e) => e.data.pass === "deterministic");
    expect(deterministic?.data).toMatchObject({ verdict: "blocked" });
    const record = JSON.parse(readFileSync(path.join(goalDirOf(w.stateDir, goalId), deterministic?.data.record.path ?? "missing"), "utf8")) as {
      findings: Array<Record<string, unknown>>;
    };
    expect(record.findings).toContainEqual(expect.objectContaining({ source: "scope", severity: "blocker", file: OUTSIDE_FILE, waivable: false }));
    const failure = readFailure(outcomePathOf(run.stdout, "failure"));
    expect(["scope_violation", "review_blocked"]).toContain(failure.cause.code);
    expect(JSON.stringify(failure.cause)).toContain(OUTSIDE_FILE);
    expect((await showGoal(w, goalId)).status).toBe("not_ready");
    expect(await lostTaskCommits(w.repo, events)).toEqual([]);
  });

  it("finds a write the agent made by itself in the captured diff: the attempt is kept aside, the task fails, the goal is not ready", {
    timeout: 150_000,
  }, async () => {
    const w = await newWorld();
    const run = await w.omk("goal", "run", FEATURE_GOAL, ...scripted(w.book("outside-direct", outsideWriteBook("direct"))));
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.not_ready);
    const goalId = goalIdOf(run.stdout);
    expect(statusOf(run.stdout)).toBe("not_ready");
    const events = readEvents(w.stateDir, goalId);

    const violations = eventsOf(events, "scope_violation_recorded");
    expect(violations.map((v) => [v.data.taskId, v.data.path, v.data.atWrite])).toEqual([["implement", OUTSIDE_FILE, false]]);
    const failed = eventsOf(events, "task_failed").filter((e) => e.data.taskId === "implement");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => !e.data.retryable && e.data.decision === "give_up")).toBe(true);
    expect(failed[0]?.data.signature).toMatch(/scope/u);
    // Only one attempt: a scope violation is not retried.
    expect(eventsOf(events, "task_dispatched").filter((e) => e.data.taskId === "implement")).toHaveLength(1);

    // The attempt is kept (nothing is lost) under refs/omk/attempts, holding the file, and never integrated.
    const captured = eventsOf(events, "attempt_captured").find((e) => e.data.taskId === "implement");
    expect(captured?.data.keptRef).toMatch(/^refs\/omk\/attempts\//u);
    expect(captured?.data.changedFiles).toContain(OUTSIDE_FILE);
    expect(await filesAt(w.repo, captured?.data.keptRef ?? "HEAD")).toContain(OUTSIDE_FILE);
    await notIntegrated(w, goalId);
    const merged = eventsOf(events, "integration_recorded").flatMap((e) => (e.data.outcome === "integrated" ? e.data.merged.map((m) => m.taskId) : []));
    expect(merged).not.toContain("implement");

    // Reported: the output names the file, and failure.json's cause is the violation.
    expect(`${run.stdout}\n${run.stderr}`).toContain(OUTSIDE_FILE);
    const failure = readFailure(outcomePathOf(run.stdout, "failure"));
    expect(failure.cause.code).toBe("scope_violation");
    expect((await showGoal(w, goalId)).status).toBe("not_ready");
    expect(await lostTaskCommits(w.repo, events)).toEqual([]);
  });
});
