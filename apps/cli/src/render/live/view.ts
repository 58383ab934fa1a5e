import type { ControllerEventSink } from "@omk/controller";
import type { Context } from "../../context.js";
import { createListrView } from "./listr-view.js";
import { createJsonSink, createPlainSink } from "./plain.js";

export type LiveMode = "tty" | "plain" | "json";

/** `--json` wins; then plain when asked, in CI, or when stdout is not a terminal; else the listr2 view. */
export function chooseLiveMode(opts: { json?: boolean | undefined; plain?: boolean | undefined }, env: NodeJS.ProcessEnv, stdoutIsTty: boolean): LiveMode {
  if (opts.json === true) return "json";
  if (opts.plain === true || (env["CI"] ?? "") !== "" || !stdoutIsTty) return "plain";
  return "tty";
}

export type LiveView = {
  mode: LiveMode;
  sink: ControllerEventSink;
  /** Human text (notes, the outcome): stdout, except with --json where stdout carries only events. */
  say: (text: string) => void;
  close: () => Promise<void>;
};

export function createLiveView(ctx: Context, mode: LiveMode): LiveView {
  switch (mode) {
    case "json":
      return { mode, sink: createJsonSink(ctx.stdout), say: ctx.stderr, close: async () => {} };
    case "plain":
      return { mode, sink: createPlainSink(ctx.stdout, ctx.now), say: ctx.stdout, close: async () => {} };
    case "tty": {
      const view = createListrView();
      return { mode, sink: view.sink, say: ctx.stdout, close: view.close };
    }
  }
}
