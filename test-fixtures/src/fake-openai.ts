import http from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted model answer: text and/or tool calls, or a hang (the request is never answered). */
export type FakeModelReply = {
  text?: string;
  toolCalls?: Array<{ name: string; arguments: Record<string, unknown> }>;
  hang?: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number };
};

export type FakeOpenAI = { url: string; requests: unknown[]; close: () => Promise<void> };

/**
 * A scripted OpenAI-compatible chat-completions server on 127.0.0.1
 * (streaming SSE, tool calls, usage in the last chunk). Each request takes the
 * next reply; when they run out it answers "done".
 */
export async function startFakeOpenAI(replies: FakeModelReply[]): Promise<FakeOpenAI> {
  const requests: unknown[] = [];
  const open = new Set<http.ServerResponse>();
  let next = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      try {
        requests.push(JSON.parse(body));
      } catch {
        requests.push(body);
      }
      const reply = replies[next++] ?? { text: "done" };
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      open.add(res);
      res.on("close", () => open.delete(res));
      if (reply.hang) return;
      const base = { id: `chatcmpl-${next}`, object: "chat.completion.chunk", created: 1, model: "fake-model" };
      const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
      if (reply.text !== undefined) send({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: reply.text }, finish_reason: null }] });
      (reply.toolCalls ?? []).forEach((call, index) => {
        send({
          ...base,
          choices: [
            {
              index: 0,
              delta: {
                tool_calls: [
                  { index, id: `call_${next}_${index}`, type: "function", function: { name: call.name, arguments: JSON.stringify(call.arguments) } },
                ],
              },
              finish_reason: null,
            },
          ],
        });
      });
      const usage = reply.usage ?? { prompt_tokens: 100, completion_tokens: 10 };
      send({
        ...base,
        choices: [{ index: 0, delta: {}, finish_reason: reply.toolCalls?.length ? "tool_calls" : "stop" }],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      });
      res.write("data: [DONE]\n\n");
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      for (const res of open) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
