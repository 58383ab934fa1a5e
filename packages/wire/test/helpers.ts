import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "@omk/test-fixtures";
import { expect, inject } from "vitest";
import { stringify } from "yaml";
import { groupMembers } from "../src/internal/process-group.js";
import {
  type EngineSpec,
  EngineSpecSchema,
  type EngineSpecInput,
  type OpenSessionOptions,
  openSession,
  type ScenarioInput,
  type WireEvent,
} from "../src/index.js";

/** The scripted engine (bundled by the global setup) playing this scenario, in a hermetic home unless overridden. */
export function scripted(scenario: ScenarioInput, overrides: Partial<EngineSpecInput> = {}): EngineSpec {
  const dir = makeTempDir("omk-wire-scenario-");
  const file = path.join(dir, "scenario.yaml");
  writeFileSync(file, stringify(scenario));
  return EngineSpecSchema.parse({
    name: "scripted",
    protocol: "acp",
    command: process.execPath,
    args: [inject("scriptedAgent"), "--scenario", file],
    versionArgs: [inject("scriptedAgent"), "--version"],
    login: "scripted: no login exists",
    home: "hermetic",
    ...overrides,
  });
}

/** A fresh session root and run folder. */
export function workspace(): { root: string; runDir: string; transcript: string } {
  const base = makeTempDir("omk-wire-");
  const root = path.join(base, "root");
  mkdirSync(root);
  return { root, runDir: path.join(base, "run"), transcript: path.join(base, "transcript.jsonl") };
}

/** Live (non-zombie) processes left in the engine's process group. */
export function leftovers(pgid: number): number[] {
  return groupMembers(pgid);
}

export function ofType<T extends WireEvent["type"]>(events: WireEvent[], type: T): Array<Extract<WireEvent, { type: T }>> {
  return events.filter((e): e is Extract<WireEvent, { type: T }> => e.type === type);
}

/** Small deadlines so fault tests end fast. */
export const FAST = { handshakeMs: 10_000, requestMs: 5_000, turnInactivityMs: 10_000, turnTotalMs: 15_000, cancelGraceMs: 1_500, killGraceMs: 500 };

/** The fake `kimi --wire` (bundled by the global setup) playing this scenario. */
export function fakeKimiWire(scenario: unknown, overrides: Partial<EngineSpecInput> = {}): EngineSpec {
  const dir = makeTempDir("omk-wire-kimi-");
  const file = path.join(dir, "scenario.json");
  writeFileSync(file, JSON.stringify(scenario));
  return EngineSpecSchema.parse({
    name: "kimi-wire",
    protocol: "kimi-wire",
    command: process.execPath,
    args: [inject("fakeKimiWire")],
    versionArgs: [inject("fakeKimiWire"), "--version"],
    env: { FAKE_KIMI_SCENARIO: file },
    login: "run `kimi` and `/login`",
    home: "hermetic",
    ...overrides,
  });
}

/** Where a confined session runs: a task checkout, its run folder, the environment (the host's when absent), and the confinement for an engine. */
type ConfinedWorld = {
  checkout: string;
  runDir: string;
  env?: OpenSessionOptions["env"];
  confinement: (engine: EngineSpec) => NonNullable<OpenSessionOptions["confinement"]>;
};

/** Opens a session of `engine` in the world's checkout, confined as the world says (it must open), plays one turn ("go") and closes it: the events and the turn. */
export async function confinedTurn(w: ConfinedWorld, engine: EngineSpec) {
  const events: WireEvent[] = [];
  const opened = await openSession({
    engine,
    cwd: w.checkout,
    runDir: w.runDir,
    ...(w.env === undefined ? {} : { env: w.env }),
    confinement: w.confinement(engine),
    deadlines: FAST,
    onEvent: (e) => events.push(e),
  });
  expect(opened.ok).toBe(true);
  if (!opened.ok) throw new Error(opened.error.message);
  const turn = await opened.value.prompt("go");
  await opened.value.close();
  return { events, turn };
}
