import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir, omkBinPath, runOmk } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";

afterAll(cleanupTempDirs);

type Check = { name: string; status: "ok" | "warn" | "fail"; detail: string; fix?: string };
type Engine = { name: string; found: boolean; version?: string; handshake: { status: string; agentName?: string; fix?: string } };
type Report = {
  ok: boolean;
  ready: boolean;
  usableEngines: string[];
  exitCode: number;
  checks: Check[];
  stateDir: { path: string; writable: boolean };
  engines: Engine[];
  github: { token: string; variable?: string };
};

/**
 * A PATH with node and git only (no engine a developer may have installed),
 * plus `bin`, where a test can put a fake engine. No token unless given.
 */
function env(bin: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: [bin, path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(path.delimiter),
    GITHUB_TOKEN: "",
    GH_TOKEN: "",
    XDG_CONFIG_HOME: makeTempDir("omk-doctor-xdg-"),
    ...extra,
  };
}

describe("omk doctor through the built binary", () => {
  it("reports git, node, a writable state dir, the bundled scripted engine with a successful handshake, missing engines and the token as warnings; exit 0", async () => {
    const stateDir = makeTempDir();
    const bin = makeTempDir("omk-doctor-bin-");
    const text = await runOmk(["doctor"], { stateDir, env: env(bin) });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^ok +git +git version \d/m);
    expect(text.stdout).toMatch(/^ok +node +v\d+\.\d+\.\d+ \(needs >= 20\.19\)/m);
    expect(text.stdout).toContain(`${stateDir} (from OMK_STATE_DIR), writable`);
    expect(text.stdout).toMatch(/^ok +engine scripted +omk-scripted-agent \d+\.\d+\.\d+, handshake ok with omk-scripted-agent/m);
    expect(text.stdout).toMatch(/^warn +engine gemini +not found \(gemini\) — fix: npm install -g @google\/gemini-cli$/m);
    expect(text.stdout).toMatch(/^warn +github token +not set \(GITHUB_TOKEN, GH_TOKEN\) — fix: export GITHUB_TOKEN=/m);
    // No real engine: one line says what goal run needs; the engines' own fixes are not repeated on it.
    expect(text.stdout).toMatch(
      /^warn +engines +no real engine completed a handshake \(kimi, kimi-wire, gemini, claude, codex, qwen, copilot\): omk goal run needs one — fix: make one work \(each engine's line above says how\), or run goals with --engine scripted --script FILE$/m,
    );
    expect(text.stdout.split("npm install -g @moonshot-ai/kimi-code")).toHaveLength(2);
    // The headline is true: not ready for real goals.
    expect(text.stdout.trimEnd().split("\n").at(-1)).toBe(
      "omk is not ready for real goals: no engine completed a handshake; only scripted goals run (--engine scripted --script FILE) (9 warnings)",
    );

    const json = await runOmk(["doctor", "--json"], { stateDir, env: env(bin) });
    expect(json.exitCode).toBe(0);
    const report = json.json() as Report;
    expect(report).toMatchObject({
      ok: true,
      ready: false,
      usableEngines: [],
      exitCode: 0,
      stateDir: { path: stateDir, writable: true },
      github: { token: "not set" },
    });
    expect(report.engines.map((e) => e.name)).toEqual(["scripted", "kimi", "kimi-wire", "gemini", "claude", "codex", "qwen", "copilot"]);
    expect(report.engines[0]).toMatchObject({ name: "scripted", found: true, handshake: { status: "ok", agentName: "omk-scripted-agent" } });
    expect(report.engines.slice(1).every((e) => !e.found && e.handshake.status === "skipped")).toBe(true);
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
    // This machine (and CI, which installs bubblewrap) can sandbox: the same probe goal run makes.
    expect(report.checks.find((c) => c.name === "sandbox")).toMatchObject({ status: "ok", detail: expect.stringMatching(/^bubblewrap /) });
  });

  it("lists an installed engine that needs a login, with its version and how to log in", async () => {
    const stateDir = makeTempDir();
    const bin = makeTempDir("omk-doctor-bin-");
    // A `gemini` on PATH: the bundled scripted agent asking for authentication at session/new.
    const scenario = path.join(makeTempDir("omk-doctor-scenario-"), "auth.json");
    writeFileSync(scenario, JSON.stringify({ agent: { name: "gemini-cli", version: "0.61.0" }, auth: "session_new" }));
    const gemini = path.join(bin, "gemini");
    writeFileSync(gemini, `#!/bin/sh\nexec "${process.execPath}" "${path.join(path.dirname(omkBinPath), "scripted-agent.js")}" "$@"\n`);
    chmodSync(gemini, 0o755);
    const run = await runOmk(["doctor", "--json"], { stateDir, env: env(bin, { OMK_SCRIPTED_SCENARIO: scenario }) });
    expect(run.exitCode, run.stderr).toBe(0);
    const report = run.json() as Report;
    const found = report.engines.find((e) => e.name === "gemini");
    expect(found).toMatchObject({ found: true, version: "omk-scripted-agent 0.1.0", handshake: { status: "auth_required", agentName: "gemini-cli" } });
    const line = report.checks.find((c) => c.name === "engine gemini");
    expect(line).toMatchObject({ status: "warn", detail: "omk-scripted-agent 0.1.0, handshake: needs a login with gemini-cli 0.61.0" });
    expect(line?.fix).toMatch(/^run `gemini` once and pick a login method, or set GEMINI_API_KEY/);
  });

  it("fails with exit 6 and the fix when the state dir cannot be written", async () => {
    const base = makeTempDir();
    const file = path.join(base, "file");
    writeFileSync(file, "not a folder\n");
    const stateDir = path.join(file, "state");
    const bin = makeTempDir("omk-doctor-bin-");
    const text = await runOmk(["doctor"], { stateDir, cwd: base, env: env(bin) });
    expect(text.exitCode).toBe(6);
    expect(text.stdout).toContain(
      `fail  state dir         ${stateDir} (from OMK_STATE_DIR) is not writable: ${file} is a file, not a folder — fix: set OMK_STATE_DIR to a writable folder, or make ${stateDir} writable`,
    );
    expect(text.stdout.trimEnd().split("\n").at(-1)).toBe("omk is not ready: state dir (exit 6)");
    const json = await runOmk(["doctor", "--json"], { stateDir, cwd: base, env: env(bin) });
    expect(json.exitCode).toBe(6);
    expect(json.json()).toMatchObject({ ok: false, exitCode: 6, stateDir: { path: stateDir, writable: false } });
    // A state dir that exists but is a file is refused too.
    const asFile = await runOmk(["doctor"], { stateDir: file, cwd: base, env: env(bin) });
    expect(asFile.exitCode).toBe(6);
    expect(asFile.stdout).toContain(`${file} (from OMK_STATE_DIR) is not writable: it is not a folder`);
  });

  it("says whether a GitHub token is set, never its value", async () => {
    const stateDir = makeTempDir();
    const bin = makeTempDir("omk-doctor-bin-");
    for (const [variable, args] of [
      ["GITHUB_TOKEN", ["doctor"]],
      ["GH_TOKEN", ["doctor", "--json"]],
    ] as const) {
      const run = await runOmk([...args], { stateDir, env: env(bin, { [variable]: "ghp_secretvalue" }) });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).not.toContain("ghp_secretvalue");
      expect(run.stderr).not.toContain("ghp_secretvalue");
      if (args.length === 1) expect(run.stdout).toMatch(/^ok +github token +set \(GITHUB_TOKEN\)$/m);
      else expect((run.json() as Report).github).toEqual({ token: "set", variable: "GH_TOKEN" });
    }
  });
});
