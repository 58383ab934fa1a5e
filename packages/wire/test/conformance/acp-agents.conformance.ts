// Conformance with two more real ACP agents no one here wrote: Gemini CLI and
// claude-agent-acp (Anthropic's Claude Code behind Zed's ACP adapter), driven
// by OMK's ACP client with no credentials, as on CI. What each really does
// without a login is asserted exactly, and must end in OMK's typed auth error
// naming how to log in. Needs $OMK_AGENTS_DIR (tooling/install-agents.mjs).
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir, startModelServer } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import {
  detectEngines,
  EngineAuthRequiredError,
  type EngineSpecInput,
  enginePreset,
  isolationDirs,
  openSession,
  type Usage,
  type WireEvent,
} from "../../src/index.js";
import { leftovers, ofType } from "../helpers.js";
import { agents, entriesOf, rpcLines, spawnedPids } from "./agents.js";
import { startFakeAnthropic } from "./fake-anthropic.js";

afterAll(() => cleanupTempDirs());

/**
 * A credential-less environment: PATH only, and HOME pointing at a decoy
 * "user home" that must stay untouched (with `home: "hermetic"`, OMK gives
 * the engine its own HOME, TMPDIR and XDG dirs under the run folder).
 */
function setup(prefix: string) {
  const base = makeTempDir(prefix);
  const root = path.join(base, "root");
  const userHome = path.join(base, "user-home");
  mkdirSync(root);
  mkdirSync(userHome);
  return {
    root,
    userHome,
    runDir: path.join(base, "run"),
    transcript: path.join(base, "transcript.jsonl"),
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: userHome },
  };
}

function geminiOverrides(): Partial<EngineSpecInput> {
  const { gemini } = agents();
  // hermetic: these tests assert that nothing lands in the (decoy) user home.
  return { command: gemini.node, args: [gemini.entry, "--acp"], versionArgs: [gemini.entry, "--version"], home: "hermetic" };
}

function claudeOverrides(): Partial<EngineSpecInput> {
  const { claude } = agents();
  return { command: claude.node, args: [claude.entry], versionArgs: [claude.entry, "--version"], home: "hermetic" };
}

describe("Gemini CLI (real) through OMK's ACP client, without credentials", () => {
  it("answers initialize with its agent info, capabilities and auth methods, then -32000 at session/new, which OMK maps to EngineAuthRequiredError naming how to log in", async () => {
    const { gemini } = agents();
    const w = setup("omk-gemini-conf-");
    const spec = enginePreset("gemini", geminiOverrides());
    if (!spec.ok) throw spec.error;
    const opened = await openSession({
      engine: spec.value,
      cwd: w.root,
      env: w.env,
      runDir: w.runDir,
      transcriptPath: w.transcript,
      deadlines: { handshakeMs: 60_000, killGraceMs: 1_000 },
    });

    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    const error = opened.error;
    expect(error).toBeInstanceOf(EngineAuthRequiredError);
    if (!(error instanceof EngineAuthRequiredError)) return;
    expect(error.code).toBe("OMK_WIRE_AUTH_REQUIRED");
    expect(error.engine).toBe("gemini");
    expect(error.message).toContain("session/new: Gemini API key is missing or not configured.");
    // The login hint: the preset's instruction plus the methods Gemini advertised.
    expect(error.fix).toMatch(/^run `gemini` once and pick a login method, or set GEMINI_API_KEY \(it offers: Log in with Google, Gemini API key, Vertex AI/);
    expect(error.agent).toMatchObject({ name: "gemini-cli", version: gemini.version });
    expect(error.agent?.authMethods).toEqual(expect.arrayContaining(["Log in with Google", "Gemini API key", "Vertex AI"]));
    expect(error.agent?.capabilities).toMatchObject({ loadSession: true, promptCapabilities: { image: true, embeddedContext: true } });

    // On the wire: initialize succeeded, session/new was answered with -32000.
    const fromAgent = rpcLines(w.transcript, "in");
    expect(fromAgent.find((m) => m["id"] === 0)?.["result"]).toMatchObject({ protocolVersion: 1, agentInfo: { name: "gemini-cli", version: gemini.version } });
    expect(fromAgent.find((m) => m["id"] === 1)?.["error"]).toMatchObject({ code: -32000 });

    // Isolation: Gemini ran in a HOME of the session's own (removed at close), never in the caller's.
    expect(existsSync(isolationDirs(w.runDir).home)).toBe(false);
    expect(entriesOf(w.userHome)).toEqual([]);
    // Nothing left running.
    const pids = spawnedPids(w.transcript);
    expect(pids).toHaveLength(1);
    expect(pids.flatMap((pid) => leftovers(pid))).toEqual([]);

    // detectEngines (omk doctor) reports it as found, with its version, needing a login.
    const [detected] = await detectEngines({ engines: ["gemini"], overrides: { gemini: geminiOverrides() }, env: w.env, handshakeMs: 60_000 });
    expect(detected).toMatchObject({
      name: "gemini",
      found: true,
      version: gemini.version,
      handshake: { status: "auth_required", agentName: "gemini-cli", agentVersion: gemini.version },
    });
    expect(detected?.handshake.fix).toContain("GEMINI_API_KEY");
    expect(entriesOf(w.userHome)).toEqual([]);
  });
});

describe("claude-agent-acp (real) through OMK's ACP client, without credentials", () => {
  it("opens a session (initialize with its agent info and capabilities, session/new), then answers the first prompt with -32000, which OMK maps to EngineAuthRequiredError naming how to log in", async () => {
    const { claude } = agents();
    const w = setup("omk-claude-conf-");
    const spec = enginePreset("claude", claudeOverrides());
    if (!spec.ok) throw spec.error;
    const events: WireEvent[] = [];
    const opened = await openSession({
      engine: spec.value,
      cwd: w.root,
      env: w.env,
      runDir: w.runDir,
      transcriptPath: w.transcript,
      deadlines: { handshakeMs: 60_000, requestMs: 30_000, turnInactivityMs: 30_000, turnTotalMs: 60_000, cancelGraceMs: 2_000, killGraceMs: 1_000 },
      onEvent: (e) => events.push(e),
    });
    if (!opened.ok) throw opened.error;
    const session = opened.value;
    try {
      expect(session.protocol).toBe("acp");
      expect(session.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(session.agent).toMatchObject({ name: "@agentclientprotocol/claude-agent-acp", version: claude.version, authMethods: [] });
      expect(session.agent.capabilities).toMatchObject({
        loadSession: true,
        promptCapabilities: { image: true, embeddedContext: true },
        mcpCapabilities: { http: true, sse: true },
      });
      expect(ofType(events, "session_started")[0]).toMatchObject({
        engine: "claude",
        agentName: "@agentclientprotocol/claude-agent-acp",
        agentVersion: claude.version,
      });
      // session/new offers a model choice as a config option (what OMK's model selection uses).
      const created = rpcLines(w.transcript, "in").find((m) => m["id"] === 1)?.["result"] as { configOptions?: Array<{ category?: string }> } | undefined;
      expect(created?.configOptions?.some((o) => o.category === "model")).toBe(true);

      const turn = await session.prompt("Say hello.");
      expect(turn.ok).toBe(false);
      if (turn.ok) return;
      expect(turn.error).toBeInstanceOf(EngineAuthRequiredError);
      if (!(turn.error instanceof EngineAuthRequiredError)) return;
      expect(turn.error.engine).toBe("claude");
      expect(turn.error.message).toContain("session/prompt: Authentication required");
      expect(turn.error.fix).toBe("run `claude` and `/login`, or set ANTHROPIC_API_KEY");
      expect(turn.error.agent).toMatchObject({ name: "@agentclientprotocol/claude-agent-acp" });
      const answer = rpcLines(w.transcript, "in").find((m) => m["id"] === 2);
      expect(answer?.["error"]).toMatchObject({ code: -32000, message: "Authentication required" });
      // The session survives an auth error: it is not a crash.
      expect(session.isClosed).toBe(false);
    } finally {
      await session.close();
    }
    expect(leftovers(session.pid)).toEqual([]);
    expect(spawnedPids(w.transcript).flatMap((pid) => leftovers(pid))).toEqual([]);
    // Isolation: Claude Code ran in a HOME of the session's own (removed at close), not the caller's.
    expect(existsSync(isolationDirs(w.runDir).home)).toBe(false);
    expect(entriesOf(w.userHome)).toEqual([]);

    // detectEngines (omk doctor): found, with version, handshake ok (the login is only needed to prompt).
    const [detected] = await detectEngines({ engines: ["claude"], overrides: { claude: claudeOverrides() }, env: w.env, handshakeMs: 60_000 });
    expect(detected).toMatchObject({
      name: "claude",
      found: true,
      handshake: { status: "ok", agentName: "@agentclientprotocol/claude-agent-acp", agentVersion: claude.version },
    });
    expect(entriesOf(w.userHome)).toEqual([]);
  });
});

describe("claude-agent-acp (real) with a model server: usage", () => {
  it("reports per turn exactly the tokens the server served, Claude Code's small-model title call included (from `_meta.quota.model_usage`); OMK's preset turns the after-turn prompt suggestion off", async () => {
    const w = setup("omk-claude-usage-");
    const server = await startFakeAnthropic((_n, tools) => (tools === 0 ? '{"title": "Saying hello"}' : "Hello from the fake model."));
    try {
      const spec = enginePreset("claude", claudeOverrides());
      if (!spec.ok) throw spec.error;
      expect(spec.value.env["CLAUDE_CODE_ENABLE_PROMPT_SUGGESTION"]).toBe("false");
      const events: WireEvent[] = [];
      const opened = await openSession({
        engine: spec.value,
        cwd: w.root,
        env: { ...w.env, ANTHROPIC_API_KEY: "sk-ant-test-key", ANTHROPIC_BASE_URL: server.url },
        runDir: w.runDir,
        transcriptPath: w.transcript,
        deadlines: { handshakeMs: 90_000 },
        onEvent: (e) => events.push(e),
      });
      if (!opened.ok) throw opened.error;
      const session = opened.value;
      const sum = (calls: typeof server.served) =>
        calls.reduce(
          (u, c) => ({ inputUncached: u.inputUncached + c.usage.input_tokens, cacheRead: 0, cacheWrite: 0, output: u.output + c.usage.output_tokens }),
          { inputUncached: 0, cacheRead: 0, cacheWrite: 0, output: 0 },
        );
      const one = await session.prompt("Please say hello to me now.");
      if (!one.ok) throw one.error;
      const afterOne = server.served.length;
      const two = await session.prompt("Again, say hello.");
      if (!two.ok) throw two.error;
      // give an after-turn call (a prompt suggestion) time to reach the server
      await new Promise((r) => setTimeout(r, 3_000));
      await session.close();

      expect(
        ofType(events, "message")
          .map((e) => e.text)
          .join(""),
      ).toContain("Hello from the fake model.");
      // turn 1: the title call (no tools) and the main call; turn 2: the main call; nothing after
      expect(server.served.map((c) => c.tools > 0)).toEqual([false, true, true]);
      const { reportedUsd: _a, ...tokensOne } = one.value.usage as Usage;
      const { reportedUsd: _b, ...tokensTwo } = two.value.usage as Usage;
      expect(tokensOne).toEqual(sum(server.served.slice(0, afterOne)));
      expect(tokensTwo).toEqual(sum(server.served.slice(afterOne)));
      expect([one.value.usageQuality, two.value.usageQuality]).toEqual(["exact", "exact"]);
      // Claude Code's own cost, from usage_update (cumulative per session; OMK takes each turn's share)
      expect(one.value.cost).toMatchObject({ source: "reported" });
      expect(leftovers(session.pid)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("claude-agent-acp (real) with a model server refusing the key (401)", () => {
  it("answers the prompt -32000 `Authentication required`; OMK maps it to EngineAuthRequiredError with the preset's login fix", async () => {
    const w = setup("omk-claude-401-");
    const server = await startModelServer([{ name: "refuse", match: /./, steps: [{ text: "never" }], fault: "unauthorized" }]);
    try {
      const spec = enginePreset("claude", claudeOverrides());
      if (!spec.ok) throw spec.error;
      const opened = await openSession({
        engine: spec.value,
        cwd: w.root,
        env: { ...w.env, ANTHROPIC_API_KEY: "sk-ant-wrong", ANTHROPIC_BASE_URL: server.url },
        runDir: w.runDir,
        transcriptPath: w.transcript,
        deadlines: { handshakeMs: 90_000 },
      });
      if (!opened.ok) throw opened.error;
      const turn = await opened.value.prompt("Say hello.");
      await opened.value.close();
      expect(turn.ok).toBe(false);
      if (turn.ok) return;
      expect(server.ledger.some((e) => e.status === 401)).toBe(true);
      expect(rpcLines(w.transcript, "in").find((m) => m["error"] !== undefined)?.["error"]).toMatchObject({ code: -32000, message: "Authentication required" });
      expect(turn.error).toBeInstanceOf(EngineAuthRequiredError);
      expect(turn.error.fix).toBe("run `claude` and `/login`, or set ANTHROPIC_API_KEY");
    } finally {
      await server.close();
    }
  });
});
