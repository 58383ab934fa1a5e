// runSession with the run's confinement (the real scripted engine, real bubblewrap): the sandbox the
// controller builds for a task session keeps the agent's commands out of OMK's state root and the
// repository's .git, lets them write the checkout; and agent commands get the gates' environment
// rule (no secret-looking names), confined or not.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { findCommand, type ScenarioInput } from "@omk/wire";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { scriptBookProvider } from "../src/script-book.js";
import { runSession } from "../src/session.js";
import type { EngineProvider, SessionPurpose } from "../src/types.js";
import { writeBook } from "./session-helpers.js";

afterAll(cleanupTempDirs);

const TASK: SessionPurpose = { kind: "task", taskId: "implement", attempt: 1, round: 1 };
const BWRAP = findCommand("bwrap");
type StepInput = NonNullable<NonNullable<ScenarioInput["turns"]>[number]["steps"]>[number];
const sh = (script: string): StepInput => ({ command: { command: "/bin/sh", args: ["-c", script] } });

function provider(steps: StepInput[], key = "task:implement"): EngineProvider {
  const made = scriptBookProvider(writeBook({ version: 1, sessions: { [key]: { turns: [{ steps }] } } }));
  if (!made.ok) throw new Error(made.error.message);
  return made.value;
}

async function world() {
  const base = makeTempDir("omk-session-confine-");
  const repo = path.join(base, "repo");
  mkdirSync(repo);
  await execa("git", ["init", "-q", repo]);
  const stateRoot = path.join(base, "state");
  const cwd = path.join(stateRoot, "checkouts", "g", "implement");
  mkdirSync(cwd, { recursive: true });
  const runDir = path.join(stateRoot, "goals", "g", "runs", "implement", "1");
  writeFileSync(path.join(stateRoot, "events.jsonl"), "{}\n");
  return { base, repo, stateRoot, cwd, runDir };
}

describe.concurrent("runSession: confinement and the environment of agent commands", () => {
  it("agent commands never see secret-looking variables (unconfined too)", async () => {
    const w = await world();
    const outcome = await runSession({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
      provider: provider([sh('echo "${MY_API_TOKEN-unset}|${DB_PASSWORD-unset}|${PLAIN_SETTING-unset}" > env.txt')]),
      purpose: TASK,
      cwd: w.cwd,
      runDir: w.runDir,
      prompt: "go",
      env: { ...process.env, MY_API_TOKEN: "tok-123456789", DB_PASSWORD: "hunter2hunter2", PLAIN_SETTING: "kept" },
    });
    expect(outcome.ok).toBe(true);
    expect(readFileSync(path.join(w.cwd, "env.txt"), "utf8")).toBe("unset|unset|kept\n");
  });

  it.skipIf(BWRAP === undefined)("confined (bwrap): the state root and the repository's .git are out of reach, the checkout is writable", async () => {
    const w = await world();
    const base = provider([
      sh(`echo forged >> ${path.join(w.stateRoot, "events.jsonl")}`),
      sh(`echo pwned > ${path.join(w.repo, ".git", "hooks", "post-checkout")}`),
      sh("echo forged > ../sibling.txt"),
      sh("echo ok > inside.txt"),
    ]);
    const confined: EngineProvider = { ...base, confinement: { run: { mode: "bwrap", bwrap: BWRAP as string }, stateRoot: w.stateRoot, repo: w.repo } };
    const outcome = await runSession({ provider: confined, purpose: TASK, cwd: w.cwd, runDir: w.runDir, prompt: "go", env: process.env });
    expect(outcome.ok).toBe(true);
    expect(readFileSync(path.join(w.stateRoot, "events.jsonl"), "utf8")).toBe("{}\n");
    expect(existsSync(path.join(w.repo, ".git", "hooks", "post-checkout"))).toBe(false);
    expect(existsSync(path.join(w.stateRoot, "checkouts", "g", "sibling.txt"))).toBe(false);
    expect(readFileSync(path.join(w.cwd, "inside.txt"), "utf8")).toBe("ok\n");
  });

  it.skipIf(BWRAP === undefined)("confined, a read-only session (review): its root cannot be written", async () => {
    const w = await world();
    const base = provider([sh("echo x > review-wrote.txt")], "review:reviewer");
    const confined: EngineProvider = { ...base, confinement: { run: { mode: "bwrap", bwrap: BWRAP as string }, stateRoot: w.stateRoot, repo: w.repo } };
    const outcome = await runSession({ provider: confined, purpose: { kind: "review", reviewer: "reviewer", round: 1 }, cwd: w.cwd, runDir: w.runDir, prompt: "go", env: process.env });
    expect(outcome.ok).toBe(true);
    expect(existsSync(path.join(w.cwd, "review-wrote.txt"))).toBe(false);
  });
});
