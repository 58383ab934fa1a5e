// Real claude-agent-acp (Claude Code behind Zed's ACP adapter) through the built `omk`, pointed at
// a model by ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY: it fixes a bug to `ready` with Claude Code's
// own tools, and proof.json counts what Claude reports (its turns and the side queries it reports:
// the session title); a model that hangs mid-stream is stopped at the configured inactivity deadline.
import path from "node:path";
import { type LedgerEntry, type ModelServer, reviewRule } from "@omk/test-fixtures";
import { describe, expect, it } from "vitest";
import {
  claudeEnv,
  describeRun,
  failureOf,
  fileAt,
  fixTask,
  GOAL,
  goalIdOf,
  integrationHead,
  ledgerSummary,
  PACKAGE_JSON,
  tokensOf,
  userOmkConfig,
  withModelServer,
  expectFixedWithOwnTools,
  FIX_PLAN,
  servedWorld,
} from "./harness.js";

let server: ModelServer;
withModelServer((started) => {
  server = started;
});

describe("claude-agent-acp (real) through omk goal run", () => {
  it("configured by ANTHROPIC_BASE_URL/ANTHROPIC_API_KEY, fixes the bug to ready with Claude Code's own tools; omk proof verify holds; proof.json counts exactly the tokens Claude reports (served minus its unreported security monitor)", async () => {
    const w = await servedWorld(server, [FIX_PLAN, fixTask(), reviewRule()], { agents: ["claude-agent-acp"], env: claudeEnv(server) });

    // Claude Code's own tools over the Messages API (streamed tool_use blocks), absolute paths.
    const { goalId, proof } = await expectFixedWithOwnTools(w, server, "claude", ["Read", "Edit", "Bash"]);
    expect(server.ledger.filter((e) => e.rule !== null).every((e) => e.dialect === "anthropic" && e.toolset === "claude")).toBe(true);
    expect(await fileAt(w.repo, proof.headCommit, "package.json")).toBe(PACKAGE_JSON);

    // proof.json counts what Claude reports: its turns and the side queries it reports (the session title,
    // in its per-model usage). Claude Code does not report its security monitor's calls (a non-streamed
    // classifier stopping at </severity>; measured: its model_usage lists the main model only), so those
    // are the only served tokens left out.
    const monitor = (e: LedgerEntry) => JSON.stringify((e.body as { stop_sequences?: unknown }).stop_sequences ?? []).includes("</severity>");
    expect(
      server.ledger.some((e) => e.rule === null && e.usage !== null && !monitor(e)),
      "Claude Code made no side query it reports",
    ).toBe(true);
    const reported = server.served((e) => e.path === "/v1/messages" && !monitor(e));
    expect(tokensOf(proof.spend), ledgerSummary(server.ledger)).toEqual({ input: reported.input, output: reported.output });

    const verified = await w.omk(["proof", "verify", path.join(w.stateDir, "goals", goalId, "proof.json")]);
    expect(verified.exitCode, describeRun(verified)).toBe(0);
  });

  it("a model that hangs mid-stream in a task is stopped at the inactivity deadline set in the user's OMK config; the goal ends in a typed status naming the deadline and its fix, promptly; nothing is integrated", async () => {
    const w = await servedWorld(server, [FIX_PLAN, { ...fixTask(), fault: "hang" }, reviewRule()], { agents: ["claude-agent-acp"], env: claudeEnv(server) });
    userOmkConfig(
      w.home,
      "version: 1\nengines:\n  claude:\n    deadlines:\n      turnInactivityMs: 6000\n      cancelGraceMs: 2000\n      killGraceMs: 1000\n",
    );

    const run = await w.omk(["goal", "run", GOAL, "--engine", "claude", "--plain"], { timeoutMs: 120_000 });
    const goalId = goalIdOf(run.stdout);
    // The model stalled after its first chunks.
    expect(
      server.ledger.some((e) => e.rule === "task" && e.fault === "hang"),
      ledgerSummary(server.ledger),
    ).toBe(true);
    // Stopped at 6 s of silence per attempt, not at the 10-minute default.
    expect(run.timedOut, describeRun(run)).toBe(false);
    const failure = failureOf(w, goalId);
    expect(["not_ready", "blocked_on_external", "failed_infra"], describeRun(run)).toContain(failure.status);
    expect(`${failure.cause.message}\n${run.stdout}`).toMatch(/inactivity deadline of 6000 ms/);
    expect(run.stdout).toMatch(/raise the deadline|deadline/);
    expect(await integrationHead(w.repo, goalId).then((h) => (h === undefined ? "" : fileAt(w.repo, h, "src/range.js")))).not.toContain("i <= end");
  });
});
