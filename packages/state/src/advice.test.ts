// Next-step advice: failure.json read through FailureSchema (never a cast), and the steps for each status.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { failureAdvice, nextSteps, readFailureAdvice } from "./advice.js";
import { runningGoal } from "../test/store-setup.js";

afterAll(cleanupTempDirs);

const quote = (w: string) => (/^[\w./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`);

async function blockedGoal() {
  const { store, id } = await runningGoal("omk-advice-");
  const ended = await store.transition(id, "blocked_on_human", {
    cause: { code: "needs_answer", message: "which report?", details: { questions: ["which report?", 42, "json or yaml?"] } },
  });
  if (!ended.ok) throw new Error(ended.error.message);
  return { store, id, failure: store.paths(id).failure };
}

describe("readFailureAdvice", () => {
  it("reads the resume advice and the cause's questions (strings only) from a failure.json the store wrote", async () => {
    const { id, failure } = await blockedGoal();
    expect(readFailureAdvice(failure)).toEqual({
      resume: { command: `omk goal amend ${id} --answer "<answer>" && omk goal resume ${id}`, hint: expect.any(String) },
      questions: ["which report?", "json or yaml?"],
    });
  });

  it("gives nothing for a file that is missing, not JSON, or not a failure record (a resume that is not an object is refused, not cast)", async () => {
    const { failure } = await blockedGoal();
    const record = JSON.parse(readFileSync(failure, "utf8"));
    expect(readFailureAdvice(path.join(path.dirname(failure), "nope.json"))).toBeUndefined();
    expect(failureAdvice("{ torn")).toBeUndefined();
    writeFileSync(failure, JSON.stringify({ ...record, resume: "rm -rf /" }));
    expect(readFailureAdvice(failure)).toBeUndefined();
    expect(failureAdvice(JSON.stringify({ ...record, kind: "omk.proof" }))).toBeUndefined();
  });
});

describe("nextSteps", () => {
  const base = { goalId: "g1", text: "fix -v's output", proofFile: "/state/goals/g1/proof.json", failure: undefined, quote };

  it("ready: verify the proof, then accept", () => {
    expect(nextSteps({ ...base, status: "ready" })).toEqual({
      commands: [{ command: "omk proof verify /state/goals/g1/proof.json" }, { command: "omk goal accept g1" }],
      questions: [],
    });
  });

  it("blocked_on_human: the questions, then amend and resume", async () => {
    const { failure } = await blockedGoal();
    const steps = nextSteps({ ...base, status: "blocked_on_human", failure: readFailureAdvice(failure) });
    expect(steps.questions).toEqual(["which report?", "json or yaml?"]);
    expect(steps.commands).toEqual([{ command: 'omk goal amend g1 --answer "<answer>" && omk goal resume g1' }]);
  });

  it("failed_infra and needs_more_budget use failure.json's command (with its hint), else a plain resume / budget-add", () => {
    const failure = { resume: { command: "omk goal resume g1 --model m2", hint: "try another model" }, questions: [] };
    expect(nextSteps({ ...base, status: "failed_infra", failure }).commands).toEqual([{ command: "omk goal resume g1 --model m2", note: "try another model" }]);
    expect(nextSteps({ ...base, status: "blocked_on_external" }).commands).toEqual([{ command: "omk goal resume g1" }]);
    expect(nextSteps({ ...base, status: "needs_more_budget" }).commands).toEqual([{ command: "omk goal budget-add g1 --time 30m && omk goal resume g1" }]);
    expect(nextSteps({ ...base, status: "needs_more_budget", failure }).commands).toEqual([{ command: "omk goal resume g1 --model m2" }]);
  });

  it("cancelled is final: a new goal with the text quoted, never a resume", () => {
    const steps = nextSteps({ ...base, status: "cancelled" });
    expect(steps).toMatchObject({ final: true, commands: [{ command: "omk goal run -- 'fix -v'\\''s output'" }] });
    expect(JSON.stringify(steps)).not.toContain("resume");
  });

  it("a run stopped after a phase continues with resume; a running goal without one has no step", () => {
    expect(nextSteps({ ...base, status: "running", stopAfter: "review" })).toEqual({
      commands: [{ command: "omk goal resume g1" }],
      questions: [],
      stoppedAfter: "review",
    });
    expect(nextSteps({ ...base, status: "running" })).toEqual({ commands: [], questions: [] });
  });
});
