import { readFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { appendFileSync, chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import {
  DEFAULT_DETECT_HANDSHAKE_MS,
  detectEngines,
  EngineProtocolMismatchError,
  loadTranscriptScenario,
  openSession,
  scriptedEngine,
  type WireEvent,
} from "../src/index.js";
import { kimiBinaryFromPath } from "../src/internal/kimi-binary.js";
import { modelUsageTotal } from "../src/internal/acp/session.js";
import { FAST, fakeKimiWire, ofType, scripted, workspace } from "./helpers.js";

afterAll(() => cleanupTempDirs());

describe("usage sources", () => {
  it("reads Kimi Code's usage.record lines from its session log (under the engine's HOME), as they arrive", async () => {
    const ws = workspace();
    const events: WireEvent[] = [];
    const engine = scripted(
      {
        turns: [
          {
            steps: [
              { usage: { inputUncached: 100, output: 10, cacheRead: 1000, via: "kimi_log" } },
              { sleep: 400 },
              { usage: { inputUncached: 50, output: 5, cacheWrite: 7, via: "kimi_log" } },
            ],
          },
        ],
      },
      { usageLog: "kimi_session_log" },
    );
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, deadlines: FAST, onEvent: (e) => events.push(e) });
    if (!opened.ok) throw opened.error;
    const turn = await opened.value.prompt("go");
    await opened.value.close();
    if (!turn.ok) throw turn.error;
    expect(turn.value.usage).toEqual({ inputUncached: 150, cacheRead: 1000, cacheWrite: 7, output: 15 });
    const usage = ofType(events, "usage");
    expect(usage.map((e) => e.source)).toEqual(["kimi_session_log", "kimi_session_log"]);
    // the first record was reported before the turn ended (a budget could stop it there)
    const finished = events.findIndex((e) => e.type === "turn_finished");
    expect(events.indexOf(usage[0] as WireEvent)).toBeLessThan(finished);
    expect(usage[0]?.turnUsage).toEqual({ inputUncached: 100, cacheRead: 1000, cacheWrite: 0, output: 10 });
  });

  it("reads usage from the prompt response's _meta and cost from usage_update; a silent engine is unknown", async () => {
    const ws = workspace();
    const engine = scripted({
      turns: [
        { steps: [{ usage: { inputUncached: 10, output: 1, via: "meta" } }, { usage_update: { used: 500, size: 1000, costUsd: 0.02 } }] },
        { steps: [{ usage_update: { used: 600, size: 1000, costUsd: 0.05 } }] },
        { steps: [{ message: "no usage at all" }] },
      ],
    });
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, deadlines: FAST });
    if (!opened.ok) throw opened.error;
    const one = await opened.value.prompt("1");
    const two = await opened.value.prompt("2");
    const three = await opened.value.prompt("3");
    await opened.value.close();
    expect(one.ok && one.value.usage).toEqual({ inputUncached: 10, cacheRead: 0, cacheWrite: 0, output: 1, reportedUsd: 0.02 });
    expect(one.ok && one.value.cost).toEqual({ usd: 0.02, source: "reported" });
    expect(two.ok && two.value.usage).toBe("unknown");
    expect(two.ok && two.value.cost).toEqual({ usd: 0.03, source: "reported" });
    expect(three.ok && three.value.usage).toBe("unknown");
    expect(three.ok && three.value.cost).toBe("unknown");
  });
});

describe("usage: exact, partial or unknown", () => {
  const chunk = (usage: Record<string, number>) => ({
    update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: "" }, _meta: { usage, durationMs: 5 } },
  });

  it("waits for Kimi Code's turn.ended record: a usage record written after the prompt response still counts, and the turn is exact", async () => {
    const ws = workspace();
    const events: WireEvent[] = [];
    const engine = scripted(
      {
        turns: [
          {
            steps: [
              { usage: { inputUncached: 100, output: 10, via: "kimi_log" } },
              { usage: { inputUncached: 200, output: 20, via: "kimi_log", lateMs: 400 } },
            ],
          },
          { steps: [{ usage: { inputUncached: 5, output: 1, via: "kimi_log", lateMs: 300 } }] },
        ],
      },
      { usageLog: "kimi_session_log" },
    );
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, deadlines: FAST, onEvent: (e) => events.push(e) });
    if (!opened.ok) throw opened.error;
    const one = await opened.value.prompt("1");
    const two = await opened.value.prompt("2");
    await opened.value.close();
    if (!one.ok || !two.ok) throw new Error("turn failed");
    expect(one.value.usage).toEqual({ inputUncached: 300, cacheRead: 0, cacheWrite: 0, output: 30 });
    expect(one.value.usageQuality).toBe("exact");
    // the late record of turn 1 is not carried into turn 2
    expect(two.value.usage).toEqual({ inputUncached: 5, cacheRead: 0, cacheWrite: 0, output: 1 });
    expect(two.value.usageQuality).toBe("exact");
    expect(ofType(events, "anomaly").filter((e) => e.kind === "usage_missing")).toEqual([]);
  });

  it("in the user's own Kimi folder (the engine's own env names it with KIMI_CODE_HOME), counts only the log of the session it opened: another session's records (a concurrent run, the user's own) are never read", async () => {
    const ws = workspace();
    const userHome = path.join(ws.runDir, "..", "user-home");
    const foreign = path.join(userHome, ".kimi-code", "sessions", "wd_other", "session_someone_else", "agents", "main");
    mkdirSync(foreign, { recursive: true });
    const record = (n: number) =>
      `${JSON.stringify({ type: "llm.request", agentId: "main" })}\n${JSON.stringify({ type: "usage.record", agentId: "main", model: "x", usage: { inputOther: n, output: n, inputCacheRead: 0, inputCacheCreation: 0 } })}\n`;
    writeFileSync(path.join(foreign, "wire.jsonl"), record(99_999));
    const engine = scripted(
      {
        turns: [
          {
            steps: [{ usage: { inputUncached: 10, output: 2, via: "kimi_log" } }, { sleep: 300 }, { usage: { inputUncached: 20, output: 3, via: "kimi_log" } }],
          },
        ],
      },
      { usageLog: "kimi_session_log", home: "user", env: { KIMI_CODE_HOME: path.join(userHome, ".kimi-code") } },
    );
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, env: { PATH: process.env["PATH"], HOME: userHome }, deadlines: FAST });
    if (!opened.ok) throw opened.error;
    // the other session keeps writing while this turn runs
    const timer = setInterval(() => appendFileSync(path.join(foreign, "wire.jsonl"), record(77_777)), 50);
    const turn = await opened.value.prompt("go");
    clearInterval(timer);
    await opened.value.close();
    if (!turn.ok) throw turn.error;
    expect(turn.value.usage).toEqual({ inputUncached: 30, cacheRead: 0, cacheWrite: 0, output: 5 });
    expect(turn.value.usageQuality).toBe("exact");
    expect(existsSync(path.join(userHome, ".kimi-code", "sessions", "wd_scripted"))).toBe(true);
  });

  it("a Kimi session whose log is nowhere to be found is not waited for: usage unknown, with an anomaly naming where OMK looked and the fix", async () => {
    const ws = workspace();
    const events: WireEvent[] = [];
    const engine = scripted({ turns: [{ steps: [{ message: "no log at all" }] }] }, { usageLog: "kimi_session_log" });
    // a request deadline far beyond the test's timeout: waiting for a turn.ended that never comes would fail the test
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, deadlines: { ...FAST, requestMs: 600_000 }, onEvent: (e) => events.push(e) });
    if (!opened.ok) throw opened.error;
    const turn = await opened.value.prompt("go");
    await opened.value.close();
    if (!turn.ok) throw turn.error;
    expect(turn.value.usage).toBe("unknown");
    expect(turn.value.usageQuality).toBe("unknown");
    const anomaly = ofType(events, "anomaly").find((e) => e.kind === "usage_log");
    expect(anomaly?.detail).toContain(`was not found at ${path.join(ws.runDir, "home", ".kimi-code", "sessions")}`);
    expect(anomaly?.detail).toContain("KIMI_CODE_HOME");
  });

  it("a Kimi model call logged without a usage record makes the turn partial, with an anomaly saying so", async () => {
    const ws = workspace();
    const events: WireEvent[] = [];
    const engine = scripted(
      {
        turns: [
          { steps: [{ usage: { inputUncached: 100, output: 10, via: "kimi_log" } }, { usage: { inputUncached: 1, via: "kimi_log", unrecorded: true } }] },
          { steps: [{ usage: { inputUncached: 1, via: "kimi_log", unrecorded: true } }] },
        ],
      },
      { usageLog: "kimi_session_log" },
    );
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, deadlines: FAST, onEvent: (e) => events.push(e) });
    if (!opened.ok) throw opened.error;
    const one = await opened.value.prompt("1");
    const two = await opened.value.prompt("2");
    await opened.value.close();
    if (!one.ok || !two.ok) throw new Error("turn failed");
    expect(one.value.usage).toEqual({ inputUncached: 100, cacheRead: 0, cacheWrite: 0, output: 10 });
    expect(one.value.usageQuality).toBe("partial");
    expect(ofType(events, "anomaly").find((e) => e.kind === "usage_missing")?.detail).toBe(
      "1 of 2 model calls in Kimi Code's session log have no usage record (cut short or failed)",
    );
    // nothing reported at all: unknown, never a known zero
    expect(two.value.usage).toBe("unknown");
    expect(two.value.usageQuality).toBe("unknown");
  });

  it("reads Qwen Code's per-call `_meta.usage` on agent_message_chunk mid-turn (no empty message events), and a prompt-response total replaces the sums instead of adding to them", async () => {
    const ws = workspace();
    const events: WireEvent[] = [];
    const engine = scripted({
      turns: [
        {
          steps: [
            { message: "Looking. " },
            chunk({ inputTokens: 1000, outputTokens: 20, totalTokens: 1020, cachedReadTokens: 0 }),
            { sleep: 300 },
            chunk({ inputTokens: 1500, outputTokens: 30, totalTokens: 1530, cachedReadTokens: 400 }),
            { message: "Done." },
          ],
        },
        { steps: [chunk({ inputTokens: 50, outputTokens: 5, totalTokens: 55 }), { usage: { inputUncached: 60, output: 6 } }] },
      ],
    });
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, deadlines: FAST, onEvent: (e) => events.push(e) });
    if (!opened.ok) throw opened.error;
    const one = await opened.value.prompt("1");
    const firstTurnEvents = [...events];
    const two = await opened.value.prompt("2");
    await opened.value.close();
    if (!one.ok || !two.ok) throw new Error("turn failed");
    expect(one.value.usage).toEqual({ inputUncached: 2100, cacheRead: 400, cacheWrite: 0, output: 50 });
    expect(one.value.usageQuality).toBe("exact");
    expect(ofType(firstTurnEvents, "message").map((e) => e.text)).toEqual(["Looking. ", "Done."]);
    const usage = ofType(firstTurnEvents, "usage");
    expect(usage.map((e) => e.source)).toEqual(["acp_meta", "acp_meta"]);
    // the first call was counted while the turn was still running
    expect(usage[0]?.turnUsage).toEqual({ inputUncached: 1000, cacheRead: 0, cacheWrite: 0, output: 20 });
    expect(firstTurnEvents.indexOf(usage[0] as WireEvent)).toBeLessThan(firstTurnEvents.findIndex((e) => e.type === "turn_finished"));
    expect(two.value.usage).toEqual({ inputUncached: 60, cacheRead: 0, cacheWrite: 0, output: 6 });
  });

  it("a turn stopped mid-way after some per-call reports is partial; one with none is unknown", async () => {
    const ws = workspace();
    const engine = scripted({
      turns: [{ steps: [chunk({ inputTokens: 10, outputTokens: 1, totalTokens: 11 }), { hang: "honour_cancel" }] }, { steps: [{ hang: "honour_cancel" }] }],
    });
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, deadlines: FAST });
    if (!opened.ok) throw opened.error;
    const session = opened.value;
    const one = session.prompt("1");
    await new Promise((r) => setTimeout(r, 500));
    await session.cancel();
    const two = session.prompt("2");
    await new Promise((r) => setTimeout(r, 500));
    await session.cancel();
    const [a, b] = [await one, await two];
    await session.close();
    if (!a.ok || !b.ok) throw new Error("turn failed");
    expect(a.value.stopReason).toBe("cancelled");
    expect(a.value.usage).toEqual({ inputUncached: 10, cacheRead: 0, cacheWrite: 0, output: 1 });
    expect(a.value.usageQuality).toBe("partial");
    expect(b.value.usage).toBe("unknown");
    expect(b.value.usageQuality).toBe("unknown");
  });

  it("takes claude-agent-acp's per-model split (`_meta.quota.model_usage`) when it holds more than the main loop's `usage`", () => {
    expect(
      modelUsageTotal({
        quota: {
          token_count: { inputTokens: 100, cachedInputTokens: 0, cachedWriteTokens: 0, outputTokens: 10, totalTokens: 110 },
          model_usage: [
            { model: "claude-sonnet", token_count: { inputTokens: 100, cachedInputTokens: 50, cachedWriteTokens: 5, outputTokens: 10, totalTokens: 165 } },
            { model: "claude-haiku", token_count: { inputTokens: 30, cachedInputTokens: 0, cachedWriteTokens: 0, outputTokens: 3, totalTokens: 33 } },
          ],
        },
      }),
    ).toEqual({ inputUncached: 130, cacheRead: 50, cacheWrite: 5, output: 13 });
    expect(modelUsageTotal({ quota: { model_usage: [] } })).toBeUndefined();
    expect(modelUsageTotal(undefined)).toBeUndefined();
  });
});

describe("record and replay", () => {
  it("replays a recorded session as a scripted session in another folder, with the same effects", async () => {
    const first = workspace();
    const engine = scripted({
      agent: { name: "recorded-agent", version: "3.1.4" },
      turns: [
        {
          steps: [
            { message: "Hi. " },
            { plan: [{ content: "write", priority: "medium", status: "pending" }] },
            { write: { path: "out/result.txt", content: "42\n" } },
            { command: { command: "/bin/sh", args: ["-c", "cat out/result.txt"] } },
            { garbage: "a stray log line" },
            { usage: { inputUncached: 9, output: 3 } },
            { message: "Bye." },
          ],
        },
      ],
    });
    const recorded: WireEvent[] = [];
    const opened = await openSession({
      engine,
      cwd: first.root,
      runDir: first.runDir,
      transcriptPath: first.transcript,
      deadlines: FAST,
      onEvent: (e) => recorded.push(e),
    });
    if (!opened.ok) throw opened.error;
    const original = await opened.value.prompt("go");
    await opened.value.close();
    if (!original.ok) throw original.error;

    const scenario = loadTranscriptScenario(first.transcript);
    if (!scenario.ok) throw scenario.error;
    expect(scenario.value.agent).toEqual({ name: "recorded-agent", version: "3.1.4" });

    const second = workspace();
    const replayed: WireEvent[] = [];
    const replay = await openSession({
      engine: scripted(scenario.value),
      cwd: second.root,
      runDir: second.runDir,
      deadlines: FAST,
      onEvent: (e) => replayed.push(e),
    });
    if (!replay.ok) throw replay.error;
    const again = await replay.value.prompt("go");
    await replay.value.close();
    if (!again.ok) throw again.error;
    expect(again.value.stopReason).toBe(original.value.stopReason);
    expect(again.value.filesWritten).toEqual(original.value.filesWritten);
    expect(again.value.usage).toEqual(original.value.usage);
    expect(again.value.commandsRun.map((c) => [c.command, c.args, c.exitCode])).toEqual(original.value.commandsRun.map((c) => [c.command, c.args, c.exitCode]));
    expect(readFileSync(path.join(second.root, "out/result.txt"), "utf8")).toBe("42\n");
    const kinds = (events: WireEvent[]) => events.filter((e) => !["stderr", "session_started", "session_closed", "usage"].includes(e.type)).map((e) => e.type);
    // Same events; only the place of a command's tool_call update can move (a replayed command runs to its end first).
    expect(kinds(replayed).sort()).toEqual(kinds(recorded).sort());
    expect(ofType(replayed, "message").map((e) => e.text)).toEqual(ofType(recorded, "message").map((e) => e.text));
    expect(ofType(replayed, "scope")).toEqual([]);
  });
});

describe("detectEngines", () => {
  it("reports found engines with version and handshake result, and missing ones as skipped", async () => {
    const found = await detectEngines({
      engines: [
        scripted({ turns: [] }),
        scripted({ auth: "session_new" }, { name: "needs-login" }),
        fakeKimiWire({ turns: [] }),
        { ...scripted({}), name: "ghost", command: "omk-no-such-engine-here" },
      ],
      handshakeMs: 10_000,
    });
    expect(found.map((e) => [e.name, e.found, e.handshake.status])).toEqual([
      ["scripted", true, "ok"],
      ["needs-login", true, "auth_required"],
      ["kimi-wire", true, "ok"],
      ["ghost", false, "skipped"],
    ]);
    expect(found[0]?.version).toMatch(/^omk-scripted-agent \d/);
    expect(found[0]?.handshake.agentName).toBe("omk-scripted-agent");
    expect(found[1]?.handshake.detail).toContain("engine needs authentication");
    expect(found[1]?.handshake).toMatchObject({ agentName: "omk-scripted-agent", fix: "scripted: no login exists (it offers: scripted login)" });
    expect(found[2]?.version).toBe("kimi, version 1.49.0");
    // its --help names --wire: the Python kimi CLI's protocol
    expect(found[2]?.binary).toMatchObject({ kind: "kimi-cli", speaks: "kimi-wire" });
    expect(found[0]?.binary).toBeUndefined();
  });

  it("waits 120 s for a handshake unless told otherwise", () => {
    expect(DEFAULT_DETECT_HANDSHAKE_MS).toBe(120_000);
  });

  it("probes the bundled scripted engine by name, with an empty scenario (what omk doctor lists)", async () => {
    const [scriptedFound] = await detectEngines({ engines: ["scripted"], handshakeMs: 30_000 });
    expect(scriptedFound).toMatchObject({ name: "scripted", protocol: "acp", found: true, handshake: { status: "ok", agentName: "omk-scripted-agent" } });
    expect(scriptedFound?.version).toMatch(/^omk-scripted-agent \d+\.\d+\.\d+$/);
  });
});

describe("kimi: Kimi Code 2.x (ACP) or the Python kimi CLI (Kimi Wire)", () => {
  function fakeKimiCodeInstall(dir: string, script: string): string {
    const entry = path.join(dir, "node_modules", "@moonshot-ai", "kimi-code", "dist", "main.mjs");
    mkdirSync(path.dirname(entry), { recursive: true });
    writeFileSync(entry, script);
    chmodSync(entry, 0o755);
    mkdirSync(path.join(dir, "bin"), { recursive: true });
    symlinkSync(entry, path.join(dir, "bin", "kimi"));
    return path.join(dir, "bin", "kimi");
  }

  it("tells them apart by the installed file: the npm package's entry, or a Python script", () => {
    const ws = workspace();
    const kimiCode = fakeKimiCodeInstall(ws.root, "#!/usr/bin/env node\n");
    expect(kimiBinaryFromPath(kimiCode)).toMatchObject({ kind: "kimi-code", speaks: "acp" });
    expect(kimiBinaryFromPath(process.execPath, [path.join(ws.root, "node_modules/@moonshot-ai/kimi-code/dist/main.mjs"), "acp"])).toMatchObject({
      kind: "kimi-code",
    });
    const py = path.join(ws.root, "kimi-py");
    writeFileSync(py, "#!/opt/venv/bin/python3\nimport sys\n");
    expect(kimiBinaryFromPath(py)).toMatchObject({ kind: "kimi-cli", speaks: "kimi-wire" });
    const wrapper = path.join(ws.root, "wrapper");
    writeFileSync(wrapper, '#!/bin/sh\nexec kimi "$@"\n');
    expect(kimiBinaryFromPath(wrapper)).toBeUndefined();
  });

  it("kimi-wire on Kimi Code 2.x fails fast, before anything runs, naming the engine to use; a wrapper it cannot see through is recognised by Kimi Code's answer to --wire", async () => {
    const ws = workspace();
    const marker = path.join(ws.root, "ran");
    const kimi = fakeKimiCodeInstall(ws.root, `#!/bin/sh\ntouch ${marker}\necho "error: unknown option '--wire'" >&2\nexit 1\n`);
    // Fast means before the handshake deadline: waited out, the error would be a timeout, not the mismatch.
    const opened = await openSession({ engine: { ...fakeKimiWire({ turns: [] }), command: kimi, args: [] }, cwd: ws.root, runDir: ws.runDir, deadlines: FAST });
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    expect(opened.error).toBeInstanceOf(EngineProtocolMismatchError);
    expect(opened.error.message).toBe(
      `engine kimi-wire speaks Kimi Wire, but ${kimi} is Kimi Code 2.x (npm @moonshot-ai/kimi-code), which speaks ACP through \`kimi acp\``,
    );
    expect(opened.error.fix).toContain("use --engine kimi");
    expect(existsSync(marker)).toBe(false);

    const wrapper = path.join(ws.root, "kimi-wrapper");
    writeFileSync(wrapper, `#!/bin/sh\nexec ${kimi} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const viaWrapper = await openSession({
      engine: { ...fakeKimiWire({ turns: [] }), command: wrapper, args: [] },
      cwd: ws.root,
      runDir: ws.runDir,
      deadlines: FAST,
    });
    expect(viaWrapper.ok).toBe(false);
    if (viaWrapper.ok) return;
    expect(viaWrapper.error).toBeInstanceOf(EngineProtocolMismatchError);
    expect(viaWrapper.error.fix).toContain("use --engine kimi");
    expect(existsSync(marker)).toBe(true);
  });
});

describe("scriptedEngine preset", () => {
  it("runs omk-scripted-agent from source in a checkout (through tsx)", async () => {
    const ws = workspace();
    const file = `${ws.root}/../scenario.json`;
    writeFileSync(file, JSON.stringify({ turns: [{ steps: [{ message: "from source" }] }] }));
    const opened = await openSession({ engine: scriptedEngine(file), cwd: ws.root, runDir: ws.runDir, deadlines: { handshakeMs: 30_000 } });
    if (!opened.ok) throw opened.error;
    const turn = await opened.value.prompt("go");
    await opened.value.close();
    expect(turn.ok && turn.value.stopReason).toBe("end_turn");
  });
});
