// A controller SIGKILLed at several points resumes to the same terminal status, with no commit lost.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ProofSchema } from "@omk/state";
import { cleanupTempDirs, makeTempDir, spawnTsScript } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { resumeGoal } from "../src/index.js";
import { scriptBookProvider } from "@omk/sessions";
import { GOAL_TEXT, makeGoal, makeRepo, message, readyBook, SLUGIFY_SRC, SLUGIFY_TEST, turn, usage, write } from "./run-goal-fixture.js";
import { bundledAgent } from "@omk/test-fixtures";

afterAll(cleanupTempDirs);

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "run-goal-child.ts");

async function killWhen(child: ReturnType<typeof spawnTsScript>, events: string, needle: string): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (existsSync(events) && readFileSync(events, "utf8").includes(needle)) {
      child.kill("SIGKILL");
      await child;
      return true;
    }
    if (child.exitCode !== null) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  return false;
}

describe("runGoal after SIGKILL", () => {
  it("resumes from the log at each kill point and reaches ready without losing a commit", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const slow = turn(
      usage(800, 300),
      { sleep: 1200 },
      write("src/slugify.js", SLUGIFY_SRC),
      write("test/slugify.test.js", SLUGIFY_TEST),
      message("Added slugify."),
    );
    const book = path.join(makeTempDir(), "book.json");
    writeFileSync(book, JSON.stringify({ version: 1, sessions: readyBook({ "task:slugify": slow }) }));
    const eventsFile = store.paths(goalId).events;
    const env = { ...process.env };
    // 1: killed while the task's session runs.
    const first = spawnTsScript(CHILD, [store.root, goalId, book, ...bundledAgent().args], { env });
    expect(await killWhen(first, eventsFile, '"type":"task_dispatched"')).toBe(true);
    // 2: killed during verification (after the integration was recorded).
    const second = spawnTsScript(CHILD, [store.root, goalId, book, ...bundledAgent().args], { env });
    expect(await killWhen(second, eventsFile, '"type":"integration_recorded"')).toBe(true);
    // 3: resumed in process to the end.
    const engine = scriptBookProvider(book, { agent: bundledAgent() });
    if (!engine.ok) throw new Error(engine.error.message);
    const result = await resumeGoal({ store, goalId, engine: engine.value, untilReady: true, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("ready");
    const events = await store.readEvents(goalId);
    expect(events.filter((e) => e.type === "lock_taken_over").length).toBeGreaterThanOrEqual(2);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    // No commit lost: every captured commit is in the integrated head or kept under refs/omk/attempts.
    for (const e of events) {
      if (e.type !== "attempt_captured") continue;
      const ref = e.data.keptRef;
      const inHead = await execa("git", ["merge-base", "--is-ancestor", e.data.commit, proof.headCommit], { cwd: repo, reject: false });
      const kept = ref === undefined ? 1 : (await execa("git", ["rev-parse", "--verify", "--quiet", ref], { cwd: repo, reject: false })).exitCode;
      expect(inHead.exitCode === 0 || kept === 0, `commit ${e.data.commit} of ${e.data.taskId}#${e.data.attempt}`).toBe(true);
    }
    expect(proof.tasks.map((t) => t.id)).toEqual(["slugify"]);
  }, 120_000);
});
