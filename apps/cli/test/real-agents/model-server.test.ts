// The scripted model server the real agents talk to (test-fixtures/src/model-server.ts), on the
// wire: OpenAI Chat Completions and Anthropic Messages, streamed and not; the rule and step come
// from the conversation; faults; side queries; the ledger of served usage.
import { type ModelServer, reviewRule, say, startModelServer, taskRule } from "@omk/test-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer();
});
afterAll(async () => {
  await server?.close();
});

const TASK = "# Task fix-range: Fix it\n\nYou are the implementer of one task of a larger goal.";
const task = taskRule([
  say("Let me look at the code first.", { read: "src/range.js" }),
  say("Now the fix.", { edit: "src/range.js", old: "i < end", new: "i <= end" }),
  { text: "Done." },
]);

// biome-ignore lint/suspicious/noExplicitAny: wire JSON, read field by field
type Wire = any;

async function json(res: Promise<Response>): Promise<Wire> {
  return (await res).json();
}

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

function events(text: string): Array<{ event: string | null; data: string }> {
  return text
    .split("\n\n")
    .filter((b) => b.trim() !== "")
    .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1] ?? null, data: /^data: (.*)$/m.exec(block)?.[1] ?? "" }));
}

const kimiTools = [
  { type: "function", function: { name: "Read" } },
  { type: "function", function: { name: "Edit" } },
  { type: "function", function: { name: "Bash" } },
  { type: "function", function: { name: "Write" } },
];
const qwenTools = [
  { type: "function", function: { name: "read_file" } },
  { type: "function", function: { name: "run_shell_command" } },
  { type: "function", function: { name: "write_file" } },
];
const claudeTools = [{ name: "Read" }, { name: "Edit" }, { name: "Bash" }, { name: "Write" }];

describe("model server: OpenAI Chat Completions", () => {
  it("streams narration then the agent's own tool call (Kimi's Read with a relative path), and usage in a last chunk with no choices when stream_options.include_usage", async () => {
    server.setRules([task]);
    server.reset();
    const res = await post("/v1/chat/completions", {
      model: "m",
      stream: true,
      stream_options: { include_usage: true },
      tools: kimiTools,
      messages: [
        { role: "system", content: "You are Kimi. The current working directory is `/w/repo`." },
        { role: "user", content: TASK },
        { role: "user", content: "<system-reminder>\nToday is a day.\n</system-reminder>" },
      ],
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const chunks = events(await res.text()).map((e) => e.data);
    expect(chunks.at(-1)).toBe("[DONE]");
    const parsed = chunks.slice(0, -1).map((c) => JSON.parse(c));
    const text = parsed.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe("Let me look at the code first.");
    const args = parsed.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []).map((t: { function: { name?: string; arguments: string } }) => t.function);
    expect(args[0]?.name).toBe("Read");
    expect(JSON.parse(args.map((a: { arguments: string }) => a.arguments).join(""))).toEqual({ path: "src/range.js" });
    expect(parsed.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("tool_calls");
    const last = parsed.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.total_tokens).toBe(last.usage.prompt_tokens + last.usage.completion_tokens);
    expect(server.ledger[0]).toMatchObject({
      rule: "task",
      step: 0,
      toolset: "kimi",
      usage: { input: last.usage.prompt_tokens, output: last.usage.completion_tokens },
      toolCalls: ["Read"],
    });
  });

  it("derives the step from the conversation (assistant turns since the instruction): Qwen gets its edit with an absolute path from its working directory; without include_usage the usage rides on the finish chunk", async () => {
    server.setRules([task]);
    server.reset();
    const res = await post("/v1/chat/completions", {
      model: "m",
      stream: true,
      tools: qwenTools,
      messages: [
        { role: "system", content: "I'm currently working in the directory: /w/repo\nMore." },
        {
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>skills</system-reminder>" },
            { type: "text", text: TASK },
          ],
        },
        { role: "assistant", content: "Let me look.", tool_calls: [{ id: "c1", type: "function", function: { name: "read_file", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: "export function range() {}" },
      ],
    });
    const parsed = events(await res.text())
      .map((e) => e.data)
      .filter((d) => d !== "[DONE]")
      .map((d) => JSON.parse(d));
    const call = parsed.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(call[0].function.name).toBe("edit");
    expect(JSON.parse(call.map((t: { function: { arguments: string } }) => t.function.arguments).join(""))).toEqual({
      file_path: "/w/repo/src/range.js",
      old_string: "i < end",
      new_string: "i <= end",
    });
    const finish = parsed.find((c) => c.choices[0]?.finish_reason === "tool_calls");
    expect(finish.usage.prompt_tokens).toBeGreaterThan(0);
    expect(server.ledger[0]).toMatchObject({ rule: "task", step: 1, toolset: "qwen" });
  });

  it("answers non-streaming requests with a chat.completion; a request no rule matches (a side query) gets a short plain answer and no rule in the ledger", async () => {
    server.setRules([task]);
    server.reset();
    const body = await json(post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "Summarize this session in five words." }] }));
    expect(body).toMatchObject({ object: "chat.completion", choices: [{ message: { role: "assistant", content: "Sure." }, finish_reason: "stop" }] });
    expect(server.ledger[0]).toMatchObject({ rule: null, stream: false });
    expect(server.served()).toEqual({ input: body.usage.prompt_tokens, output: body.usage.completion_tokens, total: body.usage.total_tokens, requests: 1 });
  });

  it("plays a rule's faults: OpenAI's 401 body, a never-valid JSON answer, and a stream that stalls after its first chunks", async () => {
    server.reset();
    server.setRules([{ ...task, fault: "unauthorized" }]);
    const refused = await post("/v1/chat/completions", { model: "m", stream: true, tools: kimiTools, messages: [{ role: "user", content: TASK }] });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { type: "invalid_request_error", code: "invalid_api_key" } });

    server.setRules([{ ...reviewRule(), fault: "invalid_json" }]);
    const review = "# Review (reviewer), round 1\n\nYou are the code reviewer.";
    const invalid = await json(post("/v1/chat/completions", { model: "m", tools: kimiTools, messages: [{ role: "user", content: review }] }));
    const answer: string = invalid.choices[0].message.content;
    expect(answer).toContain("```json");
    for (const candidate of answer.match(/\{[\s\S]*\}?/g) ?? []) expect(() => JSON.parse(candidate)).toThrow();

    server.setRules([{ ...task, fault: "hang" }]);
    const hung = await post("/v1/chat/completions", { model: "m", stream: true, tools: kimiTools, messages: [{ role: "user", content: TASK }] });
    const reader = hung.body?.getReader();
    if (reader === undefined) throw new Error("no body");
    // Read until 800 ms of silence: some chunks came, the end never does.
    let got = "";
    let ended = false;
    for (;;) {
      const next = await Promise.race([reader.read(), new Promise<"silent">((r) => setTimeout(() => r("silent"), 800))]);
      if (next === "silent") break;
      if (next.done) {
        ended = true;
        break;
      }
      got += new TextDecoder().decode(next.value);
    }
    expect(ended).toBe(false);
    expect(got).toContain("chat.completion.chunk");
    expect(got).not.toContain("[DONE]");
    await reader.cancel();
    expect(server.ledger.map((e) => [e.status, e.fault, e.usage])).toEqual([
      [401, "unauthorized", null],
      [200, "invalid_json", expect.anything()],
      [200, "hang", null],
    ]);
  });
});

describe("model server: Anthropic Messages", () => {
  it("streams message_start with usage, a text block, a tool_use block by input_json_delta (Claude Code's Read, absolute path), message_delta with usage and stop_reason, message_stop", async () => {
    server.setRules([task]);
    server.reset();
    const res = await post("/v1/messages?beta=true", {
      model: "claude-x",
      stream: true,
      tools: claudeTools,
      system: [{ type: "text", text: "You are Claude Code.\n<env>\nWorking directory: /w/repo\n</env>" }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>ctx</system-reminder>" },
            { type: "text", text: TASK },
          ],
        },
      ],
    });
    const evs = events(await res.text());
    expect(evs.map((e) => e.event)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const data = evs.map((e) => JSON.parse(e.data));
    expect(data[0].message.usage.input_tokens).toBeGreaterThan(0);
    expect(data[6].content_block).toMatchObject({ type: "tool_use", name: "Read", input: {} });
    expect(JSON.parse(`${data[7].delta.partial_json}${data[8].delta.partial_json}`)).toEqual({ file_path: "/w/repo/src/range.js" });
    expect(data[10]).toMatchObject({ delta: { stop_reason: "tool_use" }, usage: { input_tokens: data[0].message.usage.input_tokens } });
    expect(server.ledger[0]).toMatchObject({
      dialect: "anthropic",
      toolset: "claude",
      rule: "task",
      step: 0,
      usage: { input: data[10].usage.input_tokens, output: data[10].usage.output_tokens },
    });
  });

  it("answers side queries in the form they ask for (a JSON schema's object, a <severity> classifier), count_tokens, and the 401 with Anthropic's authentication_error body", async () => {
    server.setRules([{ ...task, fault: "unauthorized" }]);
    server.reset();
    const title = await json(
      post("/v1/messages", {
        model: "h",
        output_config: { format: { type: "json_schema", schema: { type: "object", properties: { title: { type: "string" } }, required: ["title"] } } },
        messages: [{ role: "user", content: "name it" }],
      }),
    );
    expect(JSON.parse(title.content[0].text)).toEqual({ title: expect.any(String) });
    const monitor = await json(
      post("/v1/messages", { model: "s", stop_sequences: ["</severity>"], messages: [{ role: "user", content: "Respond with <severity>N</severity> ONLY." }] }),
    );
    expect(monitor).toMatchObject({ content: [{ type: "text", text: "<severity>1" }], stop_reason: "stop_sequence", stop_sequence: "</severity>" });
    const counted = await json(post("/v1/messages/count_tokens", { model: "s", messages: [{ role: "user", content: "hello there" }] }));
    expect(counted.input_tokens).toBeGreaterThan(0);
    const refused = await post("/v1/messages", {
      model: "c",
      stream: true,
      tools: claudeTools,
      system: "Working directory: /w",
      messages: [{ role: "user", content: TASK }],
    });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
    expect(server.ledger.map((e) => [e.path, e.rule, e.status])).toEqual([
      ["/v1/messages", null, 200],
      ["/v1/messages", null, 200],
      ["/v1/messages/count_tokens", null, 200],
      ["/v1/messages", "task", 401],
    ]);
    expect(server.served().requests).toBe(2);
  });
});
