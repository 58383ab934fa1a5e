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

/**
 * The width the live list is drawn at: the terminal's, else $COLUMNS, else
 * 80. A pty may report 0 columns (`script -qc … /dev/null`); listr2 would
 * then wrap every line at one character.
 */
export function terminalColumns(reported: number | undefined, env: NodeJS.ProcessEnv): number {
  if (reported !== undefined && Number.isFinite(reported) && reported > 0) return reported;
  const fromEnv = Number(env["COLUMNS"]);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80;
}

export function createLiveView(ctx: Context, mode: LiveMode): LiveView {
  switch (mode) {
    case "json":
      return { mode, sink: createJsonSink(ctx.stdout), say: ctx.stderr, close: async () => {} };
    case "plain": {
      const sink = createPlainSink(ctx.stdout, ctx.now);
      return { mode, sink, say: ctx.stdout, close: async () => sink.flush() };
    }
    case "tty": {
      // listr2 reads process.stdout.columns as it draws: give it a usable width when the terminal reports none.
      const columns = terminalColumns(process.stdout.columns, ctx.env);
      if (process.stdout.columns !== columns) process.stdout.columns = columns;
      const view = createListrView();
      return { mode, sink: view.sink, say: ctx.stdout, close: view.close };
    }
  }
}
