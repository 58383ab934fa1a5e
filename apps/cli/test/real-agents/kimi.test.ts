// Real Kimi Code through the built `omk`: a logged-in user (Kimi configured only in its own file
// under the user's home, no model variables) fixes a bug to `ready`; the agent's writes outside the
// task's write set, by its Write tool and by its shell, are refused or caught and never integrated.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { type ModelServer, reviewRule, say } from "@omk/test-fixtures";
import { describe, expect, it } from "vitest";
import {
  describeRun,
  FIX_WRITES,
  failureOf,
  fileAt,
  fixTask,
  GOAL,
  goalIdOf,
  integrationHead,
  kimiConfig,
  ledgerSummary,
  PACKAGE_JSON,
  statusOf,
  tokensOf,
  withModelServer,
  expectFixedWithOwnTools,
  FIX_PLAN,
  servedWorld,
} from "./harness.js";

let server: ModelServer;
withModelServer((started) => {
  server = started;
});

describe("Kimi Code (real) through omk goal run", () => {
  it("a logged-in user (Kimi configured only in ~/.kimi-code/config.toml, no model variables) fixes the bug to ready; omk proof verify holds; proof.json counts exactly the tokens served", async () => {
    const w = await servedWorld(server, [FIX_PLAN, fixTask(), reviewRule()], { agents: ["kimi"] });
    kimiConfig(w.home, server);
    for (const name of Object.keys(w.env)) expect(name).not.toMatch(/MODEL|OPENAI|KIMI|ANTHROPIC/);

    // The agent did the work with its own tools (Read, Edit, Bash), narrating between them.
    const { goalId, proof } = await expectFixedWithOwnTools(w, server, "kimi", ["Read", "Edit", "Bash"]);
    expect(server.ledger.every((e) => e.toolset === "kimi" || e.rule === null)).toBe(true);
    expect(Object.fromEntries(proof.criteria.map((c) => [c.id, c.verdict]))).toMatchObject({ "regression-test": "passed", review: "passed" });

    // Every token the model server served is in proof.json, exactly: read from the session log Kimi wrote in its own session HOME.
    const served = server.served();
    expect(tokensOf(proof.spend), ledgerSummary(server.ledger)).toEqual({ input: served.input, output: served.output });
    // The user's home is as the user left it: Kimi's login file only, no session logs; no session HOME (with the copied key) is left in the state dir.
    expect(readdirSync(path.join(w.home, ".kimi-code"))).toEqual(["config.toml"]);
    const leftHomes = readdirSync(w.stateDir, { recursive: true })
      .map(String)
      .filter((f) => /(^|\/)engine\/(home|xdg)$/.test(f));
    expect(leftHomes).toEqual([]);
    expect(
      readdirSync(w.stateDir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith("config.toml")),
    ).toEqual([]);

    const verified = await w.omk(["proof", "verify", path.join(w.stateDir, "goals", goalId, "proof.json")]);
    expect(verified.exitCode, describeRun(verified)).toBe(0);
  });

  it("a write outside the write set by Kimi's Write tool is refused and reported as refused: nothing is written, the goal ends not_ready (scope_violation) and nothing out of scope is integrated", async () => {
    const w = await servedWorld(
      server,
      [
        FIX_PLAN,
        fixTask([say("I will also bump the package name while I am here.", { write: "package.json", content: '{ "name": "pwned" }\n' })]),
        reviewRule(),
      ],
      { agents: ["kimi"] },
    );
    kimiConfig(w.home, server);

    const run = await w.omk(["goal", "run", GOAL, "--engine", "kimi", "--plain"], { env: { KIMI_CODE_HOME: path.join(w.home, ".kimi-code") } });
    const goalId = goalIdOf(run.stdout);
    expect(
      server.ledger.some((e) => e.toolCalls.includes("Write")),
      ledgerSummary(server.ledger),
    ).toBe(true);
    expect(run.exitCode, describeRun(run)).toBe(1);
    expect(statusOf(run.stdout)).toBe("not_ready");
    const failure = failureOf(w, goalId);
    expect(failure.cause.code).toBe("scope_violation");
    // Nothing was written: the refusal is reported as a refusal, not as a write.
    expect(`${failure.cause.message}\n${run.stdout}`).toMatch(/refused/);
    expect(`${failure.cause.message}\n${run.stdout}`).not.toMatch(/wrote outside/);
    expect(readFileSync(path.join(w.repo, "package.json"), "utf8")).toBe(PACKAGE_JSON);
    const head = await integrationHead(w.repo, goalId);
    if (head !== undefined) expect(await fileAt(w.repo, head, "package.json")).toBe(PACKAGE_JSON);
  });

  it("a write outside the write set by Kimi's shell fails the task (scope_violation naming the file and the write set); the attempt is never integrated", async () => {
    const w = await servedWorld(
      server,
      [
        FIX_PLAN,
        fixTask([say("The package name should change too.", { shell: `printf '{ "name": "pwned" }\\n' > package.json`, description: "Rename the package" })]),
        reviewRule(),
      ],
      { agents: ["kimi"] },
    );
    kimiConfig(w.home, server);

    const run = await w.omk(["goal", "run", GOAL, "--engine", "kimi", "--plain"], { env: { KIMI_CODE_HOME: path.join(w.home, ".kimi-code") } });
    const goalId = goalIdOf(run.stdout);
    expect(server.ledger.filter((e) => e.toolCalls.includes("Bash")).length, ledgerSummary(server.ledger)).toBeGreaterThanOrEqual(2);
    expect(run.exitCode, describeRun(run)).toBe(1);
    expect(statusOf(run.stdout)).toBe("not_ready");
    const failure = failureOf(w, goalId);
    expect(failure.cause.code).toBe("scope_violation");
    expect(`${failure.cause.message}\n${JSON.stringify(failure.cause.details ?? {})}`).toContain("package.json");
    expect(run.stdout).toContain(FIX_WRITES[0]);
    // The user's checkout and the integration branch keep the package as it was.
    expect(readFileSync(path.join(w.repo, "package.json"), "utf8")).toBe(PACKAGE_JSON);
    const head = await integrationHead(w.repo, goalId);
    if (head !== undefined) expect(await fileAt(w.repo, head, "package.json")).toBe(PACKAGE_JSON);
    expect(existsSync(path.join(w.stateDir, "goals", goalId, "proof.json"))).toBe(false);
  });
});
