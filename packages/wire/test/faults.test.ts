import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import {
  EngineAbortedError,
  EngineAuthRequiredError,
  EngineCrashedError,
  EngineRequestError,
  EngineSpawnError,
  EngineTimeoutError,
  openSession,
  ProtocolError,
  type ScenarioInput,
  type WireEvent,
} from "../src/index.js";
import { FAST, leftovers, ofType, scripted, workspace } from "./helpers.js";

afterAll(() => cleanupTempDirs());

type Overrides = Parameters<typeof scripted>[1];

/** Opens a scripted session and runs one prompt; returns the result, events and pid. */
async function runFault(
  scenario: ScenarioInput,
  options: { deadlines?: Partial<typeof FAST>; overrides?: Overrides; during?: (s: import("../src/index.js").EngineSession) => void } = {},
) {
  const ws = workspace();
  const events: WireEvent[] = [];
  const opened = await openSession({
    engine: scripted(scenario, options.overrides),
    cwd: ws.root,
    runDir: ws.runDir,
    transcriptPath: ws.transcript,
    deadlines: { ...FAST, ...options.deadlines },
    onEvent: (e) => events.push(e),
  });
  if (!opened.ok) throw opened.error;
  const session = opened.value;
  const promise = session.prompt("go");
  options.during?.(session);
  const result = await promise;
  const pidAlive = leftovers(session.pid).length > 0;
  await session.close();
  return { result, events, pid: session.pid, pidAliveAfterTurn: pidAlive, session };
}

describe("faults: every one ends in a typed result within its deadline, with no process left", () => {
  it("hang honouring cancel: cancel() ends the turn `cancelled`, the engine stays usable", async () => {
    const ws = workspace();
    const opened = await openSession({
      engine: scripted({ turns: [{ steps: [{ message: "thinking..." }, { hang: "honour_cancel" }] }, { steps: [{ message: "second turn" }] }] }),
      cwd: ws.root,
      runDir: ws.runDir,
      deadlines: FAST,
    });
    if (!opened.ok) throw opened.error;
    const session = opened.value;
    const turn = session.prompt("go");
    await new Promise((r) => setTimeout(r, 300));
    await session.cancel();
    const result = await turn;
    expect(result.ok && result.value.stopReason).toBe("cancelled");
    expect(leftovers(session.pid).length).toBeGreaterThan(0);
    const second = await session.prompt("again");
    expect(second.ok && second.value.stopReason).toBe("end_turn");
    await session.close();
    expect(leftovers(session.pid)).toEqual([]);
  });

  it("hang honouring cancel: the inactivity deadline cancels it (timeout error, stopped by cancel)", async () => {
    const { result, events, pid } = await runFault({ turns: [{ steps: [{ hang: "honour_cancel" }] }] }, { deadlines: { turnInactivityMs: 800 } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(EngineTimeoutError);
    expect(result.error).toMatchObject({ code: "OMK_WIRE_TIMEOUT", deadline: "turn_inactivity", stoppedBy: "cancel" });
    expect(ofType(events, "deadline").map((e) => e.action)).toEqual(["cancel"]);
    expect(leftovers(pid)).toEqual([]);
  });

  it("hang ignoring cancel: the total deadline kills the process group (SIGTERM)", async () => {
    const { result, events, pid, pidAliveAfterTurn } = await runFault({ turns: [{ steps: [{ hang: "ignore_cancel" }] }] }, { deadlines: { turnTotalMs: 800 } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: "OMK_WIRE_TIMEOUT", deadline: "turn_total", stoppedBy: "kill" });
    expect(ofType(events, "deadline").map((e) => e.action)).toEqual(["cancel", "kill"]);
    expect(pidAliveAfterTurn).toBe(false);
    expect(leftovers(pid)).toEqual([]);
  });

  it("an aborted signal cancels the turn, escalating to SIGKILL when SIGTERM is ignored", async () => {
    const ws = workspace();
    const controller = new AbortController();
    const opened = await openSession({
      engine: scripted({ ignoreSigterm: true, turns: [{ steps: [{ hang: "ignore_cancel" }] }] }),
      cwd: ws.root,
      runDir: ws.runDir,
      deadlines: FAST,
      transcriptPath: ws.transcript,
    });
    if (!opened.ok) throw opened.error;
    const session = opened.value;
    setTimeout(() => controller.abort(), 300);
    const result = await session.prompt("go", { signal: controller.signal });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(EngineAbortedError);
      expect(result.error).toMatchObject({ stoppedBy: "kill" });
    }
    expect(leftovers(session.pid)).toEqual([]);
    const report = await session.close();
    expect(report).toMatchObject({ signal: "SIGKILL", killed: true });
    const again = await session.prompt("more");
    expect(again.ok).toBe(false);
  });

  it("crash mid-line: a typed crash with exit code and stderr tail", async () => {
    const { result, events, pid } = await runFault({
      turns: [{ steps: [{ message: "about to fall over" }, { crash: { midLine: true, exitCode: 3, stderr: "panic: out of cheese" } }] }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(EngineCrashedError);
    const crash = result.error as EngineCrashedError;
    expect(crash.exitCode).toBe(3);
    expect(crash.signal).toBeNull();
    expect(crash.stderrTail).toContain("panic: out of cheese");
    expect(ofType(events, "anomaly").map((e) => e.kind)).toContain("unparsable_line");
    expect(leftovers(pid)).toEqual([]);
  });

  it("exit mid-turn with code 0 is still a crash", async () => {
    const { result } = await runFault({ turns: [{ steps: [{ exit: 0 }] }] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: "OMK_WIRE_ENGINE_CRASHED", exitCode: 0 });
  });

  it("garbage on stdout and unknown update kinds are anomalies, not failures", async () => {
    const { result, events } = await runFault({
      turns: [{ steps: [{ garbage: "Loading plugins... done" }, { unknownUpdate: { kind: "hologram_update" } }, { message: "still fine" }] }],
    });
    expect(result.ok && result.value.stopReason).toBe("end_turn");
    const anomalies = ofType(events, "anomaly");
    expect(anomalies.map((e) => e.kind).sort()).toEqual(["unknown_update", "unparsable_line"]);
    expect(anomalies.find((e) => e.kind === "unknown_update")?.detail).toContain("hologram_update");
    expect(ofType(events, "message").map((e) => e.text)).toEqual(["still fine"]);
  });

  it("an oversized message is a protocol error; the engine is killed", async () => {
    const { result, events, pid } = await runFault(
      { turns: [{ steps: [{ oversized: { bytes: 300_000 } }, { hang: "ignore_cancel" }] }] },
      { overrides: { maxMessageBytes: 64 * 1024 } },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(ProtocolError);
    expect(result.error.message).toContain("65536-byte limit");
    expect(ofType(events, "anomaly").map((e) => e.kind)).toContain("oversized_message");
    expect(leftovers(pid)).toEqual([]);
  });

  it("auth required at session/new: openSession returns the typed error naming how to log in", async () => {
    const ws = workspace();
    const result = await openSession({
      engine: scripted({ auth: "session_new" }, { login: "run `scripted login`" }),
      cwd: ws.root,
      runDir: ws.runDir,
      deadlines: FAST,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(EngineAuthRequiredError);
    expect(result.error.message).toContain("engine needs authentication: scripted");
    expect(result.error.message).toContain("run `scripted login`");
    expect(result.error.message).toContain("scripted login"); // the auth method the engine offers
  });

  it("auth required at the first prompt", async () => {
    const { result, pid } = await runFault({ auth: "prompt", turns: [{ steps: [] }] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: "OMK_WIRE_AUTH_REQUIRED", engine: "scripted" });
    expect(leftovers(pid)).toEqual([]);
  });

  it("an internal error whose detail is a 401 (Qwen Code's shape) is an auth error with the engine's login fix and the agent's own reason", async () => {
    const details = "401 Incorrect API key provided: [REDACTED]. You can find your API key at https://platform.openai.com/account/api-keys.";
    const { result, pid } = await runFault(
      { turns: [{ steps: [{ fail: { code: -32603, message: "Internal error", data: { details } } }] }] },
      { overrides: { login: "set OPENAI_API_KEY" } },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(EngineAuthRequiredError);
    expect(result.error).toMatchObject({ code: "OMK_WIRE_AUTH_REQUIRED", engine: "scripted", fix: "set OPENAI_API_KEY" });
    expect(result.error.message).toContain(`session/prompt: Internal error: ${details}`);
    expect(result.error.message).not.toContain("\n");
    expect(leftovers(pid)).toEqual([]);
  });

  it("an internal error with another detail stays a request error, and its message carries the agent's detail on one line", async () => {
    const { result } = await runFault({
      turns: [{ steps: [{ fail: { code: -32603, message: "Internal error", data: { details: "model overloaded,\ntry again later" } } }] }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(EngineRequestError);
    expect(result.error.message).toBe("engine scripted: session/prompt failed (-32603): Internal error: model overloaded, try again later");
  });

  it("a request-shape error (invalid params) mentioning an API key is not taken for an auth failure", async () => {
    const { result } = await runFault({
      turns: [{ steps: [{ fail: { code: -32602, message: "Invalid params", data: { details: "unknown field apiKey" } } }] }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toBeInstanceOf(EngineRequestError);
  });

  it("slow start: the handshake deadline kills an engine that does not answer initialize", async () => {
    const ws = workspace();
    // The engine would answer after 60 s: an ok result or a deadline other than the handshake's fails the test.
    const result = await openSession({ engine: scripted({ startDelayMs: 60_000 }), cwd: ws.root, runDir: ws.runDir, deadlines: { ...FAST, handshakeMs: 700 } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: "OMK_WIRE_TIMEOUT", deadline: "handshake", stoppedBy: "kill" });
  });

  it("slow start within the deadline is fine", async () => {
    const ws = workspace();
    const result = await openSession({ engine: scripted({ startDelayMs: 400 }), cwd: ws.root, runDir: ws.runDir, deadlines: FAST });
    expect(result.ok).toBe(true);
    if (result.ok) await result.value.close();
  });

  it("a command that cannot start is a spawn error", async () => {
    const ws = workspace();
    const result = await openSession({ engine: { name: "ghost", protocol: "acp", command: "/nonexistent/omk-ghost-agent" }, cwd: ws.root, runDir: ws.runDir });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toBeInstanceOf(EngineSpawnError);
      expect(result.error.code).toBe("OMK_WIRE_SPAWN_FAILED");
    }
  });

  it("closing during a running command kills the command's own process group too", async () => {
    const ws = workspace();
    const events: WireEvent[] = [];
    const opened = await openSession({
      engine: scripted({ turns: [{ steps: [{ command: { command: "/bin/sh", args: ["-c", "sleep 30 & sleep 30; echo never"] } }] }] }),
      cwd: ws.root,
      runDir: ws.runDir,
      deadlines: FAST,
      onEvent: (e) => events.push(e),
    });
    if (!opened.ok) throw opened.error;
    const session = opened.value;
    const turn = session.prompt("go");
    await new Promise((r) => setTimeout(r, 500));
    await session.cancel();
    const result = await turn;
    expect(result.ok && result.value.stopReason).toBe("cancelled");
    const run = ofType(events, "command_run")[0];
    expect(run).toMatchObject({ killedBy: "cancel", signal: "SIGTERM" });
    await session.close();
    expect(leftovers(session.pid)).toEqual([]);
  });
});
