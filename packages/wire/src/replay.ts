import { readFileSync } from "node:fs";
import path from "node:path";
import { WireConfigError } from "./errors.js";
import { err, ok, type Result } from "@omk/core";
import { type Scenario, ScenarioSchema, type ScenarioStep, type ScenarioTurn } from "./schemas/scenario.js";
import { TranscriptLineSchema } from "./schemas/transcript.js";
import { normalizeUsage } from "./usage.js";

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Turns a recorded ACP session transcript (OMK's raw tap) into a scenario for
 * the scripted engine, so a real engine's session can be re-run
 * deterministically: what the engine sent (updates, stderr, lines that were
 * not JSON) is replayed as is, and what it asked of the client (file writes
 * and reads, commands, permissions) is asked again, so OMK's handlers, scope
 * checks and policy run for real in the replay. Paths under the recorded
 * session root are made relative, so the replay can run in another folder.
 * Kimi Wire transcripts are not supported.
 */
export function scenarioFromTranscript(text: string): Result<Scenario, WireConfigError> {
  let cwd: string | undefined;
  const agent: { name?: string; version?: string } = {};
  const turns: ScenarioTurn[] = [];
  const prompts = new Map<string | number, ScenarioTurn>();
  const initIds = new Set<string | number>();
  const newIds = new Set<string | number>();
  let auth: Scenario["auth"] = "none";
  let current: ScenarioTurn | undefined;
  const rel = (p: unknown): string => {
    const s = String(p ?? "");
    if (cwd === undefined || !path.isAbsolute(s)) return s;
    const r = path.relative(cwd, s);
    return r.startsWith("..") || path.isAbsolute(r) ? s : r === "" ? "." : r;
  };
  const push = (step: ScenarioStep) => current?.steps.push(step);

  const lines = text.split("\n").filter((l) => l.trim() !== "");
  for (const [index, raw] of lines.entries()) {
    let entry: ReturnType<typeof TranscriptLineSchema.parse>;
    try {
      entry = TranscriptLineSchema.parse(JSON.parse(raw));
    } catch {
      return err(new WireConfigError(`line ${index + 1} is not a transcript line`));
    }
    if (entry.dir === "stderr" && entry.line !== undefined) {
      push({ stderr: entry.line });
      continue;
    }
    if ((entry.dir !== "in" && entry.dir !== "out") || entry.line === undefined || entry.partial) continue;
    let message: unknown;
    try {
      message = JSON.parse(entry.line);
    } catch {
      if (entry.dir === "in") push({ garbage: entry.line });
      continue;
    }
    if (!isRec(message)) continue;
    const method = message["method"];
    const id = message["id"] as string | number | undefined;
    const params = isRec(message["params"]) ? message["params"] : {};
    if (entry.dir === "out") {
      if (method === "initialize" && id !== undefined) initIds.add(id);
      if (method === "session/new" && id !== undefined) {
        newIds.add(id);
        if (typeof params["cwd"] === "string") cwd = params["cwd"];
      }
      if (method === "session/prompt" && id !== undefined) {
        current = { steps: [], stop: "end_turn" };
        prompts.set(id, current);
        turns.push(current);
      }
      continue;
    }
    // from the engine
    if (typeof method !== "string") {
      if (id === undefined) continue;
      const result = isRec(message["result"]) ? message["result"] : undefined;
      const error = isRec(message["error"]) ? message["error"] : undefined;
      if (initIds.has(id) && isRec(result?.["agentInfo"])) {
        const info = result["agentInfo"] as Rec;
        if (typeof info["name"] === "string") agent.name = info["name"];
        if (typeof info["version"] === "string") agent.version = info["version"];
      }
      if (newIds.has(id) && error?.["code"] === -32000) auth = "session_new";
      const turn = prompts.get(id);
      if (turn !== undefined) {
        if (error?.["code"] === -32000 && turns.indexOf(turn) === 0) auth = "prompt";
        const stop = result?.["stopReason"];
        if (stop === "end_turn" || stop === "max_tokens" || stop === "max_turn_requests" || stop === "refusal" || stop === "cancelled") turn.stop = stop;
        const usage = normalizeUsage(result?.["usage"]);
        const metaUsage = isRec(result?.["_meta"]) ? normalizeUsage((result["_meta"] as Rec)["usage"]) : undefined;
        if (usage !== undefined) turn.steps.push({ usage: { ...usage, via: "prompt_response" } });
        else if (metaUsage !== undefined) turn.steps.push({ usage: { ...metaUsage, via: "meta" } });
        if (current === turn) current = undefined;
      }
      continue;
    }
    switch (method) {
      case "session/update": {
        const update = isRec(params["update"]) ? params["update"] : undefined;
        if (update === undefined) break;
        const content = isRec(update["content"]) ? update["content"] : undefined;
        if (update["sessionUpdate"] === "agent_message_chunk" && content?.["type"] === "text") push({ message: String(content["text"]) });
        else if (update["sessionUpdate"] === "agent_thought_chunk" && content?.["type"] === "text") push({ thought: String(content["text"]) });
        else push({ update: cwd === undefined ? update : (rootToPlaceholder(update, cwd) as Rec) });
        break;
      }
      case "fs/write_text_file":
        push({ write: { path: rel(params["path"]), content: String(params["content"] ?? ""), via: "fs", announce: false } });
        break;
      case "fs/read_text_file":
        push({ read: { path: rel(params["path"]), announce: false } });
        break;
      case "terminal/create": {
        const env = Array.isArray(params["env"])
          ? Object.fromEntries((params["env"] as Rec[]).filter(isRec).map((e) => [String(e["name"]), String(e["value"])]))
          : undefined;
        push({
          command: {
            command: String(params["command"]),
            ...(Array.isArray(params["args"]) ? { args: (params["args"] as unknown[]).map(String) } : {}),
            ...(typeof params["cwd"] === "string" ? { cwd: rel(params["cwd"]) } : {}),
            ...(env === undefined ? {} : { env }),
            ...(typeof params["outputByteLimit"] === "number" ? { outputByteLimit: params["outputByteLimit"] } : {}),
            announce: false,
          },
        });
        break;
      }
      case "session/request_permission": {
        const toolCall = isRec(params["toolCall"]) ? params["toolCall"] : {};
        const paths = Array.isArray(toolCall["locations"]) ? (toolCall["locations"] as unknown[]).filter(isRec).map((l) => rel(l["path"])) : [];
        const kind = toolCall["kind"];
        push({
          permission: {
            title: String(toolCall["title"] ?? "permission"),
            kind: (typeof kind === "string" ? kind : "other") as "other",
            paths,
            onReject: "continue",
          },
        });
        break;
      }
      default:
        break;
    }
  }
  const parsed = ScenarioSchema.safeParse({ agent: { name: agent.name ?? "replay", version: agent.version ?? "0.0.0" }, auth, turns });
  if (!parsed.success)
    return err(
      new WireConfigError(`the transcript does not make a valid scenario: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`),
    );
  return ok(parsed.data);
}

/** Replaces the recorded session root in every string with `{{cwd}}` (the scripted agent puts its own root back). */
function rootToPlaceholder(value: unknown, cwd: string): unknown {
  if (typeof value === "string") return value === cwd || value.startsWith(`${cwd}/`) ? `{{cwd}}${value.slice(cwd.length)}` : value;
  if (Array.isArray(value)) return value.map((v) => rootToPlaceholder(v, cwd));
  if (isRec(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rootToPlaceholder(v, cwd)]));
  return value;
}

/** Reads a transcript file and turns it into a scenario (see scenarioFromTranscript). */
export function loadTranscriptScenario(file: string): Result<Scenario, WireConfigError> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    return err(new WireConfigError(`cannot read transcript: ${(cause as Error).message}`, { cause, file }));
  }
  const result = scenarioFromTranscript(text);
  return result.ok ? result : err(new WireConfigError(result.error.message, { file }));
}
