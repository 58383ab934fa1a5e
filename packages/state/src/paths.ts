import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseId } from "./ids.js";

export type StateRootSource = "OMK_STATE_DIR" | "XDG_STATE_HOME" | "legacy" | "default";

/**
 * Where state lives: `$OMK_STATE_DIR`, else `$XDG_STATE_HOME/omk`, else
 * `~/.local/state/omk`; a legacy `~/.omk/state` is used when it exists and
 * the default does not (architecture: durable state).
 */
export function resolveStateRoot(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): { root: string; source: StateRootSource } {
  const explicit = env["OMK_STATE_DIR"];
  if (explicit !== undefined && explicit.trim() !== "") return { root: path.resolve(explicit), source: "OMK_STATE_DIR" };
  const xdg = env["XDG_STATE_HOME"];
  if (xdg !== undefined && path.isAbsolute(xdg)) return { root: path.join(xdg, "omk"), source: "XDG_STATE_HOME" };
  const preferred = path.join(home, ".local", "state", "omk");
  const legacy = path.join(home, ".omk", "state");
  if (!existsSync(preferred) && existsSync(legacy)) return { root: legacy, source: "legacy" };
  return { root: preferred, source: "default" };
}

/** The files of one goal under the state root. Ids are validated before any path is built. */
export function goalPaths(root: string, goalId: string) {
  const dir = path.join(root, "goals", parseId(goalId, "goal id"));
  return {
    dir,
    events: path.join(dir, "events.jsonl"),
    snapshot: path.join(dir, "goal.json"),
    lock: path.join(dir, "lock"),
    appendMutex: path.join(dir, "events.jsonl.lock"),
    plan: path.join(dir, "plan"),
    oracle: path.join(dir, "oracle.json"),
    runs: path.join(dir, "runs"),
    gates: path.join(dir, "gates"),
    reviews: path.join(dir, "reviews"),
    proof: path.join(dir, "proof.json"),
    failure: path.join(dir, "failure.json"),
    /** The outcome a terminal transition is about to record (written before its status_changed; removed once outcome_recorded is). */
    outcomePending: path.join(dir, "outcome.pending.json"),
  };
}
export type GoalPaths = ReturnType<typeof goalPaths>;
