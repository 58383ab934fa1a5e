// Runs test/scripts/flow.ts as a child process (optionally SIGKILLed) and checks what it leaves behind.
import { existsSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { gitIn, refsContaining, spawnTsScript } from "@omk/test-fixtures";
import { expect } from "vitest";
import { taskWorktreeDir } from "../src/index.js";
import { type Fixture, GOAL } from "./helpers.js";

const flow = fileURLToPath(new URL("./scripts/flow.ts", import.meta.url));
export const STEPS = 5; // create, capture, keep, integrate, cleanup (each for both tasks)

type Run = { commits: string[]; signal: string | undefined; exitCode: number | undefined; stderr: string; finished: boolean };

export async function runFlow(fx: Fixture, args: string[], killAtMs?: number): Promise<Run> {
  const child = spawnTsScript(flow, [fx.repo, fx.stateDir, GOAL, fx.base, path.join(fx.stateDir, "journal.jsonl"), ...args], { env: { ...process.env } });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  if (killAtMs !== undefined) {
    while (!out.includes("start") && child.exitCode === null) await sleep(5);
    await sleep(killAtMs);
    child.kill("SIGKILL");
  }
  const result = await child;
  // A git process the kill orphaned finishes on its own; give it a moment.
  if (result.signal === "SIGKILL") await sleep(150);
  const lines = out.split("\n");
  return {
    commits: lines.filter((l) => l.startsWith("commit ")).map((l) => l.slice(7)),
    signal: result.signal,
    exitCode: result.exitCode,
    stderr: String(result.stderr),
    finished: lines.includes("finished"),
  };
}

export async function expectAllReachable(repo: string, commits: Iterable<string>): Promise<void> {
  for (const sha of commits) expect(await refsContaining(repo, sha), `commit ${sha} is on no ref`).not.toEqual([]);
}

/** The job is done: both tasks integrated, worktrees and task branches gone, both attempts kept. */
export async function expectFinished(fx: Fixture): Promise<void> {
  const integration = `omk/${GOAL}/integration`;
  expect(await gitIn(fx.repo, "show", `${integration}:src/app.ts`)).toBe("export const app = 't1';");
  expect(await gitIn(fx.repo, "show", `${integration}:docs/guide.md`)).toBe("line 1\nline 2 (t2)\nline 3");
  for (const id of ["t1", "t2"]) expect(existsSync(taskWorktreeDir(fx.stateDir, GOAL, id))).toBe(false);
  expect(await gitIn(fx.repo, "for-each-ref", "--format=%(refname)", `refs/heads/omk/${GOAL}/`)).toBe(`refs/heads/${integration}`);
  expect((await gitIn(fx.repo, "for-each-ref", "--format=%(refname)", "refs/omk/attempts/")).split("\n")).toEqual([
    `refs/omk/attempts/${GOAL}/t1/1`,
    `refs/omk/attempts/${GOAL}/t2/1`,
  ]);
  expect(await gitIn(fx.repo, "worktree", "list", "--porcelain")).not.toContain(fx.stateDir);
}
