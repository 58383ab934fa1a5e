import { existsSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { cleanupTempDirs, makeTempDir, omkBinPath, runOmk } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { GOAL_TEXT, makeRepo, readyBook, startOmk, writeBook } from "./cli-goal-fixture.js";

afterAll(cleanupTempDirs);

/** What the built CLI ships beside its bundle, named in its fixes by absolute path. */
const CLI_DIR = path.resolve(path.dirname(omkBinPath), "..");
const EXAMPLE_BOOK = path.join(CLI_DIR, "examples", "demo", "script.yaml");
const SHIPPED_SCHEMA = path.join(CLI_DIR, "dist", "script-book.schema.json");

function omkIn(stateDir: string, cwd: string, env?: NodeJS.ProcessEnv) {
  return (...args: string[]) => runOmk(args, { stateDir, cwd, ...(env === undefined ? {} : { env }) });
}

describe("omk goal run: flags and bad input", () => {
  it("refuses bad input with exit 2 and one line naming the fix, creating no goal", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const notRepo = makeTempDir("omk-not-a-repo-");
    const omk = omkIn(stateDir, repo);
    const malformed = writeBook("version: 1\nsessions:\n  plan: [not, a, scenario\n", "book.yaml");
    const wrongShape = writeBook({ version: 1, sessions: { "task:x": { turns: [{ steps: [{ fly: true }] }] } } });
    const good = writeBook(readyBook());
    const cases: Array<[string[], RegExp, NodeJS.ProcessEnv?]> = [
      [["goal", "run", GOAL_TEXT, "--engine", "warp-drive"], /unknown engine "warp-drive" — fix: use one of kimi, .*--engine scripted --script FILE/],
      [
        ["goal", "run", GOAL_TEXT, "--engine", "scripted"],
        new RegExp(
          `--engine scripted needs a script book \\(the sessions it plays instead of a model\\) — fix: pass --script book\\.yaml \\(or set OMK_SCRIPT\\); an example book ships with omk: ${EXAMPLE_BOOK.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(it plays the demo's goal on the demo's project: .*\\bdemo runs it\\)$`,
        ),
      ],
      // A book with errors names the schema shipped beside the bundle (dist/, in the npm package), by absolute path.
      [
        ["goal", "run", GOAL_TEXT, "--engine", "scripted", "--script", malformed],
        new RegExp(`book\\.yaml.* — fix: fix the syntax \\(${SHIPPED_SCHEMA.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} describes the file\\)$`),
      ],

      [["goal", "run", GOAL_TEXT, "--script", wrongShape], /task:x.* — fix: /],
      [["goal", "run", GOAL_TEXT, "--engine", "scripted", "--script", path.join(repo, "missing.yaml")], /missing\.yaml.* — fix: /],
      [
        ["goal", "run", GOAL_TEXT, "--script", good, "--max-rounds", "0"],
        /--max-rounds "0" must be a whole number from 1 to 20 — fix: use e\.g\. --max-rounds 3/,
      ],
      [["goal", "run", GOAL_TEXT, "--script", good, "--budget-usd", "free"], /--budget-usd "free" is not a positive amount/],
      [["goal", "run", "", "--script", good], /goal text is empty — fix: /],
      [["goal", "run", GOAL_TEXT, "--script", good, "--repo", notRepo], /is not a git repository: .* — fix: run it inside a git clone/],
      [
        ["goal", "run", GOAL_TEXT, "--script", good, "--repo", path.join(notRepo, "gone")],
        /^omk: \S+gone does not exist — fix: pass --repo the folder of a git clone \(or run omk inside one\)$/,
      ],
      // No engine named and none installed (PATH without any engine): say how to get one.
      [
        ["goal", "run", GOAL_TEXT],
        /no engine found — fix: install one \(\S.* doctor\) or use --engine scripted --script FILE/,
        { PATH: path.dirname(process.execPath) === "/usr/bin" ? "/usr/bin:/bin" : `${path.dirname(process.execPath)}:/usr/bin:/bin` },
      ],
      [["goal", "run", GOAL_TEXT, "--engine", "kimi", "--script", good], /--script plays a script book with the scripted engine, not with kimi — fix: /],
    ];
    for (const [args, message, env] of cases) {
      const r = await runOmk(args, { stateDir, cwd: repo, ...(env === undefined ? {} : { env }) });
      expect(r.exitCode, `${args.join(" ")}\n${r.stderr}`).toBe(2);
      // The first line names the problem and the fix (a parse error's details may follow it).
      expect(r.stderr.split("\n")[0], args.join(" ")).toMatch(message);
    }
    expect(existsSync(path.join(stateDir, "goals")) ? (await omk("goal", "list", "--json")).json() : []).toEqual([]);
    // A scripted engine chosen through the environment needs its book too.
    const envOnly = await runOmk(["goal", "run", GOAL_TEXT], { stateDir, cwd: repo, env: { OMK_ENGINE: "scripted" } });
    expect(envOnly.exitCode).toBe(2);
    expect(envOnly.stderr).toMatch(/needs a script book/);
  }, 60_000);
});

describe("omk goal run: output modes", () => {
  it("--json prints every controller event as one JSON line with a type and nothing else; the outcome goes to stderr", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const book = writeBook(readyBook());
    const r = await runOmk(["goal", "run", GOAL_TEXT, "--engine", "scripted", "--script", book, "--json"], { stateDir, cwd: repo });
    const lines = r.stdout.trimEnd().split("\n");
    const events = lines.map((line) => JSON.parse(line) as { type: string; status?: string; outcomeFile?: string | null });
    for (const e of events) expect(typeof e.type).toBe("string");
    const types = new Set(events.map((e) => e.type));
    for (const t of ["run_started", "phase_started", "phase_finished", "task_update", "gate_finished", "goal_event", "run_finished"])
      expect(types, t).toContain(t);
    const finished = events.at(-1);
    expect(finished?.type).toBe("run_finished");
    expect(r.stderr).toMatch(/^goal \S+\n/);
    expect(r.stderr).toContain(`status: ${finished?.status}`);
    expect(r.exitCode).toBe(finished?.status === "ready" ? 0 : 1);
    if (finished?.status === "ready") expect(r.stderr).toContain(`proof: ${finished.outcomeFile}`);
  }, 120_000);

  it("plain mode (CI, or not a TTY): the goal id first, timestamped lines, then the status and the outcome file", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const book = writeBook(readyBook());
    const r = await runOmk(["goal", "run", GOAL_TEXT, "--script", book, "--plain"], { stateDir, cwd: repo, env: { CI: "" } });
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^goal [0-9a-z]{26}$/);
    const id = (lines[0] ?? "").slice("goal ".length);
    const progress = lines.filter((l) => /^\d\d:\d\d:\d\d /.test(l));
    expect(progress.length).toBeGreaterThan(8);
    expect(progress).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d phase execution started$/));
    expect(progress).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d task slugify succeeded \(attempt 1, scripted, [\d,]+ tokens, /));
    expect(progress).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d gate test \w+ on the head$/));
    const status = lines.find((l) => l.startsWith("status: "));
    expect(status, r.stdout).toBeDefined();
    const outcome = lines.find((l) => /^(proof|failure): /.test(l)) ?? "";
    expect(existsSync(outcome.replace(/^(proof|failure): /, "")), outcome).toBe(true);
    expect(outcome).toContain(path.join(stateDir, "goals", id));
    const shown = await runOmk(["goal", "status", id, "--json"], { stateDir, cwd: repo });
    expect((shown.json() as { status: string }).status).toBe(status?.slice("status: ".length).split(" ")[0]);
  }, 120_000);
});

describe("omk goal run: Ctrl-C", () => {
  it("the first SIGINT pauses the goal cleanly (exit 8); resume drives it to the end", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const sleepy = writeBook(readyBook(60_000));
    const child = startOmk(["goal", "run", GOAL_TEXT, "--script", sleepy], { stateDir, cwd: repo });
    let out = "";
    let ended = false;
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    void child.finally(() => {
      ended = true;
    });
    // Wait until the task's session runs (it sleeps 60 s), then interrupt once.
    const deadline = Date.now() + 60_000;
    while (!/task slugify running/.test(out) && !ended && Date.now() < deadline) await sleep(100);
    expect(out).toMatch(/task slugify running/);
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(8);
    expect(r.stderr).toContain("pausing the goal cleanly");
    expect(String(r.stdout)).toMatch(/^status: paused/m);
    const id = (String(r.stdout).match(/^goal (\S+)$/m) ?? [])[1] ?? "";
    const status = await runOmk(["goal", "status", id, "--json"], { stateDir, cwd: repo });
    expect((status.json() as { status: string }).status).toBe("paused");
    const text = await runOmk(["goal", "status", id], { stateDir, cwd: repo });
    expect(text.stdout).toContain("paused");

    // resume continues the same goal with the run flags (a book without the sleep now).
    const resumed = await runOmk(["goal", "resume", id, "--script", writeBook(readyBook())], { stateDir, cwd: repo });
    expect(resumed.stdout.split("\n")[0]).toBe(`goal ${id}`);
    expect(resumed.stdout).toMatch(/phase execution started/);
    expect(resumed.stdout).toMatch(/^status: (ready|not_ready)/m);
    expect([0, 1]).toContain(resumed.exitCode);
  }, 150_000);

  it("a second SIGINT cancels the goal (exit 7)", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const child = startOmk(["goal", "run", GOAL_TEXT, "--script", writeBook(readyBook(60_000))], { stateDir, cwd: repo });
    let out = "";
    let ended = false;
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    void child.finally(() => {
      ended = true;
    });
    let err = "";
    child.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const deadline = Date.now() + 60_000;
    while (!/task slugify running/.test(out) && !ended && Date.now() < deadline) await sleep(100);
    child.kill("SIGINT");
    // The second Ctrl-C once the first is taken (the pause may take only milliseconds).
    while (!/pausing the goal cleanly/.test(err) && !ended) await sleep(2);
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(7);
    const id = (String(r.stdout).match(/^goal (\S+)$/m) ?? [])[1] ?? "";
    const proof = await runOmk(["goal", "proof", id, "--json"], { stateDir, cwd: repo });
    expect(proof.exitCode).toBe(7);
    expect(proof.json()).toMatchObject({ status: "cancelled", cause: { code: "cancelled_by_user" } });
  }, 120_000);
});
