// Shared setup of the runGoal tests: a tiny node project in a real git repo, a store, a script book.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { type BudgetLimits, type GoalStore, openStore } from "@omk/state";
import { bundledAgent, makeTempDir, makeTextkitRepo, textkitPlanSession, textkitReadySessions } from "@omk/test-fixtures";
import { type EngineProvider, scriptBookProvider } from "@omk/sessions";
import type { ControllerEvent } from "../src/types.js";

export { PASSED_REVIEW, SLUGIFY_SRC, SLUGIFY_TEST, TEXTKIT_FILES as PROJECT, TEXTKIT_GOAL as GOAL_TEXT, turn, usage, write } from "@omk/test-fixtures";

export const makeRepo = (): Promise<{ repo: string; base: string }> => makeTextkitRepo();

export async function makeGoal(
  repo: string,
  text: string,
  limits: BudgetLimits = { timeMs: null, tokens: null, usd: null },
): Promise<{ store: GoalStore; goalId: string }> {
  const store = openStore({ root: makeTempDir() });
  const created = await store.createGoal({ text, repoRoot: repo, limits, maxAgents: 2 });
  if (!created.ok) throw new Error(created.error.message);
  return { store, goalId: created.value.id };
}

/** The scripted engine playing `sessions` (the agent bundled once per test process; see scripted-agent.ts). */
export function bookProvider(sessions: Record<string, unknown>): EngineProvider {
  const file = path.join(makeTempDir(), "book.json");
  writeFileSync(file, JSON.stringify({ version: 1, sessions }, null, 2));
  const provider = scriptBookProvider(file, { agent: bundledAgent() });
  if (!provider.ok) throw new Error(provider.error.message);
  return provider.value;
}

/** Usage reported while the turn runs (kimi's session log), not with the turn's answer. */
export const liveUsage = (input: number, output: number) => ({ usage: { inputUncached: input, output, via: "kimi_log" } });
export const message = (text: string) => ({ message: text });

export const SLUGIFY_BUGGY = "export function slugify(text) {\n  return text.toLowerCase();\n}\n";

/** The engine's plan: one implementer task `slugify`, and a reviewer task (performed by the review phase). */
export const planSession = textkitPlanSession;

/** Sessions of a goal that ends ready in round 1. */
export function readyBook(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...textkitReadySessions(), ...extra };
}

export function collect(): { events: ControllerEvent[]; onEvent: (e: ControllerEvent) => void } {
  const events: ControllerEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}
