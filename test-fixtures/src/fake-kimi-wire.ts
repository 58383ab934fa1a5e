#!/usr/bin/env node
// A fake of the legacy Kimi CLI's Wire mode (`kimi --wire`), faithful to the
// facts in shared/docs/protocols/kimi-wire.md: flags, `--version`, framing
// (one compact JSON-RPC object per line, string ids, nulls sent), events,
// approvals (unless --yolo), real side effects in the work dir, cancel, max
// steps, concurrent-prompt errors, stdin EOF, and faults on demand. Plain Node,
// no dependencies. The scenario is a JSON file named by FAKE_KIMI_SCENARIO.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";

type ToolName = "Shell" | "WriteFile" | "ReadFile";
type Step = {
  text?: string;
  think?: string;
  tool?: { name: ToolName; args: Record<string, unknown> };
  usage?: { input_other: number; output: number; input_cache_read?: number; input_cache_creation?: number };
  subagentUsage?: { input_other: number; output: number; input_cache_read?: number; input_cache_creation?: number };
  unknownEvent?: string;
  /** Lines written to stdout as is (malformed frames). */
  raw?: string[];
  fault?: "hang" | "hang_ignore_cancel" | "crash_mid_line" | "provider_error" | "garbage";
};
type Scenario = { startupFailure?: string; turns: Array<{ steps: Step[] }> };

const argv = process.argv.slice(2);
if (argv.includes("--version")) {
  process.stdout.write("kimi, version 1.49.0\n");
  process.exit(0);
}
const flag = (name: string) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
if (!argv.includes("--wire") || flag("--work-dir") === undefined) {
  process.stderr.write("Usage: kimi [OPTIONS]\nError: --wire needs --work-dir\n");
  process.exit(2);
}
const workDir = flag("--work-dir") as string;
const yolo = argv.includes("--yolo");
const maxSteps = Number(flag("--max-steps-per-turn") ?? "100");
const scenarioFile = process.env["FAKE_KIMI_SCENARIO"];
const scenario: Scenario = scenarioFile ? (JSON.parse(readFileSync(scenarioFile, "utf8")) as Scenario) : { turns: [] };
if (scenario.startupFailure !== undefined) {
  process.stderr.write(`${scenario.startupFailure}\n`);
  process.exit(1);
}

const send = (message: Record<string, unknown>) => writeSync(1, `${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
const event = (type: string, payload: Record<string, unknown>) => send({ method: "event", params: { type, payload } });
const reply = (id: unknown, result: unknown) => send({ id, result });
const fail = (id: unknown, code: number, message: string) => send({ id, error: { code, message, data: null } });

let turnIndex = 0;
let running: { cancel: () => void; cancelled: boolean; ignoreCancel: boolean } | undefined;
let nextRequest = 1;
const pendingApprovals = new Map<string, (response: string) => void>();

function approval(toolCallId: string, tool: NonNullable<Step["tool"]>): Promise<string> {
  if (yolo) return Promise.resolve("approve");
  const id = `req-${nextRequest++}`;
  // Display blocks as Kimi CLI sends them: `diff` has string texts ("" for a new file), `shell` names its language.
  const display =
    tool.name === "WriteFile"
      ? [{ type: "diff", path: String(tool.args["path"]), old_text: oldText(String(tool.args["path"])), new_text: String(tool.args["content"] ?? "") }]
      : [{ type: "shell", language: "bash", command: String(tool.args["command"] ?? "") }];
  send({
    method: "request",
    id,
    params: {
      type: "ApprovalRequest",
      payload: {
        id,
        tool_call_id: toolCallId,
        sender: tool.name,
        action: tool.name === "Shell" ? "run command" : "edit file",
        description: `${tool.name} ${JSON.stringify(tool.args)}`,
        display,
      },
    },
  });
  return new Promise((resolve) => pendingApprovals.set(id, resolve));
}

function oldText(file: string): string {
  try {
    return readFileSync(path.resolve(workDir, file), "utf8");
  } catch {
    return "";
  }
}

function runTool(tool: NonNullable<Step["tool"]>): { is_error: boolean; output: string } {
  try {
    if (tool.name === "Shell") {
      const out = execFileSync("bash", ["-c", String(tool.args["command"])], { cwd: workDir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      return { is_error: false, output: out };
    }
    const target = path.resolve(workDir, String(tool.args["path"]));
    if (tool.name === "WriteFile") {
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, String(tool.args["content"] ?? ""));
      return { is_error: false, output: `wrote ${target}` };
    }
    return { is_error: false, output: readFileSync(target, "utf8") };
  } catch (error) {
    return { is_error: true, output: (error as Error).message };
  }
}

const tokenUsage = (u: NonNullable<Step["usage"]>) => ({
  input_other: u.input_other,
  output: u.output,
  input_cache_read: u.input_cache_read ?? 0,
  input_cache_creation: u.input_cache_creation ?? 0,
});
const status = (u: Step["usage"] | undefined) => ({
  context_usage: 0.01,
  context_tokens: 1000,
  max_context_tokens: 131072,
  token_usage: u === undefined ? null : tokenUsage(u),
  message_id: `msg-${nextRequest++}`,
  plan_mode: false,
  mcp_status: null,
});

async function playTurn(id: unknown, userInput: string): Promise<void> {
  const turn = scenario.turns[turnIndex++] ?? { steps: [] };
  const state = { cancel: () => {}, cancelled: false, ignoreCancel: false };
  const cancelled = new Promise<void>((resolve) => {
    state.cancel = () => {
      state.cancelled = true;
      resolve();
    };
  });
  running = state;
  event("TurnBegin", { user_input: userInput });
  let n = 0;
  let outcome: Record<string, unknown> = { status: "finished" };
  for (const step of turn.steps) {
    if (state.cancelled) break;
    n++;
    if (n > maxSteps) {
      outcome = { status: "max_steps_reached", steps: maxSteps };
      break;
    }
    event("StepBegin", { n });
    if (step.fault === "garbage") writeSync(1, "Traceback (most recent call last): not json\n");
    if (step.fault === "crash_mid_line") {
      writeSync(1, '{"jsonrpc":"2.0","method":"event","params":{"type":"Cont');
      process.stderr.write("kimi: fatal: segmentation fault in the fake\n");
      process.exit(139);
    }
    if (step.fault === "provider_error") {
      event("StepRetry", { n: 1, reason: "503" });
      event("StepInterrupted", {});
      event("TurnEnd", {});
      running = undefined;
      fail(id, -32003, "provider error: 503 Service Unavailable");
      return;
    }
    if (step.fault === "hang" || step.fault === "hang_ignore_cancel") {
      state.ignoreCancel = step.fault === "hang_ignore_cancel";
      if (state.ignoreCancel) await new Promise<never>(() => setInterval(() => {}, 60_000));
      await cancelled;
      break;
    }
    if (step.think !== undefined) event("ContentPart", { type: "think", think: step.think, encrypted: null });
    if (step.text !== undefined) for (const piece of step.text.match(/.{1,8}/gs) ?? []) event("ContentPart", { type: "text", text: piece });
    if (step.unknownEvent !== undefined) event(step.unknownEvent, { anything: true });
    for (const line of step.raw ?? []) writeSync(1, `${line}\n`);
    if (step.tool !== undefined) {
      const toolCallId = `call_${n}`;
      const args = JSON.stringify(step.tool.args);
      event("ToolCall", { type: "function", id: toolCallId, function: { name: step.tool.name, arguments: null }, extras: null });
      for (const part of args.match(/.{1,10}/gs) ?? []) event("ToolCallPart", { arguments_part: part });
      const answer = await Promise.race([approval(toolCallId, step.tool), cancelled.then(() => "cancelled")]);
      if (answer === "cancelled") break;
      const result = answer === "reject" ? { is_error: true, output: "", message: "rejected by the user" } : { ...runTool(step.tool), message: "" };
      event("ToolResult", { tool_call_id: toolCallId, return_value: { ...result, display: [], extras: null } });
    }
    if (step.subagentUsage !== undefined) {
      event("SubagentEvent", {
        parent_tool_call_id: `call_${n}`,
        agent_id: "sub-1",
        subagent_type: "coder",
        event: { type: "StatusUpdate", payload: status(step.subagentUsage) },
      });
    }
    event("StatusUpdate", status(step.usage));
  }
  event("TurnEnd", {});
  running = undefined;
  reply(id, state.cancelled ? { status: "cancelled" } : outcome);
}

function handle(message: Record<string, unknown>): void {
  const id = message["id"];
  const method = message["method"];
  if (typeof method !== "string") {
    const resolve = typeof id === "string" ? pendingApprovals.get(id) : undefined;
    if (resolve !== undefined) {
      pendingApprovals.delete(id as string);
      const result = message["result"] as Record<string, unknown> | undefined;
      resolve(String(result?.["response"] ?? "reject"));
    }
    return;
  }
  if (id !== undefined && typeof id !== "string") {
    fail(null, -32600, "Invalid request: id must be a string");
    return;
  }
  switch (method) {
    case "initialize":
      reply(id, {
        protocol_version: "1.10",
        server: { name: "Kimi Code CLI", version: "1.49.0" },
        slash_commands: [],
        capabilities: { supports_question: false },
      });
      return;
    case "prompt": {
      if (running !== undefined) {
        fail(id, -32000, "A turn is already in progress");
        return;
      }
      const params = message["params"] as Record<string, unknown> | undefined;
      void playTurn(id, String(params?.["user_input"] ?? ""));
      return;
    }
    case "cancel":
      if (running === undefined) {
        fail(id, -32000, "No turn in progress");
        return;
      }
      reply(id, {});
      if (!running.ignoreCancel) running.cancel();
      return;
    default:
      fail(id, -32601, `Method not found: ${method}`);
  }
}

let buffer = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  buffer += chunk;
  for (;;) {
    const nl = buffer.indexOf("\n");
    if (nl < 0) break;
    const line = buffer.slice(0, nl).trim();
    buffer = buffer.slice(nl + 1);
    if (line === "") continue;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      fail(null, -32700, "Parse error");
      continue;
    }
    handle(message as Record<string, unknown>);
  }
});
process.stdin.on("end", () => {
  // stdin EOF cancels the turn and exits 0 without answering pending requests.
  if (running?.ignoreCancel) return;
  process.exit(0);
});
