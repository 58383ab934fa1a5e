// Real Qwen Code (pinned, on the Node 24 from agents.json) through the built `omk`, pointed at a
// model the way its docs say (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL): it fixes a bug to
// `ready` with every served token counted; a model that never answers valid JSON ends
// blocked_on_external with the fix to try another model; a 401 ends naming how to log in.
import { existsSync } from "node:fs";
import path from "node:path";
import { type ModelServer, planRule, reviewRule } from "@omk/test-fixtures";
import { describe, expect, it } from "vitest";
import {
  describeRun,
  failureOf,
  fileAt,
  fixTask,
  GOAL,
  goalIdOf,
  integrationHead,
  ledgerSummary,
  PLANNED_FIX,
  qwenEnv,
  statusOf,
  tokensOf,
  withModelServer,
  expectFixedWithOwnTools,
  FIX_PLAN,
  servedWorld,
} from "./harness.js";

let server: ModelServer;
withModelServer((started) => {
  server = started;
});

describe("Qwen Code (real) through omk goal run", () => {
  it("configured by OPENAI_API_KEY/OPENAI_BASE_URL/OPENAI_MODEL, fixes the bug to ready with its own tools; omk proof verify holds; proof.json counts exactly the tokens served", async () => {
    const w = await servedWorld(server, [FIX_PLAN, fixTask(), reviewRule()], { agents: ["qwen"], env: qwenEnv(server) });

    // Qwen's own tools, with absolute paths in the task's worktree.
    const { goalId, proof } = await expectFixedWithOwnTools(w, server, "qwen", ["read_file", "edit", "run_shell_command"]);
    expect(server.ledger.filter((e) => e.rule !== null).every((e) => e.toolset === "qwen" && e.model === "scripted-qwen")).toBe(true);
    expect(await fileAt(w.repo, proof.headCommit, "test/range.test.js")).toContain("[oracle:regression-test]");

    // Qwen reports usage per step (_meta.usage): the proof holds every token served, its side queries included.
    const served = server.served();
    expect(tokensOf(proof.spend), ledgerSummary(server.ledger)).toEqual({ input: served.input, output: served.output });

    // Qwen kept its settings, sessions and logs in its own session HOME, gone with the session: the user's home has no ~/.qwen.
    expect(existsSync(path.join(w.home, ".qwen"))).toBe(false);

    const verified = await w.omk(["proof", "verify", path.join(w.stateDir, "goals", goalId, "proof.json")]);
    expect(verified.exitCode, describeRun(verified)).toBe(0);
  });

  it("a model that never answers the plan in valid JSON (prose around a cut-off object) ends blocked_on_external (engine_answer_invalid) saying so, with the fix to try another model; not failed_infra", async () => {
    const w = await servedWorld(server, [planRule([PLANNED_FIX], { fault: "invalid_json" }), fixTask(), reviewRule()], {
      agents: ["qwen"],
      env: qwenEnv(server),
    });

    const run = await w.omk(["goal", "run", GOAL, "--engine", "qwen", "--until-ready", "--plain"]);
    const goalId = goalIdOf(run.stdout);
    expect(server.ledger.filter((e) => e.rule === "plan").length, ledgerSummary(server.ledger)).toBeGreaterThanOrEqual(2);
    expect(run.exitCode, describeRun(run)).toBe(5);
    expect(statusOf(run.stdout)).toBe("blocked_on_external");
    const failure = failureOf(w, goalId);
    expect(failure.cause.code).toBe("engine_answer_invalid");
    expect(failure.cause.message).toMatch(/plan/);
    expect(failure.resume.command ?? "").toContain("--model");
    expect(run.stdout).not.toMatch(/(omk|bin\.js) doctor/);
    // No task ran: nothing was integrated.
    expect(server.ledger.some((e) => e.rule === "task")).toBe(false);
    expect(await integrationHead(w.repo, goalId)).toBeUndefined();
  });

  it("a 401 from the model server (OpenAI's invalid_api_key body) ends (not retried as a crash), naming the engine's login and the credential to set; nothing is integrated", async () => {
    const w = await servedWorld(server, [planRule([PLANNED_FIX], { fault: "unauthorized" }), fixTask(), reviewRule()], {
      agents: ["qwen"],
      env: qwenEnv(server),
    });

    const run = await w.omk(["goal", "run", GOAL, "--engine", "qwen", "--until-ready", "--plain"]);
    const goalId = goalIdOf(run.stdout);
    expect(
      server.ledger.some((e) => e.status === 401),
      ledgerSummary(server.ledger),
    ).toBe(true);
    const failure = failureOf(w, goalId);
    // Qwen answers -32603 "Internal error" with the 401 in data.details: OMK reads it as the auth failure it is.
    expect(failure.status, describeRun(run)).toBe("blocked_on_external");
    expect(failure.cause.code).toBe("engine_setup");
    expect(failure.cause.details).toMatchObject({ engine: "qwen", problem: "engine_auth_required" });
    // The cause names the model's refusal and the fix names what to set: the login, not the environment at large.
    expect(failure.cause.message).toMatch(/401 Incorrect API key/);
    expect(failure.resume.hint).toMatch(/OPENAI_API_KEY/);
    expect(run.stdout).toMatch(/OPENAI_API_KEY/);
    expect(run.stdout).not.toMatch(/(omk|bin\.js) doctor/);
    expect(run.exitCode).toBe(5);
    expect(await integrationHead(w.repo, goalId)).toBeUndefined();
  });
});
