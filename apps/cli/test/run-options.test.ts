// Resume remembers (run-options.ts): flags merged over the goal's recorded run options, and what they changed.
import { openStore } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { mergeRunOptions, type RunOptionsRecord } from "../src/commands/run-options.js";
import type { Context } from "../src/context.js";

afterAll(cleanupTempDirs);

const ctx: Context = { store: openStore({ root: makeTempDir() }), stdout: () => {}, stderr: () => {}, now: () => new Date(), cwd: "/work", env: {} };
const recorded = (untilReady: boolean): RunOptionsRecord => ({ engine: "qwen", untilReady, overridden: [] });

describe("mergeRunOptions: --until-ready and --no-until-ready", () => {
  it("no flag keeps what the goal ran with", () => {
    expect(mergeRunOptions(ctx, {}, recorded(true))).toEqual({ options: expect.objectContaining({ untilReady: true }), overridden: [] });
    expect(mergeRunOptions(ctx, {}, recorded(false))).toEqual({ options: expect.objectContaining({ untilReady: false }), overridden: [] });
  });

  it("--no-until-ready turns a remembered --until-ready off, and is recorded as an override", () => {
    expect(mergeRunOptions(ctx, { untilReady: false }, recorded(true))).toEqual({
      options: expect.objectContaining({ untilReady: false }),
      overridden: ["untilReady"],
    });
  });

  it("--until-ready turns it on; repeating what was recorded is no override", () => {
    expect(mergeRunOptions(ctx, { untilReady: true }, recorded(false)).overridden).toEqual(["untilReady"]);
    expect(mergeRunOptions(ctx, { untilReady: true }, recorded(true)).overridden).toEqual([]);
    expect(mergeRunOptions(ctx, { untilReady: false }, recorded(false)).overridden).toEqual([]);
  });
});
