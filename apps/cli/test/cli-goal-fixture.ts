// Shared setup of the CLI's goal-run tests: a tiny node project in a real git repo and script books for the scripted engine.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir, makeTextkitRepo, omkBinPath, textkitReadySessions } from "@omk/test-fixtures";
import { execa } from "execa";

export { TEXTKIT_GOAL as GOAL_TEXT } from "@omk/test-fixtures";

export const makeRepo = (): Promise<{ repo: string; base: string }> => makeTextkitRepo("omk-cli-repo-");

/** A script book whose goal ends ready in round 1; `taskSleepMs` makes the task's session wait first (for Ctrl-C tests). */
export function readyBook(taskSleepMs = 0): Record<string, unknown> {
  return { version: 1, sessions: textkitReadySessions(taskSleepMs) };
}

/** Write a script book as JSON into a fresh temp dir; returns its path. */
export function writeBook(book: unknown, name = "book.json"): string {
  const file = path.join(makeTempDir("omk-book-"), name);
  writeFileSync(file, typeof book === "string" ? book : JSON.stringify(book, null, 2));
  return file;
}

/** Start the built `omk` as a real process (for signals). */
export function startOmk(args: string[], options: { stateDir: string; cwd: string; env?: NodeJS.ProcessEnv }) {
  return execa(process.execPath, [omkBinPath, ...args], {
    reject: false,
    cwd: options.cwd,
    env: { OMK_STATE_DIR: options.stateDir, NO_COLOR: "1", CI: "true", ...options.env },
    stdin: "ignore",
  });
}
