// The real agents installed by tooling/install-agents.mjs into $OMK_AGENTS_DIR.
// A missing folder fails the suite: CI must not skip silently.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { TranscriptLineSchema } from "../../src/index.js";

type InstalledAgent = { node: string; entry: string; version: string };
export type InstalledAgents = {
  kimi: InstalledAgent;
  gemini: InstalledAgent;
  claude: InstalledAgent;
  qwen: InstalledAgent;
  node24: { node: string; version: string };
};

export function agents(): InstalledAgents {
  const dir = process.env["OMK_AGENTS_DIR"];
  if (dir === undefined || !existsSync(path.join(dir, "agents.json")))
    throw new Error("OMK_AGENTS_DIR with agents.json is required: run `node tooling/install-agents.mjs` first");
  return JSON.parse(readFileSync(path.join(dir, "agents.json"), "utf8")) as InstalledAgents;
}

/** The pid of every engine process a transcript recorded starting (its `spawn` meta lines). */
export function spawnedPids(transcript: string): number[] {
  return readFileSync(transcript, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => TranscriptLineSchema.parse(JSON.parse(l)))
    .flatMap((l) => (l.dir === "meta" && l.meta?.["event"] === "spawn" && typeof l.meta["pid"] === "number" ? [l.meta["pid"]] : []));
}

/** The JSON-RPC messages a transcript recorded in one direction (lines that are not JSON are skipped). */
export function rpcLines(transcript: string, dir: "in" | "out"): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const raw of readFileSync(transcript, "utf8").split("\n")) {
    if (raw.trim() === "") continue;
    const line = TranscriptLineSchema.parse(JSON.parse(raw));
    if (line.dir !== dir || line.line === undefined) continue;
    try {
      out.push(JSON.parse(line.line) as Record<string, unknown>);
    } catch {
      // not JSON: the raw tap keeps it, the protocol ignores it
    }
  }
  return out;
}

/** Top-level names in a folder (empty when it does not exist). */
export function entriesOf(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
