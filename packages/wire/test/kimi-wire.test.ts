import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { EngineCrashedError, EngineRequestError, openSession, scopeFromPaths, type WireEvent } from "../src/index.js";
import { FAST, fakeKimiWire, leftovers, ofType, workspace } from "./helpers.js";

afterAll(() => cleanupTempDirs());

async function open(
  scenario: unknown,
  options: { overrides?: Parameters<typeof fakeKimiWire>[1]; deadlines?: Partial<typeof FAST>; scope?: Parameters<typeof openSession>[0]["scope"] } = {},
) {
  const ws = workspace();
  const events: WireEvent[] = [];
  const opened = await openSession({
    engine: fakeKimiWire(scenario, options.overrides),
    cwd: ws.root,
    runDir: ws.runDir,
    transcriptPath: ws.transcript,
    deadlines: { ...FAST, ...options.deadlines },
    onEvent: (e) => events.push(e),
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  });
  return { opened, events, ws };
}

describe("Kimi Wire client against the fake `kimi --wire`", () => {
  it("runs a turn: streamed text, a write and a command approved by the policy, usage from StatusUpdate including a subagent's", async () => {
    const { opened, events, ws } = await open({
      turns: [
        {
          steps: [
            {
              think: "let me see",
              text: "Writing the file now.",
              tool: { name: "WriteFile", args: { path: "src/hello.txt", content: "hello\n" } },
              usage: { input_other: 1000, output: 100, input_cache_read: 500 },
            },
            {
              tool: { name: "Shell", args: { command: "cat src/hello.txt" } },
              usage: { input_other: 200, output: 50, input_cache_creation: 30 },
              subagentUsage: { input_other: 70, output: 7 },
            },
            { text: "All done." },
          ],
        },
      ],
    });
    if (!opened.ok) throw opened.error;
    const session = opened.value;
    expect(session.protocol).toBe("kimi-wire");
    expect(session.agent).toEqual({ name: "Kimi Code CLI", version: "1.49.0" });
    const turn = await session.prompt("write hello");
    if (!turn.ok) throw turn.error;
    expect(turn.value).toMatchObject({ stopReason: "end_turn", steps: 3, filesWritten: ["src/hello.txt"] });
    expect(turn.value.usage).toEqual({ inputUncached: 1270, cacheRead: 500, cacheWrite: 30, output: 157 });
    expect(turn.value.commandsRun.map((c) => [c.command, c.exitCode])).toEqual([["cat src/hello.txt", 0]]);
    expect(readFileSync(path.join(ws.root, "src/hello.txt"), "utf8")).toBe("hello\n");
    expect(
      ofType(events, "message")
        .map((e) => e.text)
        .join(""),
    ).toBe("Writing the file now.All done.");
    expect(ofType(events, "thought")[0]?.text).toBe("let me see");
    expect(ofType(events, "permission").map((e) => [e.kind, e.decision])).toEqual([
      ["WriteFile", "allow"],
      ["Shell", "allow"],
    ]);
    expect(ofType(events, "usage")).toHaveLength(3);
    expect(ofType(events, "usage").every((e) => e.source === "wire_status_update")).toBe(true);
    const transcript = readFileSync(ws.transcript, "utf8");
    // string ids on the wire
    expect(transcript).toMatch(/\\"method\\":\\"prompt\\",\\"id\\":\\"[0-9a-f-]{36}\\"/);
    await session.close();
    expect(leftovers(session.pid)).toEqual([]);
  });

  it("rejects an approval outside the scope: the file is not written and the turn still finishes", async () => {
    const { opened, events, ws } = await open(
      { turns: [{ steps: [{ tool: { name: "WriteFile", args: { path: "secrets/key.txt", content: "x" } } }, { text: "ok" }] }] },
      { scope: scopeFromPaths({ write: ["src"] }) },
    );
    if (!opened.ok) throw opened.error;
    const turn = await opened.value.prompt("go");
    await opened.value.close();
    expect(turn.ok && turn.value.stopReason).toBe("end_turn");
    expect(existsSync(path.join(ws.root, "secrets/key.txt"))).toBe(false);
    expect(ofType(events, "permission")[0]).toMatchObject({ decision: "reject", optionId: "reject" });
    expect(ofType(events, "scope")[0]).toMatchObject({ access: "write", enforced: true });
    expect(ofType(events, "tool_call_finished")[0]).toMatchObject({ status: "failed" });
  });

  it("cancel during a hang ends the turn `cancelled`", async () => {
    const { opened } = await open({ turns: [{ steps: [{ text: "hm" }, { fault: "hang" }] }, { steps: [{ text: "next" }] }] });
    if (!opened.ok) throw opened.error;
    const session = opened.value;
    const turn = session.prompt("go");
    await new Promise((r) => setTimeout(r, 300));
    await session.cancel();
    const result = await turn;
    expect(result.ok && result.value.stopReason).toBe("cancelled");
    const next = await session.prompt("again");
    expect(next.ok && next.value.stopReason).toBe("end_turn");
    await session.close();
  });

  it("a hang that ignores cancel is killed at the inactivity deadline", async () => {
    const { opened } = await open({ turns: [{ steps: [{ fault: "hang_ignore_cancel" }] }] }, { deadlines: { turnInactivityMs: 600 } });
    if (!opened.ok) throw opened.error;
    const result = await opened.value.prompt("go");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: "OMK_WIRE_TIMEOUT", deadline: "turn_inactivity", stoppedBy: "kill" });
    expect(leftovers(opened.value.pid)).toEqual([]);
    await opened.value.close();
  });

  it("max steps ends the turn `max_turn_requests`", async () => {
    const { opened } = await open({ turns: [{ steps: [{ text: "1" }, { text: "2" }, { text: "3" }] }] }, { overrides: { maxStepsPerTurn: 2 } });
    if (!opened.ok) throw opened.error;
    const result = await opened.value.prompt("go");
    await opened.value.close();
    expect(result.ok && result.value).toMatchObject({ stopReason: "max_turn_requests", steps: 2 });
  });

  it("crash mid-line is a typed crash with exit code and stderr tail", async () => {
    const { opened, events } = await open({ turns: [{ steps: [{ text: "a" }, { fault: "crash_mid_line" }] }] });
    if (!opened.ok) throw opened.error;
    const result = await opened.value.prompt("go");
    await opened.value.close();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(EngineCrashedError);
    expect(result.error).toMatchObject({ exitCode: 139 });
    expect((result.error as EngineCrashedError).stderrTail).toContain("segmentation fault");
    expect(ofType(events, "anomaly").map((e) => e.kind)).toContain("unparsable_line");
  });

  it("a provider error is a request error; garbage and unknown events are anomalies", async () => {
    const { opened, events } = await open({
      turns: [{ steps: [{ fault: "garbage", unknownEvent: "QuantumLeap", text: "x" }] }, { steps: [{ fault: "provider_error" }] }],
    });
    if (!opened.ok) throw opened.error;
    const first = await opened.value.prompt("one");
    expect(first.ok).toBe(true);
    const second = await opened.value.prompt("two");
    await opened.value.close();
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error).toBeInstanceOf(EngineRequestError);
    expect(
      ofType(events, "anomaly")
        .map((e) => e.kind)
        .sort(),
    ).toEqual(["unknown_event", "unparsable_line"]);
  });

  it("a startup failure is a crash at open, with the stderr message", async () => {
    const { opened } = await open({ startupFailure: "Error: config file is broken", turns: [] });
    expect(opened.ok).toBe(false);
    if (!opened.ok) {
      expect(opened.error).toMatchObject({ code: "OMK_WIRE_ENGINE_CRASHED", exitCode: 1 });
      expect(opened.error.message).toContain("config file is broken");
    }
  });

  it("one prompt at a time", async () => {
    const { opened } = await open({ turns: [{ steps: [{ fault: "hang" }] }] });
    if (!opened.ok) throw opened.error;
    const first = opened.value.prompt("one");
    const second = await opened.value.prompt("two");
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error.code).toBe("OMK_WIRE_SESSION_STATE");
    await opened.value.cancel();
    expect((await first).ok).toBe(true);
    await opened.value.close();
  });
});
