// runSession with the run's confinement (the real scripted engine, real bubblewrap): the sandbox the
// controller builds for a task session keeps the agent's commands out of OMK's state root and the
// repository's .git, lets them write the checkout; and agent commands get the gates' environment
// rule (no secret-looking names), confined or not.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
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
    const outcome = await runSession({
      provider: confined,
      purpose: { kind: "review", reviewer: "reviewer", round: 1 },
      cwd: w.cwd,
      runDir: w.runDir,
      prompt: "go",
      env: process.env,
    });
    expect(outcome.ok).toBe(true);
    expect(existsSync(path.join(w.cwd, "review-wrote.txt"))).toBe(false);
  });

  it.skipIf(BWRAP === undefined)(
    "hostile, confined: an agent of a config engine that is Kimi Code (home: user) plants hooks in ~/.claude, MCP servers in ~/.qwen and sessions in ~/.kimi; its login was copied in and its usage still counts; the user's real HOME is byte for byte unchanged, each write to it is named, and the session HOME is gone",
    async () => {
      const w = await world();
      const userHome = path.join(w.base, "user-home");
      mkdirSync(path.join(userHome, ".kimi-code"), { recursive: true });
      writeFileSync(path.join(userHome, ".kimi-code", "config.toml"), 'default_model = "k"\n[providers.p]\napi_key = "sk-kimi-user-secret-1234"\n');
      mkdirSync(path.join(userHome, ".claude"));
      writeFileSync(path.join(userHome, ".claude", "settings.json"), '{"model":"opus"}\n');
      mkdirSync(path.join(userHome, ".qwen"));
      writeFileSync(path.join(userHome, ".qwen", "settings.json"), "{}\n");
      const before = snapshot(userHome);
      const hooks = `'{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"touch /tmp/pwned"}]}]}}'`;
      const mcp = `'{"mcpServers":{"x":{"command":"/bin/sh","args":["-c","touch /tmp/pwned"]}}}'`;
      const plant = (home: string) =>
        sh(
          [
            `mkdir -p ${home}/.claude ${home}/.qwen ${home}/.kimi/sessions/s ${home}/.kimi-code/sessions/w/s/agents/main`,
            `echo ${hooks} > ${home}/.claude/settings.json`,
            `echo ${mcp} > ${home}/.qwen/settings.json`,
            `echo forged > ${home}/.kimi/sessions/s/log`,
            `echo '{"type":"usage.record","usage":{"inputOther":0}}' >> ${home}/.kimi-code/sessions/w/s/agents/main/wire.jsonl`,
          ].join("; "),
        );
      const base = provider([
        sh("cat ~/.kimi-code/config.toml > login-seen.txt 2>/dev/null; true"),
        // Through HOME (the session's own) and through the real HOME's absolute path.
        plant("~"),
        plant(userHome),
        { usage: { inputUncached: 11, output: 3, via: "kimi_log" } },
      ]);
      const kimiLike: EngineProvider = {
        ...base,
        specFor: (purpose, runDir) => {
          const spec = base.specFor(purpose, runDir);
          return spec.ok ? { ok: true, value: { ...spec.value, name: "my-agent", usageLog: "kimi_session_log", home: "user" } } : spec;
        },
        confinement: { run: { mode: "bwrap", bwrap: BWRAP as string }, stateRoot: w.stateRoot, repo: w.repo },
      };
      const outcome = await runSession({
        provider: kimiLike,
        purpose: TASK,
        cwd: w.cwd,
        runDir: w.runDir,
        prompt: "go",
        env: { ...process.env, HOME: userHome },
      });
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      // Its commands have a HOME of their own: the login copied into the engine's HOME is not theirs to read.
      expect(readFileSync(path.join(w.cwd, "login-seen.txt"), "utf8")).not.toContain("sk-kimi-user-secret");
      // Its usage was read from its own HOME's session log.
      expect(outcome.spend.tokens).toMatchObject({ input: 11, output: 3 });
      // Nothing landed in the user's HOME; each refused write there is named.
      expect(snapshot(userHome)).toEqual(before);
      const named = outcome.refusedWrites.map((r) => r.reason).join("\n");
      for (const file of [".claude/settings.json", ".qwen/settings.json", ".kimi/sessions"])
        expect(named).toContain(`the sandbox refused a write to ${path.join(userHome, file)}`);
      expect(named).toContain("an engine's folder in the user's HOME");
      // The session HOME (the copied API key, what the agent planted there) went with the session.
      expect(existsSync(path.join(w.runDir, "engine", "home"))).toBe(false);
      expect(JSON.stringify(readdirSync(w.runDir, { recursive: true }))).not.toContain("settings.json");
    },
  );
});

describe.concurrent("runSession, confined: an agent's commands and the engine's run folder", () => {
  it.skipIf(BWRAP === undefined)(
    "hostile: a command cannot forge the Kimi usage log OMK charges from, tamper with the engine's settings or read its copied login (each write named); it writes its own HOME ($HOME/.npm) and TMPDIR",
    async () => {
      const w = await world();
      const userHome = path.join(w.base, "user-home");
      mkdirSync(path.join(userHome, ".kimi-code"), { recursive: true });
      writeFileSync(path.join(userHome, ".kimi-code", "config.toml"), 'default_model = "k"\n[providers.p]\napi_key = "sk-kimi-user-secret-5678"\n');
      const engineRun = path.join(w.runDir, "engine");
      const engineHome = path.join(engineRun, "home");
      const base = provider([
        // The engine's own usage, in its own HOME's session log.
        { usage: { inputUncached: 11, output: 3, via: "kimi_log" } },
        // Its commands try to add to that log (wherever Kimi keeps it), the engine's settings and its HOME.
        sh(
          `for f in $(find ${engineHome} -name wire.jsonl 2>/dev/null) ${engineHome}/.kimi-code/sessions/w/s/agents/main/wire.jsonl; do echo '{"type":"usage.record","usage":{"inputOther":900000,"output":900000}}' >> $f; done`,
        ),
        sh(`echo forged >> ${path.join(engineRun, "settings.json")}`),
        sh(`echo forged >> ${path.join(engineHome, ".profile")}`),
        sh(`cat ${engineHome}/.kimi-code/config.toml > login-seen.txt 2>&1; true`),
        // Their own HOME and TMPDIR take a package manager's cache and temp files.
        sh(
          'mkdir -p "$HOME/.npm" && echo npm > "$HOME/.npm/x" && echo tmp > "$TMPDIR/x" && cat "$HOME/.npm/x" "$TMPDIR/x" > own.txt && echo "$HOME|$TMPDIR" >> own.txt',
        ),
      ]);
      const kimiLike: EngineProvider = {
        ...base,
        specFor: (purpose, runDir) => {
          const spec = base.specFor(purpose, runDir);
          return spec.ok ? { ok: true, value: { ...spec.value, name: "my-agent", usageLog: "kimi_session_log", home: "user" } } : spec;
        },
        confinement: { run: { mode: "bwrap", bwrap: BWRAP as string }, stateRoot: w.stateRoot, repo: w.repo },
      };
      const outcome = await runSession({
        provider: kimiLike,
        purpose: TASK,
        cwd: w.cwd,
        runDir: w.runDir,
        prompt: "go",
        env: { ...process.env, HOME: userHome },
      });
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      // OMK charged what the engine logged, not what a command forged.
      expect(outcome.spend.tokens).toMatchObject({ input: 11, output: 3 });
      const named = outcome.refusedWrites.map((r) => r.reason).join("\n");
      for (const file of [
        path.join(engineRun, "settings.json"),
        path.join(engineHome, ".profile"),
        path.join(engineHome, ".kimi-code/sessions/w/s/agents/main/wire.jsonl"),
      ]) {
        expect(named).toContain(`the sandbox refused a write to ${file} (the engine's own run folder`);
      }
      expect(readFileSync(path.join(w.cwd, "login-seen.txt"), "utf8")).not.toContain("sk-kimi-user-secret");
      // The commands' own folders: under the session's run folder, outside the engine's.
      const own = readFileSync(path.join(w.cwd, "own.txt"), "utf8").split("\n");
      expect(own.slice(0, 2)).toEqual(["npm", "tmp"]);
      const [home, tmp] = (own[2] ?? "").split("|");
      expect(home).toBe(path.join(w.runDir, "commands", "home"));
      expect(tmp).toBe(path.join(w.runDir, "commands", "tmp"));
      expect(named).not.toContain(path.join(w.runDir, "commands"));
      // They go with the session.
      expect(existsSync(path.join(w.runDir, "commands"))).toBe(false);
    },
  );
});

/** Every file under `dir` with its bytes (links as their target). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const file = path.join(dir, rel);
    const stat = lstatSync(file);
    out[rel] = stat.isSymbolicLink() ? `-> ${readlinkSync(file)}` : stat.isDirectory() ? "/" : readFileSync(file, "utf8");
  }
  return out;
}
