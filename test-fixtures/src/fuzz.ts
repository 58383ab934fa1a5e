/**
 * The standing fuzz suite's budget (issue 14: at least 10k cases across the
 * event log, the gates config, script books and plan answers, with zero
 * exit-70 crashes and zero bytes lost). Each target's property test takes its
 * run count from here, so the total is one sum (docs/decisions/fuzz.md has
 * the table and the time each takes).
 *
 * Seeds: fast-check draws a fresh seed per run and prints it, with the
 * counterexample's path, when a property fails. To replay that failure set
 * OMK_FUZZ_SEED (and OMK_FUZZ_PATH) to what it printed. OMK_FUZZ_SCALE
 * multiplies every run count (e.g. 10 for a long local run).
 */
export const FUZZ_RUNS = {
  /** packages/state: mutated, truncated, non-UTF-8, duplicated and huge lines of events.jsonl (and goal.json) opened by the store. */
  stateLog: 1_500,
  /** packages/gates: random and mutated .omk/gates.yaml (aliases, anchors, deep nesting, huge numbers, paths out). */
  gatesConfig: 3_000,
  /** packages/controller: random and mutated script books. */
  scriptBook: 2_000,
  /** packages/planner: rambling model answers to the plan, intake and follow-up questions. */
  planAnswers: 4_000,
  /** Through the real processes: omk-gates with a fuzzed .omk/gates.yaml, omk goal status with a fuzzed events.jsonl. */
  cli: 16,
} as const;

/** A fuzz test's time limit: generous, because the machine running CI may be loaded (speed is measured in docs/decisions/fuzz.md, not asserted). */
export const FUZZ_TIMEOUT_MS = 300_000;

/** Every case of the suite: at least 10k (packages/gates/test/fuzz-config.test.ts keeps it so). */
export const FUZZ_TOTAL = Object.values(FUZZ_RUNS).reduce((a, b) => a + b, 0);

/** fast-check parameters for one target: its run count (scaled), and the seed and path to replay when set. */
export function fuzzParams(target: keyof typeof FUZZ_RUNS, env: NodeJS.ProcessEnv = process.env): { numRuns: number; seed?: number; path?: string } {
  const scale = Number(env["OMK_FUZZ_SCALE"] ?? "1");
  const numRuns = Math.max(1, Math.round(FUZZ_RUNS[target] * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
  const seed = env["OMK_FUZZ_SEED"] === undefined ? undefined : Number(env["OMK_FUZZ_SEED"]);
  return {
    numRuns,
    ...(seed === undefined || !Number.isInteger(seed) ? {} : { seed }),
    ...(env["OMK_FUZZ_PATH"] === undefined ? {} : { path: env["OMK_FUZZ_PATH"] }),
  };
}
