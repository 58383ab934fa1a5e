import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { createRedactor } from "@omk/core";
import { openSession, type WireEvent } from "../src/index.js";
import { EngineProcess } from "../src/internal/engine-process.js";
import { TranscriptTap } from "../src/internal/transcript.js";
import { FAST, fakeKimiWire, leftovers, ofType, workspace } from "./helpers.js";

afterAll(cleanupTempDirs);

describe("malformed Kimi Wire frames do not crash OMK", () => {
  it('`{"toString":1}` as a tool call id, message text, tool_call_id and request type become anomalies; the turn ends normally', async () => {
    const evil = { toString: 1 };
    const frame = (message: Record<string, unknown>) => JSON.stringify({ jsonrpc: "2.0", ...message });
    const ws = workspace();
    const events: WireEvent[] = [];
    const opened = await openSession({
      engine: fakeKimiWire({
        turns: [
          {
            steps: [
              {
                raw: [
                  frame({ method: "event", params: { type: "ToolCall", payload: { type: "function", id: evil, function: { name: evil, arguments: null } } } }),
                  frame({ method: "event", params: { type: "ContentPart", payload: { type: "text", text: evil } } }),
                  frame({ method: "event", params: { type: "ToolResult", payload: { tool_call_id: evil, return_value: { is_error: false, output: "" } } } }),
                  frame({ method: "request", id: "evil-1", params: { type: "ApprovalRequest", payload: { id: "evil-1", tool_call_id: evil } } }),
                  frame({ method: "request", id: "evil-2", params: { type: evil, payload: {} } }),
                  frame({ id: evil, result: {} }),
                ],
              },
              { text: "still here" },
            ],
          },
        ],
      }),
      cwd: ws.root,
      runDir: ws.runDir,
      transcriptPath: ws.transcript,
      deadlines: FAST,
      onEvent: (e) => events.push(e),
    });
    if (!opened.ok) throw opened.error;
    const session = opened.value;
    const turn = await session.prompt("go");
    expect(turn.ok && turn.value.stopReason).toBe("end_turn");
    expect(
      ofType(events, "message")
        .map((e) => e.text)
        .join(""),
    ).toBe("still here");
    const anomalies = ofType(events, "anomaly");
    expect(anomalies.filter((a) => a.kind === "invalid_message").map((a) => a.detail)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("ToolCall"),
        expect.stringContaining("ContentPart"),
        expect.stringContaining("ToolResult"),
        expect.stringContaining("request whose type"),
      ]),
    );
    expect(anomalies.some((a) => a.kind === "unknown_response")).toBe(true);
    // the session keeps working
    expect((await session.prompt("again")).ok).toBe(true);
    await session.close();
    expect(leftovers(session.pid)).toEqual([]);
  });

  it("a line handler that throws is reported through onLineError, not as an uncaught exception", async () => {
    const errors: Array<{ stream: string; message: string }> = [];
    const lines: string[] = [];
    const { redact } = createRedactor();
    const proc = await EngineProcess.start({
      command: process.execPath,
      args: ["-e", "process.stdout.write('one\\ntwo\\n'); process.stderr.write('err\\n')"],
      cwd: process.cwd(),
      env: { PATH: process.env["PATH"] ?? "" },
      tap: new TranscriptTap(undefined, redact),
      redact,
      maxLineBytes: 1024,
      onStdoutLine: (line) => {
        lines.push(line.toString());
        if (line.toString() === "one") throw new TypeError("Cannot convert object to primitive value");
      },
      onStderrLine: () => {
        throw new Error("stderr handler failed");
      },
      onLineError: (stream, error) => errors.push({ stream, message: (error as Error).message }),
    });
    if (!proc.ok) throw proc.error;
    await proc.value.output.pipeTo(new WritableStream());
    await proc.value.closed;
    proc.value.release();
    expect(lines).toEqual(["one", "two"]);
    expect(errors).toEqual(
      expect.arrayContaining([
        { stream: "stdout", message: "Cannot convert object to primitive value" },
        { stream: "stderr", message: "stderr handler failed" },
      ]),
    );
  });
});
