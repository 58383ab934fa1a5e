// Dependencies in every checkout a goal makes: a repo with a real devDependency (tape, from the npm registry, lockfile
// made at test time), the scripted engine, real gates. The goal ends ready (each checkout had node_modules, none was
// captured as the task's change); a lockfile out of sync with package.json ends blocked_on_external (setup_failed)
// with no fix round, even with --until-ready.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { captureChanges } from "@omk/worktree";
import { FailureSchema, ProofSchema, TaskSchema } from "@omk/state";
import { cleanupTempDirs, commitFiles, gitIn, initGitRepo, makeTempDir, npmLockfileFor, TAPE_VERSION } from "@omk/test-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import { runSetupConfig, setUpCheckout } from "@omk/proof";
import { prepareTaskWorktree } from "@omk/sessions";
import { bookProvider, collect, GOAL_TEXT, makeGoal, PROJECT, planSession, readyBook } from "./run-goal-fixture.js";

/** The fixture's plan, its implementer task also serving the `deps` gate's criterion. */
const PLAN = JSON.parse(JSON.stringify(planSession()).replace('\\"gate-test\\"', '\\"gate-test\\",\\"gate-deps\\"')) as unknown;
const BOOK = () => readyBook({ plan: PLAN });

afterAll(() => (process.env["OMK_KEEP_TMP"] === undefined ? cleanupTempDirs() : undefined), 600_000);

const PACKAGE_JSON = `${JSON.stringify({ name: "textkit", version: "1.0.0", type: "module", private: true, scripts: { test: "node --test" }, devDependencies: { tape: TAPE_VERSION } }, null, 2)}\n`;
const OUT_OF_SYNC = `${JSON.stringify({ name: "textkit", version: "1.0.0", type: "module", private: true, scripts: { test: "node --test" }, devDependencies: { tape: TAPE_VERSION, "is-number": "7.0.0" } }, null, 2)}\n`;
/** A gate that fails unless the checkout it runs in has the devDependency installed. */
const GATES = [
  `${PROJECT[".omk/gates.yaml"]}  - name: deps`,
  "    kind: custom",
  '    command: ["node", "-e", "require.resolve(\'tape\'); console.log(\'tape is installed\')"]',
  "",
].join("\n");

let lock: string;
let depsCache: string;
beforeAll(() => {
  lock = npmLockfileFor(PACKAGE_JSON);
  depsCache = makeTempDir("controller-deps-cache-");
}, 240_000);

/** textkit with a devDependency; node_modules deliberately not in .gitignore (setup products must ignore themselves). */
async function depsRepo(packageJson: string, gitignore = "junit.xml\n", gates = GATES) {
  const repo = makeTempDir();
  const base = await initGitRepo(repo, {
    ...PROJECT,
    "package.json": packageJson,
    "package-lock.json": lock,
    ".gitignore": gitignore,
    ".omk/gates.yaml": gates,
  });
  return { repo, base };
}

describe("runGoal on a project with dependencies", () => {
  it("ends ready: every checkout has the devDependency, none of it is captured as the task's change", async () => {
    const { repo } = await depsRepo(PACKAGE_JSON);
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const { events, onEvent } = collect();
    const result = await runGoal({ store, goalId, engine: bookProvider(BOOK()), scheduler: { pollMs: 50 }, depsCache, onEvent });
    if (result.ok && result.value.status !== "ready" && result.value.outcomeFile) console.log(readFileSync(result.value.outcomeFile, "utf8"));
    expect(result.ok && result.value, JSON.stringify(result)).toMatchObject({ status: "ready" });
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.gates.find((g) => g.name === "deps")?.outcome).toBe("passed");
    expect(proof.tasks[0]?.changedFiles.sort()).toEqual(["src/slugify.js", "test/slugify.test.js"]);
    // Evidence of each checkout's setup: one line per checkout, the shared install made once and reused after.
    const records = readFileSync(`${store.paths(goalId).dir}/setup.jsonl`, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { checkout: string; status: string; steps: Array<{ reused: boolean; materialised: string }> });
    expect(records.map((r) => r.checkout)).toEqual(expect.arrayContaining(["base", "task slugify#1", "r1-head", "review"]));
    expect(records.every((r) => r.status === "ready")).toBe(true);
    expect(records.find((r) => r.checkout === "task slugify#1")?.steps[0]).toMatchObject({ reused: true, materialised: "copy" });
    expect(records.find((r) => r.checkout === "r1-head")?.steps[0]).toMatchObject({ reused: true, materialised: "copy" });
    // The run's progress says it too.
    expect(events.some((e) => e.type === "note" && /^dependencies of r1-head: npm ci .*reused shared install, copy/.test(e.message))).toBe(true);
  }, 300_000);

  it("ends ready when the user's .gitignore ignores node_modules too (the task's commit must not fail on it)", async () => {
    const { repo } = await depsRepo(PACKAGE_JSON, "junit.xml\nnode_modules\n");
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const result = await runGoal({ store, goalId, engine: bookProvider(BOOK()), scheduler: { pollMs: 50 }, depsCache });
    if (result.ok && result.value.status !== "ready" && result.value.outcomeFile) console.log(readFileSync(result.value.outcomeFile, "utf8"));
    expect(result.ok && result.value, JSON.stringify(result)).toMatchObject({ status: "ready" });
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.tasks[0]?.changedFiles.sort()).toEqual(["src/slugify.js", "test/slugify.test.js"]);
    expect(readFileSync(path.join(repo, ".gitignore"), "utf8")).toBe("junit.xml\nnode_modules\n");
  }, 300_000);

  it("a setup slower than the task's lease: one attempt, no second one dispatched into the same checkout (the heartbeat spans setup)", async () => {
    // Found in CI under load: a task's install took 89 s, its 60 s lease expired (no heartbeat before the session),
    // the scheduler dispatched attempt 2 into the checkout attempt 1 was still setting up, and the goal failed.
    const repo = makeTempDir();
    await initGitRepo(repo, { ...PROJECT, ".omk/gates.yaml": `${PROJECT[".omk/gates.yaml"]}setup: "sleep 3"\n` });
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook()), scheduler: { pollMs: 50, leaseMs: 1_000 }, depsCache });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("ready");
    const events = await store.readEvents(goalId);
    const dispatched = events.filter((e) => e.type === "task_dispatched").map((e) => (e.data as { attempt: number }).attempt);
    expect(dispatched.length).toBeGreaterThan(0);
    expect(
      dispatched.every((n) => n === 1),
      `attempts dispatched: ${dispatched.join(", ")}`,
    ).toBe(true);
    expect(events.filter((e) => e.type === "task_failed")).toEqual([]);
  }, 300_000);

  it("a setup that works for the base but fails in the task's worktree: blocked_on_external (setup_failed), no retry, no gate failure", async () => {
    // An install that fails intermittently: the first run (the base checkout) succeeds, every later one fails.
    const counter = path.join(makeTempDir("controller-flaky-setup-"), "runs");
    const flaky = `n=$(cat '${counter}' 2>/dev/null || echo 0); echo $((n+1)) > '${counter}'; if [ "$n" -gt 0 ]; then echo "npm ERR! network ECONNRESET" >&2; exit 1; fi`;
    const gates = `${GATES}setup: ${JSON.stringify(flaky)}\n`;
    const { repo } = await depsRepo(PACKAGE_JSON, "junit.xml\n", gates);
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const result = await runGoal({ store, goalId, engine: bookProvider(BOOK()), scheduler: { pollMs: 50 }, depsCache, untilReady: true, maxRounds: 3 });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("blocked_on_external");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("setup_failed");
    expect(failure.cause.message).toMatch(/task slugify#1/);
    expect(((failure.cause.details?.["tail"] ?? []) as string[]).join("\n")).toMatch(/ECONNRESET/);
    expect(failure.resume.hint).toMatch(/environment problem/);
    // The base's setup ran once and the task's once: no retry of the task, no fix round, no agent session.
    expect(readFileSync(counter, "utf8").trim()).toBe("2");
    const events = await store.readEvents(goalId);
    expect(events.filter((e) => e.type === "task_failed")).toHaveLength(1);
    expect(events.filter((e) => e.type === "session_spend_recorded").map((e) => (e.data as { session: string }).session)).toEqual(["plan#1"]);
    expect((await store.readGoal(goalId)).round ?? 1).toBe(1);
    expect(existsSync(store.paths(goalId).proof)).toBe(false);
  }, 300_000);

  it("a lockfile out of sync with package.json: blocked_on_external (setup_failed) with the command and log tail, no fix round", async () => {
    const { repo } = await depsRepo(OUT_OF_SYNC);
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const result = await runGoal({ store, goalId, engine: bookProvider(BOOK()), scheduler: { pollMs: 50 }, depsCache, untilReady: true, maxRounds: 3 });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("blocked_on_external");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.code).toBe("setup_failed");
    expect(failure.cause.details).toMatchObject({ command: expect.stringMatching(/^npm ci/), exitCode: expect.any(Number) });
    expect(((failure.cause.details?.["tail"] ?? []) as string[]).join("\n")).toMatch(/in sync|lock file/i);
    expect(failure.cause.details?.["fix"]).toMatch(/package-lock.json/);
    expect(failure.resume.hint).toMatch(/environment problem/);
    expect(failure.resume.hint).not.toMatch(/omk doctor/);
    const events = await store.readEvents(goalId);
    // No agent ran and no round was planned for it: only the plan session spent anything.
    expect(events.filter((e) => e.type === "session_spend_recorded").map((e) => (e.data as { session: string }).session)).toEqual(["plan#1"]);
    expect((await store.readGoal(goalId)).round ?? 1).toBe(1);
    expect(existsSync(store.paths(goalId).proof)).toBe(false);
  }, 300_000);
});

describe("a task worktree's dependencies", () => {
  const task = TaskSchema.parse({
    id: "t1",
    title: "Change add",
    description: "Edit src/truncate.js.",
    role: "implementer",
    dependencies: [],
    reads: [],
    writes: ["src/"],
    acceptance: ["gate-test"],
    budget: { timeMs: 600_000, tokens: 100_000, usd: 1 },
  });

  it("a private copy before the agent starts: a hostile write into it reaches no other checkout, and it is never captured", async () => {
    const { repo, base } = await depsRepo(PACKAGE_JSON);
    const deps = { env: process.env, cacheDir: depsCache };
    const made = await prepareTaskWorktree({ repo, stateRoot: makeTempDir(), goalId: "g1", task, attempt: 1, base, deps });
    if (!made.ok) throw new Error(made.problem.message);
    const wt = made.worktree.path;
    const index = path.join(wt, "node_modules", "tape", "index.js");
    const original = readFileSync(index, "utf8");
    // The agent writes into node_modules and removes the .gitignore the product carries.
    writeFileSync(index, "module.exports = () => {}; // planted\n");
    writeFileSync(path.join(wt, "node_modules", ".gitignore"), "");
    writeFileSync(path.join(wt, "src", "truncate.js"), "export const truncate = (t) => t;\n");
    // A checkout OMK makes afterwards (the head) gets the shared install as it was made.
    const headDir = path.join(makeTempDir(), "tree");
    await gitIn(repo, "worktree", "add", "-q", "--detach", headDir, base);
    const head = await setUpCheckout(deps, headDir, "r1-head", "copy");
    expect(head.ok && head.value.steps[0]).toMatchObject({ reused: true, materialised: "copy" });
    expect(readFileSync(path.join(headDir, "node_modules", "tape", "index.js"), "utf8")).toBe(original);
    expect(original).not.toContain("planted");
    const captured = await captureChanges(made.worktree, { message: "t1" });
    if (!captured.ok) throw new Error(captured.error.message);
    expect(captured.value.files.map((f) => f.path)).toEqual(["src/truncate.js"]);
  }, 300_000);

  it("the setup is the run's (read from the user's tree): a `setup:` an agent commits into the checkout does not run, nor sees a secret", async () => {
    const repo = makeTempDir("controller-deps-setup-");
    const marker = path.join(makeTempDir(), "ran.txt");
    // The user's tree: setup from the config, a command that records its environment.
    const userSetup = `echo "user setup NPM_TOKEN=[$NPM_TOKEN]" >> ${marker}`;
    await initGitRepo(repo, {
      "package.json": '{"name":"x","version":"1.0.0"}\n',
      ".omk/gates.yaml": `setup: '${userSetup}'\ngates:\n  - name: t\n    kind: test\n    command: ["true"]\n`,
    });
    const atIntake = runSetupConfig(repo, undefined);
    // The agent's commit changes the setup in its tree; the head checkout has it.
    const head = await commitFiles(repo, {
      ".omk/gates.yaml": `setup: 'echo agent setup >> ${marker}'\ngates:\n  - name: t\n    kind: test\n    command: ["true"]\n`,
    });
    const headDir = path.join(makeTempDir(), "tree");
    await gitIn(repo, "worktree", "add", "-q", "--detach", headDir, head);
    const setup = await setUpCheckout(
      { env: { ...process.env, NPM_TOKEN: "npm_Zx8s3cr3tT0k3nV4lu3abcdefghijklmnop" }, cacheDir: depsCache, setup: atIntake },
      headDir,
      "r1-head",
      "copy",
    );
    expect(setup.ok).toBe(true);
    expect(readFileSync(marker, "utf8")).toBe("user setup NPM_TOKEN=[]\n");
  }, 300_000);

  it("a failed setup is setup_failed, which another attempt would not fix", async () => {
    const { repo, base } = await depsRepo(OUT_OF_SYNC);
    const made = await prepareTaskWorktree({
      repo,
      stateRoot: makeTempDir(),
      goalId: "g2",
      task,
      attempt: 1,
      base,
      deps: { env: process.env, cacheDir: depsCache },
    });
    expect(made.ok).toBe(false);
    if (made.ok) return;
    expect(made.problem).toMatchObject({ code: "setup_failed", message: expect.stringMatching(/^task t1#1: the dependency setup failed: `npm ci/) });
  }, 300_000);
});
