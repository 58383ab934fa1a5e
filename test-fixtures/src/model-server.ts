/**
 * A scripted model server on 127.0.0.1 that speaks OpenAI Chat Completions
 * (POST /v1/chat/completions) and Anthropic Messages (POST /v1/messages,
 * /v1/messages/count_tokens), streaming or not, for real agents (Kimi Code,
 * Qwen Code, Claude Code) to talk to.
 *
 * It behaves like a model, not like a tape: it is rule-driven and stateless
 * per request. A rule matches the conversation (its system prompt and the
 * instruction: the last user message that is not a tool result); the step
 * within the rule is the number of assistant turns since that instruction. So concurrent and repeated sessions, and
 * retries, all get the answer their conversation calls for.
 *
 * Replies are written as actions (read, write, edit, shell) and spoken in
 * the calling agent's own tool names and argument shapes, detected from the
 * tools the request offers (see `toolsetOf`). A request no rule matches (an
 * agent's side query: a title, a summary) gets a short plain-text answer.
 *
 * Every request lands in a ledger with the rule, the step and the usage
 * served, so tests can compare what an agent reported with what it was served.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

/** Whose tool names and argument shapes a reply uses. */
type Toolset = "kimi" | "qwen" | "claude" | "unknown";
type Dialect = "openai" | "anthropic";

/** What the model does in one step: an action, spoken in the caller's own tool. Relative paths resolve against the agent's working directory. */
export type ModelAction =
  | { readonly read: string }
  | { readonly write: string; readonly content: string }
  | { readonly edit: string; readonly old: string; readonly new: string }
  | { readonly shell: string; readonly description?: string }
  /** A tool call given verbatim (any tool the agent offers). */
  | { readonly tool: string; readonly input: Record<string, unknown> };

/** One model turn: narration (text before the calls) and tool calls; no actions ends the turn. */
export type ModelReply = { readonly text?: string; readonly actions?: readonly ModelAction[] };

/** What the rule sees of a request. */
export type ModelRequest = {
  readonly dialect: Dialect;
  readonly model: string;
  readonly stream: boolean;
  readonly toolset: Toolset;
  /** The tool names the request offers. */
  readonly tools: readonly string[];
  readonly system: string;
  /** The instruction being answered: the text of the last user message that is not a tool result nor only `<system-reminder>` blocks (every text part, reminders left out). */
  readonly instruction: string;
  /** The text of every user message and tool result, in order. */
  readonly userTexts: readonly string[];
  /** Tool results so far, in order. */
  readonly toolResults: readonly string[];
  /** Assistant turns since the instruction: the step this request answers. */
  readonly step: number;
  /** The agent's working directory, when its system prompt says it. */
  readonly cwd: string | undefined;
  readonly body: Record<string, unknown>;
};

/** Faults a rule can play: stall mid-stream, refuse the key (the provider's real 401 body), or never answer valid JSON. */
export type ModelFault = "hang" | "unauthorized" | "invalid_json";

export type ModelRule = {
  readonly name: string;
  /** A regex on the system prompt + the instruction (the last user message that is not a tool result), or a predicate. */
  readonly match: RegExp | ((request: ModelRequest) => boolean);
  /** Step n answers the request with n assistant turns in it; past the end, the last reply's text alone. */
  readonly steps: ReadonlyArray<ModelReply | ((request: ModelRequest) => ModelReply)>;
  readonly fault?: ModelFault;
};

type ServedUsage = { readonly input: number; readonly output: number };

export type LedgerEntry = {
  readonly seq: number;
  readonly path: string;
  readonly dialect: Dialect | null;
  readonly model: string;
  readonly stream: boolean;
  readonly toolset: Toolset;
  /** The rule that answered, or null (a side query, count_tokens, an unknown path). */
  readonly rule: string | null;
  readonly step: number;
  readonly fault: ModelFault | null;
  readonly status: number;
  /** Tokens served with the answer (null: none, e.g. a 401, a hang, count_tokens). */
  readonly usage: ServedUsage | null;
  /** The tool calls of the reply, by the agent's tool names. */
  readonly toolCalls: readonly string[];
  readonly body: unknown;
};

export type ModelServer = {
  /** http://127.0.0.1:PORT (no /v1: Anthropic clients add it, OpenAI clients take `openaiUrl`). */
  readonly url: string;
  /** http://127.0.0.1:PORT/v1 */
  readonly openaiUrl: string;
  readonly ledger: readonly LedgerEntry[];
  /** Replace the rules (a test file shares one server across tests). */
  setRules(rules: readonly ModelRule[]): void;
  /** The tokens served, summed over the ledger entries `filter` keeps. */
  served(filter?: (entry: LedgerEntry) => boolean): { input: number; output: number; total: number; requests: number };
  /** Forget the ledger. */
  reset(): void;
  close(): Promise<void>;
};

/** The plain-text answer of a request no rule matches (unless it asks for a form: see `sideAnswer`). */
const SIDE_ANSWER = "Sure.";

const OPENAI_401 = {
  error: {
    message: "Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.",
    type: "invalid_request_error",
    param: null,
    code: "invalid_api_key",
  },
};
const ANTHROPIC_401 = { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } };

/** An answer that is never valid JSON: prose around a cut-off object. */
const INVALID_JSON_ANSWER =
  'Here is what I would do.\n\n```json\n{"summary": "Fix the bug", "tasks": [{"id": "fix", "title": "Fix it", "writes": ["src/"\n```\n\nLet me know if you want me to go on.';

// ---------------------------------------------------------------- requests

type Json = Record<string, unknown>;

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: Json) => {
      if (typeof part?.["text"] === "string") return part["text"] as string;
      if (part?.["type"] === "tool_result") return textOf(part["content"]);
      return "";
    })
    .join("\n");
}

function toolNames(body: Json): string[] {
  const tools = Array.isArray(body["tools"]) ? (body["tools"] as Json[]) : [];
  return tools
    .map((t) => (typeof t["name"] === "string" ? (t["name"] as string) : String((t["function"] as Json | undefined)?.["name"] ?? "")))
    .filter((n) => n !== "");
}

/** Whose tools a request offers: Qwen Code's snake_case tools, Claude Code's Read/Bash over Messages, Kimi Code's Read/Bash over Chat Completions. */
function toolsetOf(dialect: Dialect, tools: readonly string[]): Toolset {
  if (tools.includes("run_shell_command") || tools.includes("write_file")) return "qwen";
  if (tools.includes("Bash") || tools.includes("Write")) return dialect === "anthropic" ? "claude" : "kimi";
  return "unknown";
}

const CWD_PATTERNS = [/(?:working directory|working in the directory|\bcwd\b)[^\n/]{0,40}?(\/[^\s`'"<>]+)/i];

function cwdIn(text: string): string | undefined {
  for (const re of CWD_PATTERNS) {
    const m = re.exec(text);
    if (m?.[1] !== undefined) return m[1].replace(/[.,:;)]+$/, "");
  }
  return undefined;
}

function hasToolResult(content: unknown): boolean {
  return Array.isArray(content) && (content as Json[]).some((part) => part?.["type"] === "tool_result");
}

const REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>/g;

function viewOf(dialect: Dialect, body: Json): ModelRequest {
  const messages = Array.isArray(body["messages"]) ? (body["messages"] as Json[]) : [];
  const systemParts: string[] = [];
  if (dialect === "anthropic") systemParts.push(textOf(body["system"]));
  const userTexts: string[] = [];
  const toolResults: string[] = [];
  // The instruction being answered is the last user message that is not a tool result; the step is the assistant turns since.
  let instruction = "";
  let step = 0;
  for (const m of messages) {
    const role = m["role"];
    if (role === "system" || role === "developer") systemParts.push(textOf(m["content"]));
    else if (role === "assistant") step += 1;
    else if (role === "tool") toolResults.push(textOf(m["content"]));
    else if (role === "user") {
      if (hasToolResult(m["content"])) {
        for (const part of m["content"] as Json[]) if (part?.["type"] === "tool_result") toolResults.push(textOf(part["content"]));
      } else {
        // A message of <system-reminder> blocks alone (Kimi Code adds one after the prompt) is the agent talking, not an instruction.
        const text = textOf(m["content"]).replace(REMINDER, "").trim();
        if (text !== "") {
          instruction = text;
          step = 0;
        }
      }
      userTexts.push(textOf(m["content"]));
    }
  }
  const system = systemParts.join("\n");
  const tools = toolNames(body);
  return {
    dialect,
    model: typeof body["model"] === "string" ? (body["model"] as string) : "",
    stream: body["stream"] === true,
    toolset: toolsetOf(dialect, tools),
    tools,
    system,
    instruction,
    userTexts,
    toolResults,
    step,
    cwd: cwdIn(system) ?? cwdIn(userTexts.join("\n")),
    body,
  };
}

// ----------------------------------------------------------------- replies

type ToolCall = { id: string; name: string; input: Record<string, unknown> };

function absolute(file: string, cwd: string | undefined): string {
  if (path.isAbsolute(file)) return file;
  if (cwd === undefined) throw new Error(`the model server cannot make ${file} absolute: the agent's system prompt names no working directory`);
  return path.join(cwd, file);
}

/** An action as the calling agent's own tool call. */
function toolCallFor(action: ModelAction, request: Pick<ModelRequest, "toolset" | "cwd">): { name: string; input: Record<string, unknown> } {
  if ("tool" in action) return { name: action.tool, input: action.input };
  const { toolset, cwd } = request;
  if (toolset === "kimi") {
    if ("read" in action) return { name: "Read", input: { path: action.read } };
    if ("write" in action) return { name: "Write", input: { path: action.write, content: action.content } };
    if ("edit" in action) return { name: "Edit", input: { path: action.edit, old_string: action.old, new_string: action.new } };
    return { name: "Bash", input: { command: action.shell } };
  }
  if (toolset === "qwen") {
    if ("read" in action) return { name: "read_file", input: { file_path: absolute(action.read, cwd) } };
    if ("write" in action) return { name: "write_file", input: { file_path: absolute(action.write, cwd), content: action.content } };
    if ("edit" in action) return { name: "edit", input: { file_path: absolute(action.edit, cwd), old_string: action.old, new_string: action.new } };
    return { name: "run_shell_command", input: { command: action.shell, description: action.description ?? "Run a command", is_background: false } };
  }
  if (toolset === "claude") {
    if ("read" in action) return { name: "Read", input: { file_path: absolute(action.read, cwd) } };
    if ("write" in action) return { name: "Write", input: { file_path: absolute(action.write, cwd), content: action.content } };
    if ("edit" in action) return { name: "Edit", input: { file_path: absolute(action.edit, cwd), old_string: action.old, new_string: action.new } };
    return { name: "Bash", input: { command: action.shell, description: action.description ?? "Run a command" } };
  }
  throw new Error("the model server cannot call a tool: the request offers none it knows");
}

/** Tokens, derived from the text (about 4 characters a token), so they vary with the conversation like a real model's. */
function tokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function chunks(text: string, size = 24): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

type Answer = { rule: string | null; step: number; fault: ModelFault | null; text: string; calls: ToolCall[]; stopSequence?: string };

/** A value of a JSON Schema, as a model asked for structured output would give. */
function valueFor(schema: Json | undefined): unknown {
  if (schema === undefined) return "Sure.";
  if (Array.isArray(schema["enum"])) return (schema["enum"] as unknown[])[0];
  const type = Array.isArray(schema["type"]) ? (schema["type"] as unknown[])[0] : schema["type"];
  if (type === "object") {
    const props = (schema["properties"] ?? {}) as Record<string, Json>;
    return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valueFor(v)]));
  }
  if (type === "array") return [];
  if (type === "boolean") return false;
  if (type === "number" || type === "integer") return 0;
  return "Range off-by-one fix";
}

/**
 * The answer to a side query, in the form it asks for: JSON for a structured
 * output schema (Claude Code's session title), `<tag>1` for a classifier that
 * stops at `</tag>` (Claude Code's security monitor), else a short sentence.
 */
function sideAnswer(request: ModelRequest): string {
  const format = ((request.body["output_config"] as Json | undefined)?.["format"] ?? (request.body["response_format"] as Json | undefined)) as Json | undefined;
  const schema = (format?.["schema"] ?? (format?.["json_schema"] as Json | undefined)?.["schema"]) as Json | undefined;
  if (format !== undefined && schema !== undefined) return JSON.stringify(valueFor(schema));
  const stops = Array.isArray(request.body["stop_sequences"])
    ? (request.body["stop_sequences"] as unknown[])
    : Array.isArray(request.body["stop"])
      ? (request.body["stop"] as unknown[])
      : [];
  for (const stop of stops) {
    const tag = typeof stop === "string" ? /^<\/(\w+)>$/.exec(stop)?.[1] : undefined;
    if (tag !== undefined) return `<${tag}>${tag === "block" ? "no" : "1"}`;
  }
  return SIDE_ANSWER;
}

function answerFor(rules: readonly ModelRule[], request: ModelRequest, seq: number): Answer {
  const haystack = `${request.system}\n${request.instruction}`;
  // Only an agent's own loop (it offers tools) plays a rule: side queries (titles, summaries, memory) get a plain answer.
  const rule = request.toolset === "unknown" ? undefined : rules.find((r) => (r.match instanceof RegExp ? r.match.test(haystack) : r.match(request)));
  if (rule === undefined) {
    const text = sideAnswer(request);
    const tag = /^<(\w+)>/.exec(text)?.[1];
    return { rule: null, step: request.step, fault: null, text, calls: [], ...(tag === undefined ? {} : { stopSequence: `</${tag}>` }) };
  }
  const fault = rule.fault ?? null;
  if (fault === "invalid_json") return { rule: rule.name, step: request.step, fault, text: INVALID_JSON_ANSWER, calls: [] };
  const past = request.step >= rule.steps.length;
  const entry = rule.steps[Math.min(request.step, rule.steps.length - 1)];
  if (entry === undefined) return { rule: rule.name, step: request.step, fault, text: SIDE_ANSWER, calls: [] };
  const reply = typeof entry === "function" ? entry(request) : entry;
  const actions = past ? [] : (reply.actions ?? []);
  const calls = actions.map((action, i) => ({ id: `call_${seq}_${i}`, ...toolCallFor(action, request) }));
  return { rule: rule.name, step: request.step, fault, text: reply.text ?? "", calls };
}

// ------------------------------------------------------------------- wires

type Sse = { write: (event: string | null, data: unknown) => void; end: () => void };

function sse(res: http.ServerResponse): Sse {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  return {
    write: (event, data) => res.write(`${event === null ? "" : `event: ${event}\n`}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`),
    end: () => res.end(),
  };
}

function openaiReply(res: http.ServerResponse, request: ModelRequest, answer: Answer, seq: number, usage: ServedUsage, hang: boolean): void {
  const id = `chatcmpl-${seq}`;
  const created = Math.floor(Date.now() / 1000);
  const finish = answer.calls.length > 0 ? "tool_calls" : "stop";
  const openaiUsage = { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output };
  if (!request.stream) {
    if (hang) return;
    res.writeHead(200, { "content-type": "application/json" });
    const message: Json = { role: "assistant", content: answer.text === "" ? null : answer.text };
    if (answer.calls.length > 0)
      message["tool_calls"] = answer.calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: JSON.stringify(c.input) } }));
    res.end(
      JSON.stringify({
        id,
        object: "chat.completion",
        created,
        model: request.model,
        choices: [{ index: 0, message, finish_reason: finish }],
        usage: openaiUsage,
      }),
    );
    return;
  }
  const out = sse(res);
  const base = { id, object: "chat.completion.chunk", created, model: request.model };
  const send = (delta: Json, finishReason: string | null = null, extra: Json = {}) =>
    out.write(null, { ...base, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra });
  send({ role: "assistant", content: "" });
  const pieces = chunks(answer.text);
  if (hang) {
    // A few chunks, then nothing: the connection stays open and silent.
    for (const piece of pieces.slice(0, 2)) send({ content: piece });
    return;
  }
  for (const piece of pieces) send({ content: piece });
  answer.calls.forEach((call, index) => {
    const args = JSON.stringify(call.input);
    const half = Math.ceil(args.length / 2);
    send({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: args.slice(0, half) } }] });
    send({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] });
  });
  const includeUsage = (request.body["stream_options"] as Json | undefined)?.["include_usage"] === true;
  if (includeUsage) {
    // OpenAI's way: the finish chunk, then one chunk with no choices and the usage.
    send({}, finish);
    out.write(null, { ...base, choices: [], usage: openaiUsage });
  } else {
    // Compatible providers' way (Moonshot, DashScope): the usage rides on the finish chunk.
    send({}, finish, { usage: openaiUsage });
  }
  out.write(null, "[DONE]");
  out.end();
}

function anthropicReply(res: http.ServerResponse, request: ModelRequest, answer: Answer, seq: number, usage: ServedUsage, hang: boolean): void {
  const id = `msg_${String(seq).padStart(8, "0")}`;
  const stop = answer.calls.length > 0 ? "tool_use" : answer.stopSequence !== undefined ? "stop_sequence" : "end_turn";
  const stopSequence = answer.stopSequence ?? null;
  const usageBlock = { input_tokens: usage.input, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: usage.output };
  const content: Json[] = [];
  if (answer.text !== "") content.push({ type: "text", text: answer.text });
  for (const c of answer.calls) content.push({ type: "tool_use", id: c.id.replace(/^call_/, "toolu_"), name: c.name, input: c.input });
  if (!request.stream) {
    if (hang) return;
    res.writeHead(200, { "content-type": "application/json", "request-id": `req_${seq}` });
    res.end(
      JSON.stringify({
        id,
        type: "message",
        role: "assistant",
        model: request.model,
        content,
        stop_reason: stop,
        stop_sequence: stopSequence,
        usage: usageBlock,
      }),
    );
    return;
  }
  const out = sse(res);
  out.write("message_start", {
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      model: request.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usageBlock, output_tokens: 1 },
    },
  });
  out.write("ping", { type: "ping" });
  let index = 0;
  if (answer.text !== "" || hang) {
    out.write("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
    const pieces = chunks(answer.text === "" ? "Let me think about this." : answer.text);
    if (hang) {
      for (const piece of pieces.slice(0, 2))
        out.write("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } });
      return;
    }
    for (const piece of pieces) out.write("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } });
    out.write("content_block_stop", { type: "content_block_stop", index });
    index += 1;
  }
  for (const block of content.filter((c) => c["type"] === "tool_use")) {
    out.write("content_block_start", { type: "content_block_start", index, content_block: { ...block, input: {} } });
    const args = JSON.stringify(block["input"]);
    const half = Math.ceil(args.length / 2);
    out.write("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: args.slice(0, half) } });
    out.write("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: args.slice(half) } });
    out.write("content_block_stop", { type: "content_block_stop", index });
    index += 1;
  }
  out.write("message_delta", { type: "message_delta", delta: { stop_reason: stop, stop_sequence: stopSequence }, usage: usageBlock });
  out.write("message_stop", { type: "message_stop" });
  out.end();
}

// ------------------------------------------------------------------ server

/** Start the server with its rules (replaceable later with `setRules`). */
export async function startModelServer(rules: readonly ModelRule[] = []): Promise<ModelServer> {
  let current = [...rules];
  const ledger: LedgerEntry[] = [];
  const open = new Set<http.ServerResponse>();
  let seq = 0;

  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => {
      raw += chunk.toString("utf8");
    });
    req.on("end", () => {
      seq += 1;
      const n = seq;
      open.add(res);
      res.on("close", () => open.delete(res));
      const route = (req.url ?? "/").split("?")[0] ?? "/";
      let body: Json = {};
      try {
        body = raw === "" ? {} : (JSON.parse(raw) as Json);
      } catch {
        // not JSON: routes below answer 400
      }
      const record = (entry: Omit<LedgerEntry, "seq" | "path" | "body">) => ledger.push({ seq: n, path: route, body, ...entry });
      const none = { model: "", stream: false, toolset: "unknown" as const, rule: null, step: 0, fault: null, usage: null, toolCalls: [] };

      if (req.method === "GET" && route === "/v1/models") {
        record({ ...none, dialect: null, status: 200 });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: [{ id: "scripted-model", object: "model", created: 1, owned_by: "omk-tests" }] }));
        return;
      }
      if (req.method === "POST" && route === "/v1/messages/count_tokens") {
        const view = viewOf("anthropic", body);
        record({ ...none, dialect: "anthropic", model: view.model, status: 200 });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ input_tokens: tokens(JSON.stringify(body["messages"] ?? [])) }));
        return;
      }
      const dialect: Dialect | null =
        req.method === "POST" && route === "/v1/chat/completions" ? "openai" : req.method === "POST" && route === "/v1/messages" ? "anthropic" : null;
      if (dialect === null) {
        record({ ...none, dialect: null, status: 404 });
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${route}`, type: "not_found" } }));
        return;
      }
      const view = viewOf(dialect, body);
      let answer: Answer;
      try {
        answer = answerFor(current, view, n);
      } catch (cause) {
        record({ ...none, dialect, model: view.model, stream: view.stream, toolset: view.toolset, status: 500 });
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: (cause as Error).message, type: "server_error" } }));
        return;
      }
      const base = {
        dialect,
        model: view.model,
        stream: view.stream,
        toolset: view.toolset,
        rule: answer.rule,
        step: answer.step,
        fault: answer.fault,
        toolCalls: answer.calls.map((c) => c.name),
      };
      if (answer.fault === "unauthorized") {
        record({ ...base, status: 401, usage: null });
        res.writeHead(401, { "content-type": "application/json", ...(dialect === "anthropic" ? { "request-id": `req_${n}`, "x-should-retry": "false" } : {}) });
        res.end(JSON.stringify(dialect === "anthropic" ? ANTHROPIC_401 : OPENAI_401));
        return;
      }
      const hang = answer.fault === "hang";
      const usage: ServedUsage = { input: tokens(raw), output: tokens(answer.text + answer.calls.map((c) => c.name + JSON.stringify(c.input)).join("")) };
      // A hung stream serves no usage: nothing reached the end of the answer.
      record({ ...base, status: 200, usage: hang ? null : usage });
      if (dialect === "openai") openaiReply(res, view, answer, n, usage, hang);
      else anthropicReply(res, view, answer, n, usage, hang);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiUrl: `${url}/v1`,
    ledger,
    setRules: (next) => {
      current = [...next];
    },
    served: (filter = () => true) => {
      const kept = ledger.filter((e) => e.usage !== null && filter(e));
      const input = kept.reduce((s, e) => s + (e.usage?.input ?? 0), 0);
      const output = kept.reduce((s, e) => s + (e.usage?.output ?? 0), 0);
      return { input, output, total: input + output, requests: kept.length };
    },
    reset: () => {
      ledger.length = 0;
    },
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
