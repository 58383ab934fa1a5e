/**
 * Resume remembers: the options a goal ran with (engine, model, script book,
 * --until-ready / --no-until-ready, --max-rounds, gates config) are recorded in its log when a
 * run starts (run_options_recorded); `omk goal resume <id>` and
 * `omk goal run <id>` reuse the last record. Flags given now override it,
 * and the record of this run names what they changed (`overridden`).
 * Precedence: flags > the goal's record > OMK_ENGINE / OMK_SCRIPT > the
 * first engine found. Only names and paths are recorded, never secret values.
 */
import path from "node:path";
import type { EngineProvider } from "@omk/sessions";
import type { EventData, GoalEvent } from "@omk/state";
import type { Context } from "../context.js";

export type RunOptionsRecord = EventData<"run_options_recorded">;
type OptionName = RunOptionsRecord["overridden"][number];

/** The options a run is driven with (the subset the record holds). */
export type RememberedChoice = {
  engine?: string | undefined;
  script?: string | undefined;
  model?: string | undefined;
  untilReady?: boolean | undefined;
  maxRounds?: number | undefined;
  gatesConfig?: string | undefined;
};

/** The last run options recorded in a goal's log, if any. */
function lastRunOptions(events: readonly GoalEvent[]): RunOptionsRecord | undefined {
  const last = events.findLast((e) => e.type === "run_options_recorded");
  return last?.type === "run_options_recorded" ? last.data : undefined;
}

const abs = (ctx: Context, file: string | undefined) => (file === undefined ? undefined : path.resolve(ctx.cwd, file));

/**
 * The flags merged over the goal's recorded options, and which recorded
 * options the flags changed. A script book and a model belong to their
 * engine: another engine given as a flag drops the recorded ones.
 */
export function mergeRunOptions<T extends RememberedChoice>(
  ctx: Context,
  flags: T,
  recorded: RunOptionsRecord | undefined,
): { options: T; overridden: OptionName[] } {
  if (recorded === undefined) return { options: flags, overridden: [] };
  const engine = flags.engine ?? recorded.engine;
  const sameEngine = engine === recorded.engine;
  const merged: T = {
    ...flags,
    engine,
    script: abs(ctx, flags.script) ?? (sameEngine ? recorded.script : undefined),
    model: flags.model ?? (sameEngine ? recorded.model : undefined),
    untilReady: flags.untilReady ?? recorded.untilReady,
    maxRounds: flags.maxRounds ?? recorded.maxRounds,
    gatesConfig: abs(ctx, flags.gatesConfig) ?? recorded.gatesConfig,
  };
  const overridden: OptionName[] = [];
  if (flags.engine !== undefined && flags.engine !== recorded.engine) overridden.push("engine");
  if (flags.model !== undefined && flags.model !== recorded.model) overridden.push("model");
  if (flags.script !== undefined && abs(ctx, flags.script) !== recorded.script) overridden.push("script");
  if (flags.untilReady !== undefined && flags.untilReady !== recorded.untilReady) overridden.push("untilReady");
  if (flags.maxRounds !== undefined && flags.maxRounds !== recorded.maxRounds) overridden.push("maxRounds");
  if (flags.gatesConfig !== undefined && abs(ctx, flags.gatesConfig) !== recorded.gatesConfig) overridden.push("gatesConfig");
  return { options: merged, overridden };
}

/** The flags merged over what the goal `goalId` ran with before. */
export async function rememberRunOptions<T extends RememberedChoice>(
  ctx: Context,
  goalId: string,
  flags: T,
): Promise<{ options: T; overridden: OptionName[] }> {
  return mergeRunOptions(ctx, flags, lastRunOptions(await ctx.store.readEvents(goalId)));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** What this run records: the engine actually used and the options it runs with; undefined when no engine runs (deterministic `goal plan`). */
export function runOptionsRecord(
  ctx: Context,
  options: RememberedChoice,
  engine: EngineProvider,
  overridden: readonly OptionName[],
): RunOptionsRecord | undefined {
  if (engine.name === "none") return undefined;
  const script = engine.name === "scripted" ? abs(ctx, options.script ?? nonEmpty(ctx.env["OMK_SCRIPT"])) : undefined;
  const model = engine.name === "scripted" ? undefined : options.model;
  return {
    engine: options.engine ?? (engine.name === "scripted" ? "scripted" : (nonEmpty(ctx.env["OMK_ENGINE"]) ?? engine.name)),
    ...(model === undefined ? {} : { model }),
    ...(script === undefined ? {} : { script }),
    untilReady: options.untilReady === true,
    ...(options.maxRounds === undefined ? {} : { maxRounds: options.maxRounds }),
    ...(options.gatesConfig === undefined ? {} : { gatesConfig: abs(ctx, options.gatesConfig) as string }),
    overridden: [...overridden],
  };
}
