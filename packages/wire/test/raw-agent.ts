// A session with the raw ACP agent (fixtures/raw-acp-agent.mjs), which plays a plan of raw lines and
// requests and logs the client's answers: the malformed or hostile agent of the wire tests.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir } from "@omk/test-fixtures";
import { EngineSpecSchema, openSession, type WireEvent } from "../src/index.js";
import { FAST, workspace } from "./helpers.js";

const RAW_AGENT = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "raw-acp-agent.mjs");
export const SECRET = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX1234";

type Plan = { during?: unknown[]; after?: unknown[]; onEof?: unknown[]; ignoreEof?: boolean };

/** A session with the raw ACP agent playing `plan`; `log()` returns the client's answers it received. */
export async function rawSession(planOf: Plan | ((root: string) => Plan), options: { scope?: Parameters<typeof openSession>[0]["scope"] } = {}) {
  const ws = workspace();
  const plan = typeof planOf === "function" ? planOf(ws.root) : planOf;
  const dir = makeTempDir("omk-wire-raw-");
  const planFile = path.join(dir, "plan.json");
  const agentLog = path.join(dir, "agent.log");
  writeFileSync(planFile, JSON.stringify(plan));
  const events: WireEvent[] = [];
  const opened = await openSession({
    engine: EngineSpecSchema.parse({
      name: "raw",
      protocol: "acp",
      command: process.execPath,
      args: [RAW_AGENT],
      env: { PLAN: planFile, AGENT_LOG: agentLog },
      login: "none",
    }),
    cwd: ws.root,
    runDir: ws.runDir,
    transcriptPath: ws.transcript,
    deadlines: FAST,
    secrets: [SECRET],
    onEvent: (e) => events.push(e),
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  });
  if (!opened.ok) throw opened.error;
  const log = () =>
    existsSync(agentLog)
      ? readFileSync(agentLog, "utf8")
          .trim()
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
  return { session: opened.value, events, ws, dir, log };
}
