// Moonshot's own Wire client, @moonshot-ai/kimi-agent-sdk (a dev dependency),
// drives our fake `kimi --wire` (test-fixtures) through a turn with approvals
// and a cancelled turn. The SDK validates every event and request with its own
// zod schemas, so this proves the fake speaks Wire as Moonshot's client
// understands it, and OMK's Wire client is tested against that same fake.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createSession, type StreamEvent } from "@moonshot-ai/kimi-agent-sdk";
import { cleanupTempDirs, isProcessAlive, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, inject, it } from "vitest";

afterAll(() => cleanupTempDirs());

/** A `kimi` executable for the SDK: a launcher running the bundled fake server with this Node. */
function launcher(dir: string): string {
  const file = path.join(dir, "kimi");
  writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${inject("fakeKimiWire")}" "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Live processes whose command line names this work dir (the fake runs with `--work-dir DIR`). */
function processesFor(workDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmdline.split("\0").includes(workDir) && isProcessAlive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

type Seen = { type: string; payload?: unknown };

/**
 * Reads a turn's events; the SDK has no deadlines (a message its schemas
 * refuse, such as an approval request, leaves the turn waiting forever), so
 * this gives up after `ms` and fails with every event seen, parse errors included.
 */
async function readTurn(turn: AsyncIterable<unknown>, onEvent: (e: Seen) => Promise<void>, ms = 10_000): Promise<Seen[]> {
  const seen: Seen[] = [];
  const read = (async () => {
    for await (const event of turn) {
      seen.push(event as Seen);
      await onEvent(event as Seen);
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), ms);
  });
  const first = await Promise.race([read.then(() => "done" as const), expired]);
  clearTimeout(timer);
  if (first === "expired") throw new Error(`the turn did not end within ${ms} ms; events seen: ${JSON.stringify(seen)}`);
  return seen;
}

describe("@moonshot-ai/kimi-agent-sdk drives the fake Kimi Wire server", () => {
  it("runs a turn with an approved write and a rejected command, validating every message, then cancels a hung turn", async () => {
    const base = makeTempDir("omk-kimi-sdk-");
    const root = path.join(base, "root");
    const home = path.join(base, "home");
    mkdirSync(root);
    mkdirSync(home);
    const scenario = path.join(base, "scenario.json");
    writeFileSync(
      scenario,
      JSON.stringify({
        turns: [
          {
            steps: [
              {
                think: "the user wants a file",
                text: "Writing hello.txt.",
                tool: { name: "WriteFile", args: { path: "hello.txt", content: "hi\n" } },
                usage: { input_other: 1200, output: 40, input_cache_read: 300 },
              },
              {
                tool: { name: "Shell", args: { command: "rm -rf ." } },
                usage: { input_other: 200, output: 12 },
                subagentUsage: { input_other: 50, output: 5 },
              },
              { text: "Done: wrote hello.txt; the cleanup was refused.", usage: { input_other: 100, output: 20 } },
            ],
          },
          { steps: [{ text: "Thinking hard..." }, { fault: "hang" }] },
        ],
      }),
    );
    const session = createSession({
      workDir: root,
      executable: launcher(base),
      env: { FAKE_KIMI_SCENARIO: scenario, HOME: home, KIMI_SHARE_DIR: path.join(home, ".kimi") },
    });
    try {
      // Turn 1: approve the write, reject the command.
      const turn = session.prompt("create hello.txt, then clean up");
      const decisions: Array<{ sender: string; response: "approve" | "reject" }> = [];
      const seen = await readTurn(turn, async (event) => {
        if (event.type === "ApprovalRequest") {
          const request = event.payload as Extract<StreamEvent, { type: "ApprovalRequest" }>["payload"];
          const response = request.sender === "WriteFile" ? "approve" : "reject";
          decisions.push({ sender: request.sender, response });
          await turn.approve(request.id, response);
        }
      });
      const result = await turn.result;
      expect(result.status).toBe("finished");
      // The SDK reports any message its schemas refuse as an `error` event: there must be none.
      expect(seen.filter((e) => e.type === "error" || e.type === "ParseError")).toEqual([]);
      expect(decisions).toEqual([
        { sender: "WriteFile", response: "approve" },
        { sender: "Shell", response: "reject" },
      ]);
      const types = seen.map((e) => e.type);
      expect(types[0]).toBe("TurnBegin");
      expect(types.at(-1)).toBe("TurnEnd");
      expect(types.filter((t) => t === "StepBegin")).toHaveLength(3);
      for (const t of ["ContentPart", "ToolCall", "ToolCallPart", "ApprovalRequest", "ToolResult", "StatusUpdate", "SubagentEvent"]) expect(types).toContain(t);

      const approvals = seen.filter((e) => e.type === "ApprovalRequest").map((e) => e.payload as { display?: Array<Record<string, unknown>> });
      expect(approvals[0]?.display).toEqual([{ type: "diff", path: "hello.txt", old_text: "", new_text: "hi\n" }]);
      expect(approvals[1]?.display).toEqual([{ type: "shell", language: "bash", command: "rm -rf ." }]);
      const text = seen
        .flatMap((e) => (e.type === "ContentPart" && (e.payload as { type: string }).type === "text" ? [(e.payload as { text: string }).text] : []))
        .join("");
      expect(text).toBe("Writing hello.txt.Done: wrote hello.txt; the cleanup was refused.");
      const args = seen.flatMap((e) => (e.type === "ToolCallPart" ? [(e.payload as { arguments_part?: string | null }).arguments_part ?? ""] : [])).join("");
      expect(args).toBe(`${JSON.stringify({ path: "hello.txt", content: "hi\n" })}${JSON.stringify({ command: "rm -rf ." })}`);
      const results = seen
        .filter((e) => e.type === "ToolResult")
        .map((e) => (e.payload as { return_value: { is_error: boolean; message: string } }).return_value);
      expect(results.map((r) => r.is_error)).toEqual([false, true]);
      expect(results[1]?.message).toBe("rejected by the user");
      const usage = seen
        .filter((e) => e.type === "StatusUpdate")
        .map((e) => (e.payload as { token_usage?: { input_other: number; output: number } | null }).token_usage);
      expect(usage.map((u) => u?.input_other)).toEqual([1200, 200, 100]);
      const sub = seen.find((e) => e.type === "SubagentEvent")?.payload as { event: { type: string; payload: { token_usage?: { output: number } } } };
      expect(sub.event).toMatchObject({ type: "StatusUpdate", payload: { token_usage: { input_other: 50, output: 5 } } });
      // Real side effects: the approved write happened, the rejected command did not run.
      expect(readFileSync(path.join(root, "hello.txt"), "utf8")).toBe("hi\n");
      expect(existsSync(root)).toBe(true);

      // Turn 2: the model call hangs; the SDK's interrupt (Wire `cancel`) ends it `cancelled`.
      const hung = session.prompt("think forever");
      await readTurn(hung, async (event) => {
        if (event.type === "StepBegin" && (event.payload as { n: number }).n === 2) await hung.interrupt();
      });
      expect((await hung.result).status).toBe("cancelled");
      expect(processesFor(root)).toHaveLength(1);
    } finally {
      await session.close();
    }
    // Nothing left running after the SDK closed the session.
    const deadline = Date.now() + 30_000;
    while (processesFor(root).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(processesFor(root)).toEqual([]);
  });
});
