// runSession against the real scripted engine (omk-scripted-agent) through script books.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, isProcessAlive, makeTempDir } from "@omk/test-fixtures";
import { scopeFromPaths, type WireEvent } from "@omk/wire";
import { afterAll, describe, expect, it } from "vitest";
import { scriptBookProvider } from "../src/script-book.js";
import { runSession } from "../src/session.js";
import type { EngineProvider, SessionPurpose, SpendReport } from "../src/types.js";
import { until, writeBook } from "./session-helpers.js";

afterAll(cleanupTempDirs);

const PURPOSE: SessionPurpose = { kind: "task", taskId: "implement", attempt: 1, round: 1 };

function provider(scenario: object, key = "task:implement"): EngineProvider {
  const made = scriptBookProvider(writeBook({ version: 1, sessions: { [key]: scenario } }));
  if (!made.ok) throw new Error(made.error.message);
  return made.value;
}

function dirs(): { cwd: string; runDir: string } {
  const base = makeTempDir("omk-session-");
  const cwd = path.join(base, "root");
  mkdirSync(cwd);
  return { cwd, runDir: path.join(base, "run") };
}

describe.concurrent("runSession", () => {
  it("returns the final message: the text after the turn's last tool call (narration before and between tool calls is in text only), and the turn's usage quality", async () => {
    const { cwd, runDir } = dirs();
    mkdirSync(path.join(cwd, "src"));
    const outcome = await runSession({
      provider: provider({
        turns: [
          {
            steps: [
              { message: "Let me look at the code first. " },
              { read: { path: "src/a.js" } },
              { message: "Now the tests. " },
              { command: { command: "ls" } },
              { message: 'Here it is:\n```json\n{"ok":true}\n```\nDone.' },
              { usage: { inputUncached: 10, output: 5 } },
            ],
          },
        ],
      }),
      purpose: PURPOSE,
      cwd,
      runDir,
      prompt: "answer",
      env: process.env,
    });
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.text).toBe('Let me look at the code first. Now the tests. Here it is:\n```json\n{"ok":true}\n```\nDone.');
    expect(outcome.final).toBe('Here it is:\n```json\n{"ok":true}\n```\nDone.');
    expect(outcome.spend.quality).toBe("exact");
  });

  it("collects the agent's text and reports usage as it arrives; spend matches the increments", async () => {
    const { cwd, runDir } = dirs();
    const increments: SpendReport[] = [];
    const outcome = await runSession({
      provider: provider({
        turns: [
          {
            steps: [
              { message: "Hello " },
              { usage_update: { used: 1200, size: 200_000, costUsd: 0.25 } },
              { message: "world" },
              { usage: { inputUncached: 1500, cacheRead: 100, output: 250, via: "prompt_response" } },
            ],
          },
        ],
      }),
      purpose: PURPOSE,
      cwd,
      runDir,
      prompt: "say hello",
      env: process.env,
      onUsage: (step) => increments.push(step),
    });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.text).toBe("Hello world");
    expect(outcome.stop).toBe("end_turn");
    expect(outcome.spend.tokens).toEqual({ input: 1500, cacheRead: 100, cacheWrite: 0, output: 250 });
    expect(outcome.spend.usd).toBe(0.25);
    // the engine's cost report arrives mid-turn, before the turn ends
    expect(increments[0]).toEqual({ tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 }, usd: 0.25 });
    const summed = increments.reduce((n, s) => n + s.tokens.input + s.tokens.cacheRead + s.tokens.cacheWrite + s.tokens.output, 0);
    expect(summed).toBe(1850);
    expect(outcome.refusedWrites).toEqual([]);
    expect(outcome.transcript).toBe(path.join(runDir, "transcript.jsonl"));
    expect(readFileSync(outcome.transcript, "utf8")).toContain("Hello ");
    expect(existsSync(path.join(runDir, "scenario.json"))).toBe(true);
  });

  it("refuses a write outside the scope: the file is not written and the refusal is reported", async () => {
    const { cwd, runDir } = dirs();
    const outcome = await runSession({
      provider: provider({
        turns: [
          { steps: [{ write: { path: "src/ok.ts", content: "export {};\n" } }, { write: { path: "README.md", content: "owned\n" } }, { message: "done" }] },
        ],
      }),
      purpose: PURPOSE,
      cwd,
      runDir,
      prompt: "write",
      scope: scopeFromPaths({ write: ["src/"] }),
      env: process.env,
    });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(readFileSync(path.join(cwd, "src/ok.ts"), "utf8")).toBe("export {};\n");
    expect(existsSync(path.join(cwd, "README.md"))).toBe(false);
    expect(outcome.refusedWrites).toHaveLength(1);
    expect(outcome.refusedWrites[0]?.path).toBe("README.md");
    expect(outcome.refusedWrites[0]?.reason).toContain("outside the write scope");
  });

  it("an engine crash is a retryable problem, with the transcript kept", async () => {
    const { cwd, runDir } = dirs();
    const outcome = await runSession({
      provider: provider({ turns: [{ steps: [{ message: "working" }, { crash: { exitCode: 9, stderr: "boom" } }] }] }),
      purpose: PURPOSE,
      cwd,
      runDir,
      prompt: "go",
      env: process.env,
    });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.problem.code).toBe("engine_crashed");
    expect(outcome.problem.message).toContain("exit code 9");
    expect(outcome.retryable).toBe(true);
    expect(outcome.transcript).toBe(path.join(runDir, "transcript.jsonl"));
  });

  it("an engine asking for a login is not retryable and carries the engine's login hint", async () => {
    const { cwd, runDir } = dirs();
    const outcome = await runSession({ provider: provider({ auth: "session_new" }), purpose: PURPOSE, cwd, runDir, prompt: "go", env: process.env });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.problem.code).toBe("engine_auth_required");
    expect(outcome.problem.fix).toContain("scripted engine never needs a login");
    expect(outcome.retryable).toBe(false);
  });

  it("a purpose the script book lacks is script_missing, not retryable, and starts nothing", async () => {
    const { cwd, runDir } = dirs();
    const outcome = await runSession({ provider: provider({}, "task:other"), purpose: PURPOSE, cwd, runDir, prompt: "go", env: process.env });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.problem.code).toBe("script_missing");
    expect(outcome.retryable).toBe(false);
    expect(outcome.transcript).toBeNull();
  });

  it("aborting the signal ends the turn and the engine process", async () => {
    const { cwd, runDir } = dirs();
    const controller = new AbortController();
    const events: WireEvent[] = [];
    const running = runSession({
      provider: provider({ turns: [{ steps: [{ message: "thinking" }, { hang: "honour_cancel" }] }] }),
      purpose: PURPOSE,
      cwd,
      runDir,
      prompt: "go",
      env: process.env,
      signal: controller.signal,
      onWireEvent: (e) => events.push(e),
    });
    await until(() => events.some((e) => e.type === "message"), 15_000, "the agent's first message");
    const started = events.find((e): e is Extract<WireEvent, { type: "session_started" }> => e.type === "session_started");
    controller.abort();
    const outcome = await running;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.problem.code).toBe("engine_aborted");
    expect(started?.pid).toBeDefined();
    expect(isProcessAlive(started?.pid ?? 0)).toBe(false);
  });
});
