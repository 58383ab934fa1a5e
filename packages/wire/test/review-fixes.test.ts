import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { createRedactor } from "@omk/core";
import { EngineSpecSchema, openSession, scopeFromPaths, TranscriptLineSchema, type WireEvent } from "../src/index.js";
import { EngineProcess } from "../src/internal/engine-process.js";
import { TranscriptTap } from "../src/internal/transcript.js";
import { FAST, fakeKimiWire, leftovers, ofType, workspace } from "./helpers.js";

const RAW_AGENT = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "raw-acp-agent.mjs");
const SECRET = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX1234";
const started: number[] = [];

afterAll(() => {
  // A command that escaped close() (the bug this file guards against) must not outlive the test run.
  for (const pid of started) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
  cleanupTempDirs();
});

type Plan = { during?: unknown[]; after?: unknown[]; onEof?: unknown[]; ignoreEof?: boolean };

/** A session with the raw ACP agent playing `plan`; `log()` returns the client's answers it received. */
async function rawSession(planOf: Plan | ((root: string) => Plan), options: { scope?: Parameters<typeof openSession>[0]["scope"] } = {}) {
  const ws = workspace();
  const plan = typeof planOf === "function" ? planOf(ws.root) : planOf;
  const dir = makeTempDir("omk-wire-raw-");
  const planFile = path.join(dir, "plan.json");
  const agentLog = path.join(dir, "agent.log");
  writeFileSync(planFile, JSON.stringify(plan));
  const events: WireEvent[] = [];
  const opened = await openSession({
    engine: EngineSpecSchema.parse({ name: "raw", protocol: "acp", command: process.execPath, args: [RAW_AGENT], env: { PLAN: planFile, AGENT_LOG: agentLog }, login: "none" }),
    cwd: ws.root,
    runDir: ws.runDir,
    transcriptPath: ws.transcript,
    deadlines: FAST,
    secrets: [SECRET],
    onEvent: (e) => events.push(e),
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  });
  if (!opened.ok) throw opened.error;
  const log = () => (existsSync(agentLog) ? readFileSync(agentLog, "utf8").trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>) : []);
  return { session: opened.value, events, ws, dir, log };
}

const transcriptLines = (file: string) => readFileSync(file, "utf8").trim().split("\n").map((l) => TranscriptLineSchema.parse(JSON.parse(l)));

describe("review fixes: malformed Kimi Wire frames do not crash OMK", () => {
  it("`{\"toString\":1}` as a tool call id, message text, tool_call_id and request type become anomalies; the turn ends normally", async () => {
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
    expect(ofType(events, "message").map((e) => e.text).join("")).toBe("still here");
    const anomalies = ofType(events, "anomaly");
    expect(anomalies.filter((a) => a.kind === "invalid_message").map((a) => a.detail)).toEqual(
      expect.arrayContaining([expect.stringContaining("ToolCall"), expect.stringContaining("ContentPart"), expect.stringContaining("ToolResult"), expect.stringContaining("request whose type")]),
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

describe("review fixes: transcripts never hold unredacted bytes", () => {
  it("a stdout line with a secret and a Latin-1 byte is decoded lossily and redacted, not kept as base64", async () => {
    const line = Buffer.concat([Buffer.from(`api_key=${SECRET} caf`), Buffer.from([0xe9])]);
    const { session, ws } = await rawSession({ during: [{ rawB64: line.toString("base64") }] });
    expect((await session.prompt("go")).ok).toBe(true);
    await session.close();
    const entries = transcriptLines(ws.transcript);
    expect(entries.filter((e) => e.b64 !== undefined)).toEqual([]);
    const lossy = entries.filter((e) => e.lossy === true);
    expect(lossy).toHaveLength(1);
    expect(lossy[0]?.line).toContain("[REDACTED:value]");
    expect(lossy[0]?.line).toContain("caf\uFFFD");
    expect(readFileSync(ws.transcript, "utf8")).not.toContain(SECRET);
    expect(readFileSync(ws.transcript, "utf8")).not.toContain(Buffer.from(SECRET).toString("base64").slice(0, 20));
  });

  it("a message over the 1 MiB line cap, cut inside a multibyte character, is kept as redacted text", async () => {
    const head = `{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"raw-1","update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"token ${SECRET} `;
    const MiB = 1024 * 1024;
    // the 2-byte "é" straddles the 1 MiB cut
    const text = `${head}${"a".repeat(MiB - Buffer.byteLength(head) - 1)}${"é".repeat(10)}"}}}}`;
    const { session, ws } = await rawSession({ during: [{ rawB64: Buffer.from(text).toString("base64") }] });
    expect((await session.prompt("go")).ok).toBe(true);
    await session.close();
    const entries = transcriptLines(ws.transcript);
    const cut = entries.filter((e) => e.dir === "in" && e.truncated !== undefined);
    expect(cut).toHaveLength(1);
    expect(cut[0]).toMatchObject({ truncated: 25 }) // 24 bytes past the cap, plus the first byte of the cut "é";
    expect(cut[0]?.b64).toBeUndefined();
    expect(cut[0]?.lossy).toBeUndefined();
    expect(cut[0]?.line?.startsWith('{"jsonrpc":"2.0","method":"session/update"')).toBe(true);
    expect(cut[0]?.line).toContain("[REDACTED:value]");
    expect(readFileSync(ws.transcript, "utf8")).not.toContain(SECRET);
  });
});

describe("review fixes: close() ends terminals created while it runs", () => {
  it("a terminal/create arriving during close() is refused, and no command outlives close()", async () => {
    const dir = makeTempDir("omk-wire-term-");
    const pidFile = path.join(dir, "sleep.pid");
    const { session } = await rawSession({
      ignoreEof: true,
      // sent when close() closes the agent's stdin: it arrives while close() runs, whatever the load
      onEof: [{ method: "terminal/create", params: { command: "/bin/sh", args: ["-c", `echo $$ > '${pidFile}'; exec sleep 30`] } }],
    });
    expect((await session.prompt("go")).ok).toBe(true);
    await session.close();
    // let a command that did start write its pid
    await new Promise((r) => setTimeout(r, 300));
    const ran = existsSync(pidFile);
    if (ran) {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      started.push(pid);
      expect(leftovers(pid)).toEqual([]);
    }
    // refused outright (close() had begun), so it never ran; the refusal cannot reach the agent, whose stdin is closed
    expect(ran).toBe(false);
    expect(leftovers(session.pid)).toEqual([]);
  });
});

describe("review fixes: the permission policy never picks an 'always' option", () => {
  const request = (root: string, options: Array<{ optionId: string; kind: string }>) => ({
    method: "session/request_permission",
    params: { toolCall: { toolCallId: "t1", title: "edit", kind: "edit", locations: [{ path: path.join(root, "a.txt") }] }, options: options.map((o) => ({ ...o, name: o.optionId })) },
  });

  it("allowed, but only allow_always and reject_once offered: picks reject_once and says why", async () => {
    const { session, events, log } = await rawSession((root) => ({ during: [request(root, [{ optionId: "always", kind: "allow_always" }, { optionId: "no", kind: "reject_once" }])] }));
    await session.prompt("go");
    await session.close();
    expect(log()[0]).toMatchObject({ result: { outcome: { outcome: "selected", optionId: "no" } } });
    const [permission] = ofType(events, "permission");
    expect(permission).toMatchObject({ decision: "reject", optionId: "no", reason: expect.stringContaining("no allow_once") });
  });

  it("only 'always' options offered: answers cancelled, for an allow and for a reject", async () => {
    const always = [
      { optionId: "yes-always", kind: "allow_always" },
      { optionId: "no-always", kind: "reject_always" },
    ];
    const outside = request("/etc", always);
    const { session, events, log } = await rawSession((root) => ({ during: [request(root, always), outside] }));
    await session.prompt("go");
    await session.close();
    expect(log().map((m) => m["result"])).toEqual([{ outcome: { outcome: "cancelled" } }, { outcome: { outcome: "cancelled" } }]);
    expect(ofType(events, "permission").map((e) => [e.decision, e.optionId])).toEqual([
      ["cancelled", undefined],
      ["cancelled", undefined],
    ]);
    expect(ofType(events, "permission")[0]?.reason).toContain("no allow_once option and no reject_once");
  });
});

describe("review fixes: a path with a NUL byte is a documented refusal", () => {
  it("fs/write_text_file to a path containing NUL is answered -32010 with a scope event", async () => {
    const { session, events, log } = await rawSession((root) => ({ during: [{ method: "fs/write_text_file", params: { path: `${root}/src/e\0.txt`, content: "X" } }] }), { scope: scopeFromPaths({ write: ["src"] }) });
    await session.prompt("go");
    await session.close();
    expect(log()[0]).toMatchObject({ error: { code: -32010, message: expect.stringContaining("NUL") } });
    expect(ofType(events, "scope")).toMatchObject([{ access: "write", enforced: true, reason: expect.stringContaining("NUL") }]);
  });
});
