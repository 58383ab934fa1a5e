// Engine configuration through the built `omk` with a real agent: a custom engine defined in the
// repo's .omk/config.yaml (a wrapper script at a path that is not on PATH) runs a goal to `ready`;
// an invalid config file stops omk with exit 2 naming the file, the key and the fix.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gitIn, type ModelServer, reviewRule } from "@omk/test-fixtures";
import { describe, expect, it } from "vitest";
import {
  describeRun,
  fileAt,
  fixTask,
  GOAL,
  installedAgents,
  kimiConfig,
  ledgerSummary,
  proofOf,
  tokensOf,
  userWorld,
  writeWrapper,
  withModelServer,
  expectReady,
  FIX_PLAN,
  servedWorld,
} from "./harness.js";

let server: ModelServer;
withModelServer((started) => {
  server = started;
});

async function commitConfig(repo: string, yaml: string): Promise<string> {
  const file = path.join(repo, ".omk", "config.yaml");
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, yaml);
  await gitIn(repo, "add", ".omk/config.yaml");
  await gitIn(repo, "commit", "-q", "-m", "omk: engine config");
  return file;
}

describe("engine configuration (real agent)", () => {
  it("a custom engine in .omk/config.yaml (a wrapper at a path not on PATH, ACP) is the repo's default engine, is listed by `omk engines` with its file, and runs the goal to ready", async () => {
    // No agent on PATH at all: only the config names one.
    const w = await servedWorld(server, [FIX_PLAN, fixTask(), reviewRule()], { agents: [] });
    kimiConfig(w.home, server);
    const tool = writeWrapper(path.join(w.base, "opt", "my-agent", "bin", "agent"), installedAgents().kimi);
    const file = await commitConfig(
      w.repo,
      [
        "version: 1",
        "defaultEngine: my-agent",
        "engines:",
        "  my-agent:",
        `    command: ${JSON.stringify(tool)}`,
        "    args: [acp]",
        "    protocol: acp",
        "    usageLog: kimi_session_log",
        "",
      ].join("\n"),
    );
    const base = (await gitIn(w.repo, "rev-parse", "HEAD")).trim();
    // The user trusts the repository's config (it names a program to run): untrusted, omk would stop with exit 2.
    const untrusted = await w.omk(["goal", "run", GOAL, "--plain"]);
    expect(untrusted.exitCode, describeRun(untrusted)).toBe(2);
    expect(untrusted.stderr).toContain(`${file}: not trusted: it sets defaultEngine, engines.my-agent.command`);
    const trusted = await w.omk(["config", "trust"]);
    expect(trusted.exitCode, describeRun(trusted)).toBe(0);

    const listed = await w.omk(["engines"]);
    expect(listed.exitCode, describeRun(listed)).toBe(0);
    expect(listed.stdout).toContain("my-agent");
    expect(listed.stdout).toMatch(/\.omk\/config\.yaml/);

    const run = await w.omk(["goal", "run", GOAL, "--until-ready", "--plain"]);
    const goalId = expectReady(run, server);
    expect(run.stdout).toContain("my-agent");
    expect(server.ledger.some((e) => e.rule === "task" && e.toolset === "kimi")).toBe(true);
    const proof = proofOf(w, goalId);
    expect(proof.baseCommit).toBe(base);
    expect(await fileAt(w.repo, proof.headCommit, "src/range.js")).toContain("i <= end");
    expect(existsSync(file)).toBe(true);
    // Kimi Code under another name reports its usage in its session log (usageLog): every served token is counted.
    const served = server.served();
    expect(tokensOf(proof.spend), ledgerSummary(server.ledger)).toEqual({ input: served.input, output: served.output });
    // It logged in with the user's config.toml, copied into a HOME of its own: the user's Kimi folder holds no session logs.
    expect(readdirSync(path.join(w.home, ".kimi-code"))).toEqual(["config.toml"]);
  });

  it("an invalid .omk/config.yaml stops omk with exit 2 naming the file, the key and the fix; no goal is recorded", async () => {
    const w = await userWorld({ agents: ["kimi"] });
    const file = await commitConfig(w.repo, "version: 1\nengines:\n  kimi:\n    deadlines:\n      turnInactivityMs: soon\n");

    const run = await w.omk(["goal", "run", GOAL, "--engine", "kimi", "--plain"]);
    const said = `${run.stdout}\n${run.stderr}`;
    expect(run.exitCode, describeRun(run)).toBe(2);
    expect(said).toContain(file);
    expect(said).toContain("engines.kimi.deadlines.turnInactivityMs");
    expect(said).toMatch(/fix/i);
    expect(existsSync(path.join(w.stateDir, "goals")) ? readdirSync(path.join(w.stateDir, "goals")) : []).toEqual([]);

    // A misspelt key: named, with the keys an engine may have.
    writeFileSync(file, "version: 1\nengines:\n  kimi:\n    comand: kimi\n");
    const again = await w.omk(["engines"]);
    expect(again.exitCode, describeRun(again)).toBe(2);
    expect(`${again.stdout}\n${again.stderr}`).toContain("engines.kimi.comand");
    expect(`${again.stdout}\n${again.stderr}`).toContain("command");
  });
});
