import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { FailureSchema, GoalSchema, openStore, requestResume } from "@omk/state";
import { cleanupTempDirs, initGitRepo, makeTempDir, runOmk } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { printedOmk, printedOmkPattern } from "./printed.js";

afterAll(cleanupTempDirs);

/** A valid script book: `resume` resolves its engine before it looks at the goal, so the refusals below are about the goal. */
function anyBook(): string {
  const file = `${makeTempDir("omk-book-")}/book.json`;
  writeFileSync(file, JSON.stringify({ version: 1, sessions: { "task:*": { turns: [] } } }));
  return file;
}

/** Move a goal back to running the way a controller does (`omk goal resume` itself now drives the goal: see goal-run.test.ts). */
async function resumeAsController(stateDir: string, id: string): Promise<string> {
  const resumed = await requestResume(openStore({ root: stateDir }), id, { actor: "controller" });
  if (!resumed.ok) throw new Error(resumed.error.message);
  return resumed.value.status;
}

/** A git repository with one commit: where a goal can be created. */
async function newRepo(): Promise<string> {
  const repo = makeTempDir("omk-repo-");
  await initGitRepo(repo);
  return repo;
}

/** Every call is a separate `omk` process sharing one state dir. */
function omkIn(stateDir: string, cwd?: string) {
  return (...args: string[]) => runOmk(args, { stateDir, ...(cwd === undefined ? {} : { cwd }) });
}

describe("omk goal lifecycle through the built binary", () => {
  it("creates, inspects, pauses and resumes in separate processes, runs out of budget, extends, cancels and replays", async () => {
    const stateDir = makeTempDir();
    const repo = makeTempDir("omk-repo-");
    const head = await initGitRepo(repo);
    const omk = omkIn(stateDir, repo);

    const created = await omk(
      "goal",
      "create",
      "Add a --json flag to the report command",
      "--budget-time",
      "1s",
      "--budget-tokens",
      "50000",
      "--budget-usd",
      "2.5",
      "--max-agents",
      "3",
      "--constraint",
      "no new deps",
      "--json",
    );
    expect(created.exitCode, created.stderr).toBe(0);
    const goal = GoalSchema.parse(created.json());
    expect(goal).toMatchObject({ status: "created", repoRoot: repo, baseCommit: head, constraints: ["no new deps"] });
    expect(goal.budget).toMatchObject({ limits: { timeMs: 1000, tokens: 50000, usd: 2.5 }, maxAgents: 3 });

    const list = await omk("goal", "list");
    expect(list.stdout).toContain(goal.id);
    expect(list.stdout).toContain("created");

    // The id defaults to the latest goal.
    const status = await omk("goal", "status", "--json");
    expect((status.json() as { id: string }).id).toBe(goal.id);

    expect((await omk("goal", "pause", goal.id)).stdout).toContain("now paused");
    expect((await omk("goal", "status", goal.id)).stdout).toContain("paused");
    expect(await resumeAsController(stateDir, goal.id)).toBe("running");

    // Running time counts against the 1s budget.
    await sleep(1200);
    const budget = await omk("goal", "budget", goal.id);
    expect(budget.exitCode).toBe(0);
    expect(budget.stdout).toMatch(/time .* of 1\.0s .*EXHAUSTED/);
    expect((await omk("goal", "pause", goal.id)).exitCode).toBe(0);

    // Resume refuses: exit 4 (needs_more_budget) with the fix, and failure.json says why.
    const book = anyBook();
    const refused = await omk("goal", "resume", goal.id, "--script", book);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr.split("\n")[0]).toMatch(/^omk: goal \S+ has used its time budget — fix: .*budget-add/);
    const failurePath = `${stateDir}/goals/${goal.id}/failure.json`;
    const failure = FailureSchema.parse(JSON.parse(readFileSync(failurePath, "utf8")));
    expect(failure).toMatchObject({ status: "needs_more_budget", cause: { code: "budget_exhausted" } });
    expect(failure.resume.command).toBe(`omk goal budget-add ${goal.id} --time 1m && omk goal resume ${goal.id}`);
    const proof = await omk("goal", "proof", goal.id);
    expect(proof.exitCode).toBe(4);
    expect(proof.stdout).toContain("budget_exhausted");

    // budget-add extends, resume continues.
    const added = await omk("goal", "budget-add", goal.id, "--time", "1h", "--json");
    expect(added.exitCode).toBe(0);
    expect((added.json() as { limits: { timeMs: number } }).limits.timeMs).toBe(3_601_000);
    expect((await omk("goal", "budget-add", goal.id, "--time", "1s")).stdout).toContain(`next: ${printedOmk({ stateDir })} goal resume ${goal.id}`);
    expect(await resumeAsController(stateDir, goal.id)).toBe("running");

    const cancelled = await omk("goal", "cancel", goal.id, "--reason", "test over");
    expect(cancelled.exitCode).toBe(0);
    const final2 = await omk("goal", "resume", goal.id, "--script", book);
    expect(final2.exitCode).toBe(2);
    expect(final2.stderr).toMatch(/cancelled goal cannot become running — fix: /);
    const final = await omk("goal", "proof", goal.id, "--json");
    expect(final.exitCode).toBe(7);
    expect(final.json()).toMatchObject({ kind: "omk.failure", status: "cancelled", cause: { code: "cancelled_by_user" }, resume: { command: null } });

    const replay = await omk("goal", "replay", goal.id, "--verify");
    expect(replay.exitCode, replay.stderr).toBe(0);
    expect(replay.stdout).toContain("verified: goal.json matches the events");

    // A tampered snapshot is caught by --verify and mended by --rebuild.
    const snap = `${stateDir}/goals/${goal.id}/goal.json`;
    writeFileSync(snap, readFileSync(snap, "utf8").replace('"status": "cancelled"', '"status": "ready"'));
    const bad = await omk("goal", "replay", goal.id, "--verify");
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/status: events say "cancelled", goal.json says "ready"/);
    expect(bad.stderr).toContain(`${printedOmk({ stateDir })} goal replay ${goal.id} --rebuild`);
    expect((await omk("goal", "replay", goal.id, "--rebuild")).exitCode).toBe(0);
    expect((await omk("goal", "replay", goal.id, "--verify")).exitCode).toBe(0);
  }, 60_000);

  it("refuses a goal whose log was forged from outside (a budget_extended appended with the right seq and chain hash), and --quarantine sets it aside", async () => {
    const stateDir = makeTempDir();
    const omk = omkIn(stateDir, await newRepo());
    const created = await omk("goal", "create", "Forge a budget", "--budget-tokens", "1000", "--json");
    const id = (created.json() as { id: string }).id;
    expect(await resumeAsController(stateDir, id)).toBe("running");
    const events = `${stateDir}/goals/${id}/events.jsonl`;
    const last = readFileSync(events, "utf8").trimEnd().split("\n").at(-1) as string;
    const seq = (JSON.parse(last) as { seq: number }).seq + 1;
    const prev = createHash("sha256").update(last).digest("hex");
    const forged = JSON.stringify({
      v: 1,
      seq,
      ts: new Date().toISOString(),
      actor: "user",
      prev,
      type: "budget_extended",
      data: { add: { tokens: 999999999 } },
    });
    appendFileSync(events, `${forged.slice(0, -1)},"mac":"${"0f".repeat(32)}"}\n`);

    for (const args of [
      ["goal", "status", id],
      ["goal", "budget-add", id, "--tokens", "5"],
      ["goal", "replay", id, "--verify"],
    ]) {
      const r = await omk(...args);
      expect(r.exitCode, args.join(" ")).toBe(1);
      expect(r.stderr.trimEnd().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^omk: .*events.jsonl line ${seq} has a MAC the log key does not confirm .*: the log was changed outside omk — fix: .*${printedOmkPattern({ stateDir })} goal replay ${id} --quarantine`,
        ),
      );
    }
    const q = await omk("goal", "replay", id, "--quarantine");
    expect(q.exitCode, q.stderr).toBe(0);
    expect(q.stdout).toMatch(
      new RegExp(`^set aside ${Buffer.byteLength(forged) + 74} bytes from line ${seq} .* in events.jsonl.forged-\\d+; goal ${id} is not_ready$`, "m"),
    );
    const status = await omk("goal", "status", id, "--json");
    expect(status.exitCode).toBe(0);
    expect(status.json()).toMatchObject({ status: "not_ready", budgetReport: { limits: { tokens: 1000 } } });
    const verified = await omk("goal", "replay", id, "--verify");
    expect(verified.exitCode, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^chain: \d+ chained line\(s\); MACs checked with .*keys\/log.key$/m);
  }, 60_000);

  it("reports token usage recorded by another process and shows it in every format", async () => {
    const stateDir = makeTempDir();
    const omk = omkIn(stateDir, await newRepo());
    const created = await omk("goal", "create", "Count tokens", "--budget-tokens", "1000", "--json");
    const id = (created.json() as { id: string }).id;
    expect(await resumeAsController(stateDir, id)).toBe("running");
    // A controller (here: this test process) records usage through the state API.
    await openStore({ root: stateDir }).recordUsage(id, { source: "engine", tokens: { input: 800, cacheRead: 150, cacheWrite: 0, output: 100 }, usd: 0.03 });
    const status = await omk("goal", "status", id, "--json");
    expect(status.json()).toMatchObject({ status: "needs_more_budget", budgetReport: { exhausted: ["tokens"], used: { tokens: 1050 } } });
    const text = await omk("goal", "show", id);
    expect(text.stdout).toMatch(/tokens\s+1,050 of 1,000 \(0 left\)\s+EXHAUSTED/);
    const md = await omk("goal", "show", id, "--format", "md");
    expect(md.stdout).toContain(`# Goal ${id}`);
    expect(md.stdout).toContain("| tokens | 1,050 of 1,000 (0 left) EXHAUSTED |");
    for (const args of [
      ["goal", "list", "--json"],
      ["goal", "budget", id, "--json"],
      ["goal", "proof", id, "--json"],
      ["goal", "replay", id, "--json"],
      ["goal", "show", id, "--format", "json"],
    ]) {
      const r = await omk(...args);
      expect(() => r.json(), args.join(" ")).not.toThrow();
    }
  }, 60_000);

  it("refuses bad input with exit 2 and one line naming the fix, creating nothing", async () => {
    const stateDir = makeTempDir();
    const omk = omkIn(stateDir, await newRepo());
    const cases: Array<[string[], RegExp]> = [
      [["goal", "create", ""], /goal text is empty — fix: describe the goal/],
      [["goal", "create", "   \t "], /goal text is empty/],
      [["goal", "create", "x", "--budget-time", "0"], /--budget-time "0" is not a positive duration — fix: use e\.g\./],
      [["goal", "create", "x", "--budget-time", "soon"], /--budget-time "soon"/],
      [["goal", "create", "x", "--budget-tokens", "-5"], /--budget-tokens "-5" is not a positive whole number/],
      [["goal", "create", "x", "--budget-tokens", "1.5"], /--budget-tokens "1\.5"/],
      [["goal", "create", "x", "--budget-usd", "NaN"], /--budget-usd "NaN" is not a positive amount/],
      [["goal", "create", "x", "--budget-usd", "0"], /--budget-usd "0"/],
      [["goal", "create", "x", "--max-agents", "0"], /--max-agents "0" must be a whole number from 1 to 64/],
      [["goal", "status"], /no goals under .* — fix: create one with \S.* goal create/],
    ];
    for (const [args, message] of cases) {
      const r = await omk(...args);
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
    expect(existsSync(`${stateDir}/goals`) ? (await omk("goal", "list", "--json")).json() : []).toEqual([]);

    await omk("goal", "create", "a real goal");
    for (const id of ["../../etc", "a/b", "..", "x\u0001y", "01unknown"]) {
      const r = await omk("goal", "status", id);
      expect(r.exitCode, id).toBe(2);
      expect(r.stderr, id).toMatch(/— fix: /);
    }
    const noAmount = await omk("goal", "budget-add", "--json");
    expect(noAmount.exitCode).toBe(2);
    expect(noAmount.stderr).toMatch(/budget-add needs an amount — fix: pass --time 30m/);
    const badFormat = await omk("goal", "show", "--format", "yaml");
    expect(badFormat.exitCode).toBe(2);
    expect((await omk("goal", "pause")).exitCode).toBe(0);
    const twice = await omk("goal", "pause");
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr).toMatch(/goal is already paused — fix: from paused a goal can become: running, needs_more_budget, cancelled/);
  }, 60_000);

  it("names corrupt state precisely (exit 6) and changes nothing on disk", async () => {
    const stateDir = makeTempDir();
    const omk = omkIn(stateDir, await newRepo());
    const id = ((await omk("goal", "create", "to be damaged", "--json")).json() as { id: string }).id;
    await omk("goal", "pause", id);
    await resumeAsController(stateDir, id);
    const events = `${stateDir}/goals/${id}/events.jsonl`;
    const lines = readFileSync(events, "utf8").split("\n");
    lines[1] = "{garbage";
    const damaged = lines.join("\n");
    writeFileSync(events, damaged);
    writeFileSync(`${stateDir}/goals/${id}/goal.json`, "");
    for (const args of [
      ["goal", "status", id],
      ["goal", "pause", id],
    ]) {
      const r = await omk(...args);
      expect(r.exitCode, args.join(" ")).toBe(6);
      expect(r.stderr).toMatch(/events\.jsonl: line 2 is not valid JSON — fix: restore the file from a backup/);
    }
    expect(readFileSync(events, "utf8")).toBe(damaged);
  }, 60_000);

  it("keeps its exit codes for help, version, usage and unknown commands", async () => {
    const stateDir = makeTempDir();
    const omk = omkIn(stateDir, await newRepo());
    expect((await omk("--help")).exitCode).toBe(0);
    expect((await omk("--version")).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await omk()).exitCode).toBe(2);
    expect((await omk("goal", "frobnicate")).exitCode).toBe(2);
    expect((await omk("goal", "create")).exitCode).toBe(2);
  }, 60_000);
});
