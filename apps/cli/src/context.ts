import { type GoalStore, openStore, parseId } from "@omk/state";
import { UsageError } from "./errors.js";

/** What every command gets: the store, output streams, the clock. Built once in main. */
export type Context = {
  store: GoalStore;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now: () => Date;
  cwd: string;
  env: NodeJS.ProcessEnv;
};

export function createContext(io: { stdout: (t: string) => void; stderr: (t: string) => void; env: NodeJS.ProcessEnv; cwd: string }): Context {
  return { store: openStore({ env: io.env }), now: () => new Date(), ...io };
}

/** The goal id from argv, or the latest goal when none is given. */
export async function resolveGoalId(ctx: Context, id: string | undefined): Promise<string> {
  if (id !== undefined) return parseId(id, "goal id");
  const latest = await ctx.store.latestGoalId();
  if (latest === undefined) {
    throw new UsageError(`no goals under ${ctx.store.root}`, 'create one with omk goal create "<goal>" (or set OMK_STATE_DIR)');
  }
  return latest;
}

export function printJson(ctx: Context, value: unknown): void {
  ctx.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
