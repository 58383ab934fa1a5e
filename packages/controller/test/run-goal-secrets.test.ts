// A hostile task leaks a secret: its command copies the value of a secret the run knows into a source
// file and prints it. The goal ends not ready with a blocking secret finding, the value is in no file
// under the goal's state dir, and it never reaches the integration branch. Real git, the real scripted
// engine and its real terminal, real gates.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FailureSchema, type GoalStore } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { integrationBranch } from "@omk/worktree";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import {
  bookProvider,
  collect,
  GOAL_TEXT,
  makeGoal,
  makeRepo,
  message,
  planSession,
  readyBook,
  SLUGIFY_SRC,
  SLUGIFY_TEST,
  turn,
  usage,
  write,
} from "./run-goal-fixture.js";

afterAll(() => (process.env["OMK_KEEP_TMP"] === undefined ? cleanupTempDirs() : undefined));

/** Plain words and digits: no token shape matches it, only the known value does. */
const SECRET = "correct-horse-battery-staple-7731";

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const st = statSync(file, { throwIfNoEntry: false });
    if (st === undefined) continue;
    if (st.isDirectory()) out.push(...filesUnder(file));
    else if (st.isFile()) out.push(file);
  }
  return out;
}

/** Whether any object of the user's repository, or any ref's history with patches (binary too), holds `value`. */
async function repoHolds(repo: string, value: string): Promise<{ objects: boolean; log: boolean }> {
  const objects = await execa("git", ["cat-file", "--batch-all-objects", "--batch"], { cwd: repo, encoding: "buffer", maxBuffer: 512 * 1024 * 1024 });
  const log = await execa("git", ["log", "--all", "-p", "--binary", "--text"], { cwd: repo, maxBuffer: 512 * 1024 * 1024 });
  return { objects: Buffer.from(objects.stdout).includes(value), log: log.stdout.includes(value) };
}

/** A file outside the repository holding the secret: the agent can read it whatever its environment. */
function secretFile(): string {
  const file = path.join(makeTempDir(), "deploy-token.txt");
  writeFileSync(file, `${SECRET}\n`);
  return file;
}

/** The ready sessions, the task's turn running `step` after writing slugify and its test, then saying `said`. */
function bookWith(step: unknown, said = "Added slugify."): Record<string, unknown> {
  return readyBook({
    "task:slugify": turn(usage(1000, 400), write("src/slugify.js", SLUGIFY_SRC), write("test/slugify.test.js", SLUGIFY_TEST), step, message(said)),
  });
}

/** runGoal on the scripted engine playing `sessions`, with the secret in OMK's environment as $DEPLOY_TOKEN. */
function runWithSecret(store: GoalStore, goalId: string, sessions: Record<string, unknown>) {
  const { onEvent } = collect();
  return runGoal({ store, goalId, engine: bookProvider(sessions), env: { ...process.env, DEPLOY_TOKEN: SECRET }, onEvent, scheduler: { pollMs: 50 } });
}

/** The files among `files` whose bytes hold `form`. */
const holding = (files: string[], form: string) => files.filter((f) => readFileSync(f).includes(form));

describe("runGoal: a task that hides a known secret where a diff does not show it", () => {
  const B64 = Buffer.from(SECRET).toString("base64");
  const cases: Array<{ name: string; file: string; script: (read: string) => string; forms: string[] }> = [
    {
      name: "a file .gitattributes marks -diff",
      file: "config.dat",
      script: (read) => `printf 'config.dat -diff\\n' > .gitattributes; printf 'token=%s\\n' ${read} > config.dat`,
      forms: [SECRET],
    },
    {
      name: "the end of a file past the 8 MiB diff cap",
      file: "src/big.txt",
      script: (read) => `head -c 9437184 /dev/zero | tr '\\000' 'x' > src/big.txt; printf '\\n%s\\n' ${read} >> src/big.txt`,
      forms: [SECRET],
    },
    {
      name: "its base64 inside a binary file",
      file: "src/blob.bin",
      script: (read) => `{ head -c 4096 /dev/urandom; printf %s ${read} | base64 -w0; head -c 4096 /dev/urandom; } > src/blob.bin`,
      forms: [SECRET, B64],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: caught before capture, nothing of it in the repository, not ready naming ${c.file}`, async () => {
      const { repo, base } = await makeRepo();
      const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
      const hide = { command: { command: "/bin/sh", args: ["-c", c.script(`"$(cat '${secretFile()}')"`)], announce: false } };
      const result = await runWithSecret(store, goalId, bookWith(hide));
      expect(result.ok && result.value.status, JSON.stringify(result)).toBe("not_ready");

      const violations = (await store.readEvents(goalId)).flatMap((e) => (e.type === "scope_violation_recorded" ? [e.data] : []));
      expect(violations.map((v) => [v.taskId, v.path, v.kind])).toEqual([["slugify", c.file, "known_secret"]]);
      expect(violations[0]?.message).toContain("$DEPLOY_TOKEN");
      const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
      expect(JSON.stringify(failure.cause)).toContain(c.file);
      // Nothing of the work reached the user's repository: no object, no history; the task branch (if any) is at the base.
      for (const form of c.forms) expect(await repoHolds(repo, form), form).toEqual({ objects: false, log: false });
      const branches = (await execa("git", ["for-each-ref", "--format=%(objectname)", "refs/heads/omk/"], { cwd: repo })).stdout
        .split("\n")
        .filter((l) => l !== "");
      for (const head of branches)
        expect(head === base || (await execa("git", ["merge-base", "--is-ancestor", head, base], { cwd: repo, reject: false })).exitCode === 0).toBe(true);
      // The checkout that held it is gone (its own object store was the only copy); nothing OMK wrote holds the value.
      expect(readdirSync(path.join(store.root, "checkouts", goalId)).filter((d) => d === "slugify")).toEqual([]);
      const written = filesUnder(store.root).filter((f) => !/(^|[/\\])(worktrees|checkouts)[/\\]|scenario\.json$/.test(path.relative(store.root, f)));
      for (const form of c.forms) expect(holding(written, form), form).toEqual([]);
    }, 180_000);
  }
});

describe("runGoal: a plan that holds a known secret", () => {
  it("is never recorded: the goal ends not ready naming the variable, no task runs, no file OMK wrote holds the value", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    // The planner puts the token into a task's description (which task prompts, the log and commit messages would quote); base64 in the summary.
    const plan = JSON.parse(
      JSON.stringify(planSession())
        .replace("Create src/slugify.js", `Use the deploy token ${SECRET} and create src/slugify.js`)
        .replace("Add slugify to textkit", `Add slugify (${Buffer.from(SECRET).toString("base64")})`),
    );
    const result = await runWithSecret(store, goalId, readyBook({ plan }));
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("not_ready");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.message).toMatch(
      /^the engine's plan holds the secret \$DEPLOY_TOKEN \((plain|base64), (plain|base64)\) .* the plan was not recorded and no task ran/,
    );
    const events = await store.readEvents(goalId);
    expect(events.filter((e) => e.type === "plan_recorded" || e.type === "task_graph_set")).toEqual([]);
    expect(existsSync(path.join(store.paths(goalId).dir, "runs"))).toBe(false);
    const written = filesUnder(store.root).filter((f) => !/scenario\.json$/.test(f));
    for (const form of [SECRET, Buffer.from(SECRET).toString("base64")]) expect(holding(written, form), form).toEqual([]);
    expect(await repoHolds(repo, SECRET)).toEqual({ objects: false, log: false });
  }, 120_000);
});

describe("runGoal: a task that leaks a known secret", () => {
  it("ends not ready with a blocking known-value secret finding; the value is in no state file and not on the integration branch", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const file = secretFile();
    const leak = {
      command: {
        command: "/bin/sh",
        args: ["-c", `printf 'export const DEPLOY = "%s";\\n' "$(cat '${file}')" >> src/slugify.js; echo "token is $(cat '${file}')"`],
        announce: true,
      },
    };
    const result = await runWithSecret(store, goalId, bookWith(leak));
    expect(result.ok, JSON.stringify(result)).toBe(true);
    expect(result.ok && result.value.status).toBe("not_ready");

    const goalDir = store.paths(goalId).dir;
    // The blocking finding: the task's change holds the secret (a known value, not a token shape), recorded and named in failure.json.
    const events = await store.readEvents(goalId);
    expect(
      events
        .filter((e) => e.type === "scope_violation_recorded")
        .map((e) => e.type === "scope_violation_recorded" && [e.data.taskId, e.data.path, e.data.kind]),
    ).toEqual([
      ["slugify", "(output)", "secret_in_output"],
      ["slugify", "src/slugify.js", "known_secret"],
    ]);
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.details?.["failing"]).toContainEqual({
      kind: "task",
      key: "scope:slugify",
      detail: expect.stringMatching(
        /^task slugify failed: task slugify wrote a secret value the run knows .* into src\/slugify\.js; the attempt is never integrated/,
      ),
    });
    // The work was refused before capture: no diff.patch of it, and the task branch in the repository never moved off the base.
    expect(existsSync(path.join(goalDir, "runs", "slugify", "1", "diff.patch"))).toBe(false);
    expect(await repoHolds(repo, SECRET)).toEqual({ objects: false, log: false });
    // Every file OMK writes; the task checkouts (the agent's own files, outside the state dir once checkouts move) are not OMK's.
    const written = filesUnder(store.root).filter((f) => !/(^|[/\\])(worktrees|checkouts)[/\\]/.test(path.relative(store.root, f)));
    expect(written.length).toBeGreaterThan(10);
    const leaked = holding(written, SECRET);
    expect(leaked, "files under the state dir holding the secret").toEqual([]);

    const branch = integrationBranch(goalId);
    const tree = await execa("git", ["grep", "-I", "-l", SECRET, branch, "--"], { cwd: repo, reject: false });
    expect(tree.stdout, "the secret on the integration branch").toBe("");
  }, 120_000);

  it("a task that only prints a known secret (plain, base64, one character at a time, in its own message) ends not ready with a blocking secret finding naming the variable", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const read = `"$(cat '${secretFile()}')"`;
    const print = { command: { command: "/bin/sh", args: ["-c", `printf %s ${read} | base64; echo; printf %s ${read} | sed 's/./& /g'`], announce: true } };
    const result = await runWithSecret(store, goalId, bookWith(print, `Added slugify. The deploy token is ${SECRET}.`));
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("not_ready");

    const events = await store.readEvents(goalId);
    const violations = events.flatMap((e) => (e.type === "scope_violation_recorded" ? [e.data] : []));
    expect(violations.map((v) => [v.taskId, v.path, v.kind])).toEqual([["slugify", "(output)", "secret_in_output"]]);
    expect(violations[0]?.message).toMatch(
      /^task slugify put the secret \$DEPLOY_TOKEN \((plain|base64|spaced)(, (plain|base64|spaced)){2}\) into its session output/,
    );
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(JSON.stringify(failure.cause)).toContain("$DEPLOY_TOKEN");
    // The transcript has the plain value redacted; nothing OMK wrote holds it (scenario.json: the scripted engine's copy of this test's book, which quotes it).
    const written = filesUnder(store.root).filter((f) => !/(^|[/\\])(worktrees|checkouts)[/\\]|scenario\.json$/.test(path.relative(store.root, f)));
    expect(holding(written, SECRET)).toEqual([]);
    const transcript = readFileSync(path.join(store.paths(goalId).dir, "runs", "slugify", "1", "transcript.jsonl"), "utf8");
    expect(transcript).toContain("[REDACTED");
    // The encoded forms the command printed are redacted in the transcript too.
    expect(transcript).toContain("[REDACTED:env:DEPLOY_TOKEN:base64]");
    expect(transcript).toContain("[REDACTED:env:DEPLOY_TOKEN:spaced]");
    for (const form of [Buffer.from(SECRET).toString("base64").slice(0, 24), SECRET.split("").join(" ").slice(0, 24)]) {
      expect(holding(written, form), form).toEqual([]);
    }
  }, 120_000);

  it("a goal whose agent never sees the secret stays ready with the secret in OMK's environment", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const result = await runWithSecret(
      store,
      goalId,
      bookWith({ command: { command: "/bin/sh", args: ["-c", 'env; echo "token: $DEPLOY_TOKEN"'], announce: true } }),
    );
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("ready");
    expect((await store.readEvents(goalId)).filter((e) => e.type === "scope_violation_recorded")).toEqual([]);
  }, 120_000);
});
