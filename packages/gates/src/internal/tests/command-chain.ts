/**
 * A test gate's command as the chain of commands it runs: a shell line or a
 * package script split at `&&` (refused when it has shell syntax that is
 * not read), nested package scripts of the same package expanded (up to 3
 * levels), each command marked `last` when arguments appended to the gate's
 * command reach it, and how to append them. What planTestReport
 * (./plan.ts) looks for runners in.
 */
import path from "node:path";
import { shellWord } from "@omk/core";
import { runnerOf } from "./find-runner.js";
import { packageScript, readScripts, splitScript, toWords, type Words } from "./script-line.js";

/** A command of the (flattened) chain: `last` when arguments appended to the gate's command reach it. */
export type Step = Words & { readonly last: boolean };

/** The flattened chain, how arguments reach its last command, the line as shown in notes, the package's scripts (when one ran). */
type Chain = {
  readonly flat: Step[];
  readonly append: ((args: string[]) => string[]) | undefined;
  readonly shown: string;
  readonly scripts: Record<string, string> | undefined;
  readonly notes: string[];
};

/** The chain the gate's command runs, or why it cannot be read. */
export function readChain(input: {
  readonly command: readonly string[] | string;
  readonly shell: boolean;
  readonly cwd: string;
}): Chain | { readonly error: string } {
  // The line to analyse and how extra arguments reach its last command.
  let commands: Words[] | undefined;
  let append: ((args: string[]) => string[]) | undefined;
  let shown: string;
  let scripts: Record<string, string> | undefined;
  let outer: string | undefined;
  if (input.shell || typeof input.command === "string") {
    const line = typeof input.command === "string" ? input.command : input.command.join(" ");
    shown = line;
    commands = splitScript(line);
    if (commands === undefined) return { error: `the shell line \`${line}\` has pipes, redirections, variables or other shell syntax that is not read` };
    append = (args) => [[line, ...args.map(shellWord)].join(" ")];
  } else {
    const argv = [...input.command];
    shown = argv.join(" ");
    const script = packageScript(argv);
    if (script === undefined) {
      commands = [toWords(argv)];
      append = (args) => [...argv, ...args];
    } else {
      scripts = readScripts(input.cwd);
      if (scripts === undefined) return { error: `\`${shown}\` runs a package script but ${path.join(input.cwd, "package.json")} cannot be read` };
      const line = scripts[script.script];
      if (line === undefined) return { error: `package.json has no "${script.script}" script` };
      outer = script.script;
      shown = `${shown} (script "${script.script}": ${line})`;
      commands = splitScript(line);
      if (commands === undefined)
        return { error: `the "${script.script}" script \`${line}\` has pipes, redirections, variables or other shell syntax that is not read` };
      // npm hands what follows `--` to the script's last command; pnpm, yarn and bun hand it what follows the script name.
      append = (args) => (script.pm === "npm" && !argv.includes("--") ? [...argv, "--", ...args] : [...argv, ...args]);
    }
  }
  // Flatten the chain: a command that runs another script of the same package (`npm run unit`) is replaced by
  // that script's commands (up to 3 levels). Arguments after the outer `--` land on `npm run inner`, which takes
  // them as its own options: no command inside a nested script is `last`.
  const notes: string[] = [];
  const flatten = (words: Words[], depth: number, lastReachable: boolean): Step[] | { error: string } => {
    const steps: Step[] = [];
    for (const [i, c] of words.entries()) {
      const isLast = lastReachable && i === words.length - 1;
      const found = scripts === undefined ? undefined : runnerOf(c.words);
      if (found?.runner !== "script" || scripts === undefined || depth >= 3) {
        steps.push({ ...c, last: isLast });
        continue;
      }
      const inner = scripts[found.script];
      const innerCommands = inner === undefined ? undefined : splitScript(inner);
      if (innerCommands === undefined) {
        // The last command decides what the gate's command runs at its end: it must be read; an earlier one is
        // only looked into for runners.
        if (i === words.length - 1) return { error: `the "${found.script}" script (run by "${outer}") is missing or has shell syntax that is not read` };
        notes.push(`the "${found.script}" script is missing or has shell syntax that is not read: its runners are not looked for`);
        continue;
      }
      shown = `${shown} -> ("${found.script}": ${inner})`;
      const more = flatten(innerCommands, depth + 1, false);
      if ("error" in more) return more;
      steps.push(...more);
    }
    return steps;
  };
  const flat = flatten(commands, 0, append !== undefined);
  if ("error" in flat) return flat;
  return { flat, append, shown, scripts, notes };
}
