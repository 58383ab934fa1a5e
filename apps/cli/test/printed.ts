// How the built CLI names itself in the commands it prints, for tests that compare whole lines
// (src/invocation.ts decides; printed-commands.test.ts checks that the result runs when pasted).
// runOmk always sets OMK_STATE_DIR, so a printed command starts `OMK_STATE_DIR=<dir> `: the helpers
// take runOmk's own options ({ stateDir, env }) and build the same environment.
import { omkBinPath } from "@omk/test-fixtures";
import { detectCli, printable, statePrefix } from "../src/invocation.js";

/** What runOmk was given: its state dir and any env over this process's. */
export type PrintedRun = { stateDir: string; env?: NodeJS.ProcessEnv | undefined };

/** The environment runOmk runs the built bin with. */
function runEnv(run: PrintedRun): NodeJS.ProcessEnv {
  return { ...process.env, OMK_STATE_DIR: run.stateDir, ...run.env };
}

/** The words before a printed command's own (`OMK_STATE_DIR=<dir> node /abs/bin.js`, or `… omk`) when runOmk runs the built bin so. */
export function printedOmk(run: PrintedRun): string {
  const env = runEnv(run);
  return `${statePrefix(env)}${detectCli({ env, script: omkBinPath, execPath: process.execPath, execArgv: [], cwd: process.cwd() })}`;
}

/** `text` as the built CLI prints it: every `omk <command>` in it named as {@link printedOmk} says. */
export function asPrinted(text: string, run: PrintedRun): string {
  const env = runEnv(run);
  return printable(text, {
    cli: detectCli({ env, script: omkBinPath, execPath: process.execPath, execArgv: [], cwd: process.cwd() }),
    prefix: statePrefix(env),
  });
}

/** {@link printedOmk} escaped for a RegExp. */
export function printedOmkPattern(run: PrintedRun): string {
  return printedOmk(run).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
