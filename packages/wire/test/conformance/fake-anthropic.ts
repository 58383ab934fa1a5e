// A minimal Anthropic Messages server (streaming SSE) on 127.0.0.1 for claude-agent-acp:
// every request is answered with text and a usage the test can add up. (The richer
// rule-driven OpenAI + Anthropic server lives in @omk/test-fixtures once it lands.)
import http from "node:http";
import type { AddressInfo } from "node:net";

type ServedCall = {
  tools: number;
  stream: boolean;
  firstUserText: string;
  usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };
};
export type FakeAnthropic = { url: string; served: ServedCall[]; close: () => Promise<void> };

export async function startFakeAnthropic(answer: (n: number, tools: number) => string = () => "Hello from the fake model."): Promise<FakeAnthropic> {
  const served: ServedCall[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      if (!(req.url ?? "").startsWith("/v1/messages") || req.url?.includes("count_tokens")) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ type: "error", error: { type: "not_found_error", message: "not here" } }));
        return;
      }
      let request: { model?: string; stream?: boolean; tools?: unknown[]; messages?: Array<{ content: unknown }> } = {};
      try {
        request = JSON.parse(body);
      } catch {
        // answered anyway
      }
      const n = served.length + 1;
      const tools = request.tools?.length ?? 0;
      const usage = { input_tokens: 100 * n + 7, output_tokens: 10 * n + 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
      served.push({ tools, stream: request.stream === true, firstUserText: JSON.stringify(request.messages?.[0]?.content ?? "").slice(0, 200), usage });
      const text = answer(n, tools);
      const model = request.model ?? "claude-fake";
      if (request.stream !== true) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: `msg_${n}`,
            type: "message",
            role: "assistant",
            model,
            content: [{ type: "text", text }],
            stop_reason: "end_turn",
            stop_sequence: null,
            usage,
          }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send("message_start", {
        type: "message_start",
        message: {
          id: `msg_${n}`,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      });
      send("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
      send("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });
      send("content_block_stop", { type: "content_block_stop", index: 0 });
      send("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
      send("message_stop", { type: "message_stop" });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
