// The world of the real-agent suite: a user's machine as a new user has it. A temp "user home"
// holding the agent's own config, the agents installed as commands on PATH (wrapper scripts named
// kimi, qwen, claude-agent-acp that exec the Node and entry from $OMK_AGENTS_DIR/agents.json), a
// small Node repo with a real bug and no .omk/ config, and a scripted model server on 127.0.0.1.
// `omk` is the built binary (a snapshot of apps/cli/dist, as the e2e tests run it).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Failure, FailureSchema, type Proof, ProofSchema } from "@omk/state";
import {
  gitIn,
  initGitRepo,
  type LedgerEntry,
  makeTempDir,
  type ModelRule,
  type ModelServer,
  type OmkRun,
  planRule,
  say,
  startModelServer,
  taskRule,
} from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, beforeAll, expect } from "vitest";
import { cleanupE2e, omkBin } from "../e2e/helpers.js";

export type InstalledAgent = { node: string; entry: string; version: string };
export type InstalledAgents = { kimi: InstalledAgent; qwen: InstalledAgent; claude: InstalledAgent; node24: { node: string; version: string } };

/** $OMK_AGENTS_DIR/agents.json (tooling/install-agents.mjs). Missing: the suite fails, it never skips. */
export function installedAgents(): InstalledAgents {
  const dir = process.env["OMK_AGENTS_DIR"];
  const file = dir === undefined ? undefined : path.join(dir, "agents.json");
  if (file === undefined || !existsSync(file))
    throw new Error('OMK_AGENTS_DIR with agents.json is required: run `node tooling/install-agents.mjs "$OMK_AGENTS_DIR"` first');
  const agents = JSON.parse(readFileSync(file, "utf8")) as Partial<InstalledAgents>;
  for (const name of ["kimi", "qwen", "claude"] as const) {
    const a = agents[name];
    if (a === undefined || !existsSync(a.node) || !existsSync(a.entry))
      throw new Error(`${file} lists no installed ${name} (node and entry must exist): re-run tooling/install-agents.mjs`);
  }
  return agents as InstalledAgents;
}

/** The agent commands as a user has them installed, by the names OMK's presets look up on PATH. */
export type AgentCommand = "kimi" | "qwen" | "claude-agent-acp";

/** A shell script that execs the agent's Node with its entry (how `npm i -g` installs it). */
export function writeWrapper(file: string, agent: InstalledAgent): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\nexec "${agent.node}" "${agent.entry}" "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

// ------------------------------------------------------------------ the repo

export const GOAL = "Fix the off-by-one in range() so the test passes";

const RANGE_BUGGY = `/** The integers from \`start\` up to and including \`end\`. */
export function range(start, end) {
  const out = [];
  for (let i = start; i < end; i++) out.push(i);
  return out;
}
`;

const RANGE_TEST = `import assert from "node:assert/strict";
import { test } from "node:test";
import { range } from "../src/range.js";

test("range includes both ends", () => {
  assert.deepEqual(range(1, 3), [1, 2, 3]);
});
`;

const REGRESSION_TEST = `${RANGE_TEST}
test("[oracle:regression-test] range(0, 2) ends at 2, not one before", () => {
  assert.deepEqual(range(0, 2), [0, 1, 2]);
});
`;

export const PACKAGE_JSON = `${JSON.stringify({ name: "rangekit", version: "1.0.0", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`;

/** A small Node repo with a real bug: range() stops one short and its node:test test fails. No .omk/. */
async function rangeRepo(dir: string): Promise<string> {
  mkdirSync(path.join(dir, "src"), { recursive: true });
  mkdirSync(path.join(dir, "test"), { recursive: true });
  return initGitRepo(dir, {
    "README.md": "# rangekit\n\n`range(start, end)`: the integers from start to end, both included.\n",
    "package.json": PACKAGE_JSON,
    ".gitignore": "node_modules/\njunit.xml\n",
    "src/range.js": RANGE_BUGGY,
    "test/range.test.js": RANGE_TEST,
  });
}

// ------------------------------------------------------------------ the model's script

/** The write set the plan gives the fix. */
export const FIX_WRITES = ["src/range.js", "test/range.test.js"];

export const PLANNED_FIX = {
  id: "fix-range",
  title: "Fix the off-by-one in range()",
  description:
    "range(start, end) must include end. Fix the loop bound in src/range.js and add a regression test tagged [oracle:regression-test] in test/range.test.js.",
  reads: ["src/", "test/", "package.json"],
  writes: FIX_WRITES,
};

/** The fix as a model makes it: look, explain, edit, add the regression test, run the tests, sum up. Extra steps go before the summary. */
export function fixTask(extra: ReturnType<typeof say>[] = []): ModelRule {
  return taskRule([
    say("Let me look at the code first.", { read: "src/range.js" }, { read: "test/range.test.js" }),
    say("The loop stops one short of `end`: `i < end` should be `i <= end`. Let me fix it.", { edit: "src/range.js", old: "i < end", new: "i <= end" }),
    say("Now a regression test for the end of the range.", { edit: "test/range.test.js", old: RANGE_TEST, new: REGRESSION_TEST }),
    say("Let me run the tests.", { shell: "node --test", description: "Run the tests" }),
    ...extra,
    { text: "Fixed the off-by-one in range(): the loop now includes `end`, and a regression test tagged [oracle:regression-test] covers it. The tests pass." },
  ]);
}

// ------------------------------------------------------------------ the user's machine

export type UserWorld = {
  readonly base: string;
  /** The user's home (the agent's own config lives here). */
  readonly home: string;
  /** A folder on PATH holding the agent commands. */
  readonly bin: string;
  readonly repo: string;
  readonly baseCommit: string;
  readonly stateDir: string;
  /** omk's environment: PATH with the agents, HOME = the user home, no model variables unless given. */
  readonly env: Record<string, string>;
  /**
   * Runs the built `omk` to completion. Past `timeoutMs` (default 200 s) it gets Ctrl-C (SIGINT), as a
   * user would give it, and 15 s later SIGKILL to its process group: a test fails, it never hangs.
   */
  omk(
    args: readonly string[],
    options?: { env?: Record<string, string>; cwd?: string; timeoutMs?: number },
  ): Promise<OmkRun & { ms: number; timedOut: boolean }>;
};

/** The PATH of the machine without any agent on it, plus `bin` first. */
function pathWith(bin: string | undefined): string {
  const system = (process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
    .split(path.delimiter)
    .filter((d) => !["kimi", "qwen", "claude-agent-acp"].some((c) => existsSync(path.join(d, c))));
  return [...(bin === undefined ? [] : [bin]), ...system].join(path.delimiter);
}

/**
 * A user's machine: their home, the agents on PATH, the repo. `env` adds to omk's environment (the
 * user's shell variables); nothing else of the test runner's environment reaches omk but PATH.
 */
export async function userWorld(options: { agents?: readonly AgentCommand[]; env?: Record<string, string> } = {}): Promise<UserWorld> {
  const installed = installedAgents();
  const base = makeTempDir("omk-real-");
  const home = path.join(base, "home");
  const bin = path.join(base, "bin");
  const repo = path.join(base, "rangekit");
  const stateDir = path.join(base, "state");
  for (const dir of [home, bin, repo, stateDir]) mkdirSync(dir, { recursive: true });
  const byCommand: Record<AgentCommand, InstalledAgent> = { kimi: installed.kimi, qwen: installed.qwen, "claude-agent-acp": installed.claude };
  for (const command of options.agents ?? ["kimi", "qwen", "claude-agent-acp"]) writeWrapper(path.join(bin, command), byCommand[command]);
  const baseCommit = await rangeRepo(repo);
  const env: Record<string, string> = {
    PATH: pathWith(bin),
    HOME: home,
    LANG: "C.UTF-8",
    NO_COLOR: "1",
    CI: "true",
    OMK_STATE_DIR: stateDir,
    ...gitIdentity(),
    ...options.env,
  };
  const bin_ = await omkBin();
  return {
    base,
    home,
    bin,
    repo,
    baseCommit,
    stateDir,
    env,
    omk: async (args, o = {}) => {
      const started = Date.now();
      const child = execa(process.execPath, [bin_, ...args], {
        reject: false,
        cwd: o.cwd ?? repo,
        env: { ...env, ...o.env },
        extendEnv: false,
        stdin: "ignore",
        detached: true,
      });
      let timedOut = false;
      const signal = (name: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, name);
        } catch {
          // gone already
        }
      };
      const interrupt = setTimeout(() => {
        timedOut = true;
        signal("SIGINT");
      }, o.timeoutMs ?? 200_000);
      const kill = setTimeout(() => signal("SIGKILL"), (o.timeoutMs ?? 200_000) + 15_000);
      const result = await child;
      clearTimeout(interrupt);
      clearTimeout(kill);
      const stdout = String(result.stdout);
      return { exitCode: result.exitCode ?? -1, stdout, stderr: String(result.stderr), json: () => JSON.parse(stdout), ms: Date.now() - started, timedOut };
    },
  };
}

function gitIdentity(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"]) {
    const value = process.env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

// ------------------------------------------------------------------ how each agent is pointed at a model

/** Kimi Code's own config file, as `kimi login` + a custom provider leaves it: ~/.kimi-code/config.toml. */
export function kimiConfig(home: string, server: ModelServer, model = "scripted-kimi"): string {
  const file = path.join(home, ".kimi-code", "config.toml");
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    [
      'default_model = "scripted"',
      'default_permission_mode = "manual"',
      "telemetry = false",
      "[providers.local]",
      'type = "openai"',
      `base_url = "${server.openaiUrl}"`,
      'api_key = "sk-kimi-user-key"',
      "[models.scripted]",
      'provider = "local"',
      `model = "${model}"`,
      "max_context_size = 131072",
      'capabilities = ["tool_use"]',
      "",
    ].join("\n"),
  );
  return file;
}

/** Qwen Code through the environment it documents: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL. */
export function qwenEnv(server: ModelServer, model = "scripted-qwen"): Record<string, string> {
  return { OPENAI_API_KEY: "sk-qwen-user-key", OPENAI_BASE_URL: server.openaiUrl, OPENAI_MODEL: model };
}

/** Claude Code (behind claude-agent-acp) through ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY. As root (CI containers) Claude Code refuses its bypass mode unless IS_SANDBOX=1, as users in containers set it. */
export function claudeEnv(server: ModelServer): Record<string, string> {
  return { ANTHROPIC_BASE_URL: server.url, ANTHROPIC_API_KEY: "sk-ant-user-key", ...(process.getuid?.() === 0 ? { IS_SANDBOX: "1" } : {}) };
}

/** OMK's user config file ($HOME/.config/omk/config.yaml). */
export function userOmkConfig(home: string, yaml: string): string {
  const file = path.join(home, ".config", "omk", "config.yaml");
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, yaml);
  return file;
}

// ------------------------------------------------------------------ reading a run

export function describeRun(run: OmkRun & { ms?: number; timedOut?: boolean }): string {
  return `exit ${run.exitCode} after ${run.ms ?? "?"} ms${run.timedOut === true ? " (timed out: interrupted)" : ""}\n--- stdout\n${run.stdout.slice(-6000)}\n--- stderr\n${run.stderr.slice(-3000)}`;
}

export function goalIdOf(stdout: string): string {
  const m = /^goal (\S+)$/mu.exec(stdout);
  if (m?.[1] === undefined) throw new Error(`no "goal <id>" line in the output:\n${stdout}`);
  return m[1];
}

export function statusOf(stdout: string): string | undefined {
  return /^status: (\S+)/mu.exec(stdout)?.[1];
}

export function proofOf(w: UserWorld, goalId: string): Proof {
  return ProofSchema.parse(JSON.parse(readFileSync(path.join(w.stateDir, "goals", goalId, "proof.json"), "utf8")));
}

export function failureOf(w: UserWorld, goalId: string): Failure {
  return FailureSchema.parse(JSON.parse(readFileSync(path.join(w.stateDir, "goals", goalId, "failure.json"), "utf8")));
}

/** Every token a proof or failure counts (input of every kind + output). */
export function tokensOf(spend: Proof["spend"]): { input: number; output: number } {
  const t = spend.tokens;
  return { input: t.input + t.cacheRead + t.cacheWrite, output: t.output };
}

/** The integration branch's head of a goal, or undefined when there is none. */
export async function integrationHead(repo: string, goalId: string): Promise<string | undefined> {
  try {
    return (await gitIn(repo, "rev-parse", `omk/${goalId}/integration`)).trim();
  } catch {
    return undefined;
  }
}

/** A file at a commit ("" when absent). */
export async function fileAt(repo: string, commit: string, file: string): Promise<string> {
  const shown = await execa("git", ["show", `${commit}:${file}`], { cwd: repo, reject: false, stripFinalNewline: false });
  return shown.exitCode === 0 ? String(shown.stdout) : "";
}

/** What the server served, by rule (for failure messages). */
export function ledgerSummary(ledger: readonly LedgerEntry[]): string {
  return ledger
    .map(
      (e) =>
        `#${e.seq} ${e.path} ${e.toolset} rule=${e.rule ?? "-"} step=${e.step} ${e.status} ${e.usage === null ? "" : `${e.usage.input}+${e.usage.output}`} ${e.toolCalls.join(",")}`,
    )
    .join("\n");
}

// ------------------------------------------------------------------ per test file

/** One model server for the test file: started before its tests, closed (with the e2e temp dirs) after. */
export function withModelServer(onStart: (server: ModelServer) => void): void {
  let started: ModelServer | undefined;
  beforeAll(async () => {
    started = await startModelServer();
    onStart(started);
  });
  afterAll(async () => {
    await started?.close();
    cleanupE2e();
  });
}

/** The run ended `ready` (exit 0); the failure message shows the run and what the server served. Returns the goal id. */
export function expectReady(run: OmkRun, server: ModelServer): string {
  const goalId = goalIdOf(run.stdout);
  expect(run.exitCode, `${describeRun(run)}\n--- served\n${ledgerSummary(server.ledger)}`).toBe(0);
  expect(statusOf(run.stdout)).toBe("ready");
  return goalId;
}

/** A run against a fresh model server: it serves `rules` from an empty ledger, to a new user's world made with `options`. */
export async function servedWorld(server: ModelServer, rules: ModelRule[], options: Parameters<typeof userWorld>[0] = {}): Promise<UserWorld> {
  server.setRules(rules);
  server.reset();
  return await userWorld(options);
}

/** The plan the fixing runs serve: PLANNED_FIX, after the model looks at src/range.js. */
export const FIX_PLAN = planRule([PLANNED_FIX], { look: "src/range.js" });

/**
 * `omk goal run GOAL --engine <engine> --until-ready --plain` ends ready, the agent having called its own `tools`, in the
 * bubblewrap sandbox (omk confines by default), with the bug fixed at the proof's head commit. Returns the goal id and proof.
 */
export async function expectFixedWithOwnTools(w: UserWorld, server: ModelServer, engine: string, tools: string[]): Promise<{ goalId: string; proof: Proof }> {
  const run = await w.omk(["goal", "run", GOAL, "--engine", engine, "--until-ready", "--plain"]);
  const goalId = expectReady(run, server);
  const calls = server.ledger.flatMap((e) => e.toolCalls);
  expect(calls).toEqual(expect.arrayContaining(tools));
  const proof = proofOf(w, goalId);
  expect(proof.confinement).toBe("bwrap");
  expect(await fileAt(w.repo, proof.headCommit, "src/range.js")).toContain("i <= end");
  return { goalId, proof };
}
