import { createDeterministicPlanner } from "./deterministic.js";
import { type AskPlan, createEnginePlanner, type PlannerEvent } from "./engine-planner.js";
import type { Planner } from "./plan.js";

/**
 * The planner for a configuration: engine-assisted when the controller
 * passes an `askPlan` port (an engine is configured), deterministic otherwise.
 */
export function createPlanner(options: { askPlan?: AskPlan; maxAttempts?: number; onEvent?: (event: PlannerEvent) => void } = {}): Planner {
  if (options.askPlan === undefined) return createDeterministicPlanner();
  return createEnginePlanner({
    askPlan: options.askPlan,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
}
