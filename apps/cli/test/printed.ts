// How the built CLI names itself in the commands it prints, for tests that compare whole lines
// (src/invocation.ts decides; printed-commands.test.ts checks that the result runs when pasted).
import { omkBinPath } from "@omk/test-fixtures";
import { detectCli, printable } from "../src/invocation.js";

/** The CLI's name in printed commands when runOmk runs the built bin with `env` over this process's env. */
export function printedOmk(env: NodeJS.ProcessEnv = {}): string {
  return detectCli({ env: { ...process.env, ...env }, script: omkBinPath, execPath: process.execPath, execArgv: [], cwd: process.cwd() });
}

/** `text` as the built CLI prints it: every `omk <command>` in it named as {@link printedOmk} says. */
export function asPrinted(text: string, env: NodeJS.ProcessEnv = {}): string {
  return printable(text, { cli: printedOmk(env) });
}

/** {@link printedOmk} escaped for a RegExp. */
export function printedOmkPattern(env: NodeJS.ProcessEnv = {}): string {
  return printedOmk(env).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
