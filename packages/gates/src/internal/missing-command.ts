/**
 * A gate whose command is not there: the program itself (spawn ENOENT), or a
 * command its shell script runs (exit 127 with the shell's "not found"
 * line, e.g. `sh: 1: tape: not found` under `npm test` when the
 * dependencies are not installed). Such a gate is an `error` (it could not
 * run: it says nothing about the code, so on a base it is no baseline, not
 * a failure), and this is the reason the reports show.
 */
const SHELL_NOT_FOUND = /(?:^|:\s)([^\s:'"]+):\s(?:command\s)?not found\s*$/;

export function missingCommand(
  run: { spawnError?: string | undefined; exitCode: number | null },
  argv: readonly string[],
  stderrTail: readonly string[],
): string | undefined {
  let name: string | undefined;
  if (run.spawnError !== undefined && /\bENOENT\b/.test(run.spawnError)) name = argv[0];
  else if (run.exitCode === 127) {
    for (const line of [...stderrTail].reverse()) {
      const m = SHELL_NOT_FOUND.exec(line.trim());
      if (m !== null) {
        name = m[1];
        break;
      }
    }
  }
  if (name === undefined) return undefined;
  return `command not found: ${name} — install the project's dependencies (npm ci, pnpm install, ...), put ${name} on PATH, or fix the gate's command in .omk/gates.yaml`;
}
