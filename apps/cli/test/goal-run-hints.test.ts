// `omk goal run` through the built binary: an id that names no goal, --dry-run (exit 0, nothing left
// behind, the engine's planner), and the `next:` hints of not_ready, failed_infra and cancelled goals.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { cleanupTempDirs, makeTempDir, runOmk } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { GOAL_TEXT, makeRepo, readyBook, startOmk, writeBook } from "./cli-goal-fixture.js";
import { asPrinted, printedOmk } from "./printed.js";
import { shellWord } from "../src/invocation.js";

afterAll(cleanupTempDirs);

const goalsIn = (stateDir: string) => (existsSync(path.join(stateDir, "goals")) ? readdirSync(path.join(stateDir, "goals")) : []);
const gitStatus = async (repo: string) => String((await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: repo })).stdout);
const gitRefs = async (repo: string) => String((await execa("git", ["for-each-ref"], { cwd: repo })).stdout);

type Book = { version: number; sessions: Record<string, { turns: { steps: Record<string, unknown>[] }[] }> };

/** The ready book with the task's slugify left a no-op: the acceptance test fails, the goal ends not_ready. */
function buggyBook(): Book {
  const book = readyBook() as Book;
  for (const step of book.sessions["task:slugify"]?.turns[0]?.steps ?? []) {
    const w = step["write"] as { path: string; content: string } | undefined;
    if (w?.path === "src/slugify.js") w.content = "export function slugify(text) {\n  return text;\n}\n";
  }
  return book;
}

describe("omk goal run <id>", () => {
  it("an argument shaped like a goal id that names no goal here: exit 2 naming the state dir and --new; --new makes it text", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const id = "01m87ybk5mc8pw9yfstmgxb44v";
    const r = await runOmk(["goal", "run", id, "--script", writeBook(readyBook())], { stateDir, cwd: repo });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      asPrinted(
        `omk: no goal "${id}" under ${stateDir} — fix: pass the id of a goal in this state dir (omk goal list), set OMK_STATE_DIR to the state dir that holds it, or pass --new to make "${id}" the text of a new goal`,
        { stateDir },
      ),
    );
    expect(goalsIn(stateDir)).toEqual([]);
    // --new: the words are a new goal's text (a dry run here, so nothing is kept).
    const asText = await runOmk(["goal", "run", id, "--new", "--dry-run", "--script", writeBook(readyBook())], { stateDir, cwd: repo });
    expect(asText.stderr).not.toMatch(/no goal "/);
    expect(asText.stdout.split("\n")[0]).toBe("dry run of a new goal: nothing is recorded, nothing is written to the repository");
    // A plain word is goal text, not an id: no --new needed.
    const word = await runOmk(["goal", "run", "refactor", "--dry-run", "--script", writeBook(readyBook())], { stateDir, cwd: repo });
    expect(word.stderr).not.toMatch(/no goal "refactor"/);
    expect(word.stdout.split("\n")[0]).toBe("dry run of a new goal: nothing is recorded, nothing is written to the repository");
  }, 60_000);
});

describe("omk goal run -- <text>", () => {
  it("after `--` a text such as -v is the goal's text (as the cancelled line prints it), without `--` an unknown option", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const book = writeBook(readyBook());
    const flag = await runOmk(["goal", "run", "-v", "--dry-run", "--script", book], { stateDir, cwd: repo });
    expect(flag.exitCode).toBe(2);
    const text = await runOmk(["goal", "run", "--dry-run", "--script", book, "--", "-v"], { stateDir, cwd: repo });
    expect(text.exitCode, text.stderr).not.toBe(2);
    expect(text.stdout.split("\n")[0]).toBe("dry run of a new goal: nothing is recorded, nothing is written to the repository");
    expect(goalsIn(stateDir)).toEqual([]);
  }, 60_000);
});

describe("omk goal run --dry-run", () => {
  it("exits 0, leaves no goal and no change behind, and plans with the engine's plan session (saying so)", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const [statusBefore, refsBefore] = [await gitStatus(repo), await gitRefs(repo)];
    const r = await runOmk(["goal", "run", GOAL_TEXT, "--script", writeBook(readyBook()), "--dry-run"], { stateDir, cwd: repo });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("dry run of a new goal: nothing is recorded, nothing is written to the repository");
    // The engine's plan (the book's task "slugify"), not the deterministic planner's.
    expect(r.stdout).toMatch(/note: planning with scripted's plan session, as the run would: the engine reads the repository and writes nothing to it/);
    expect(r.stdout).toMatch(/note: task slugify \(implementer\): Add slugify\(text\); writes src\/slugify\.js, test\/slugify\.test\.js/);
    expect(r.stdout).toMatch(/^dry run: 2 tasks, \d+ criteria \(feature, planned by the scripted engine\); nothing was run or written$/m);
    expect(lines.at(-1)).toBe("next: the same command without --dry-run");
    expect(r.stdout).not.toMatch(/^status: /m);
    // Nothing left behind: no goal (so `latest` is not a dry run), the repository untouched.
    expect(goalsIn(stateDir)).toEqual([]);
    expect((await runOmk(["goal", "list", "--json"], { stateDir, cwd: repo })).json()).toEqual([]);
    expect(await gitStatus(repo)).toBe(statusBefore);
    expect(await gitRefs(repo)).toBe(refsBefore);

    // A dry run of an existing goal only reads it.
    const created = await runOmk(["goal", "create", GOAL_TEXT, "--json"], { stateDir, cwd: repo });
    const goal = created.json() as { id: string; lastSeq: number };
    const again = await runOmk(["goal", "run", goal.id, "--script", writeBook(readyBook()), "--dry-run", "--json"], { stateDir, cwd: repo });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr.split("\n")[0]).toBe(`dry run of goal ${goal.id}: nothing is recorded, nothing is written to the repository`);
    const shown = (await runOmk(["goal", "status", goal.id, "--json"], { stateDir, cwd: repo })).json() as { status: string; lastSeq: number };
    expect(shown).toMatchObject({ status: "created", lastSeq: goal.lastSeq });
  }, 90_000);
});

describe("omk goal run: what to do next", () => {
  it("not_ready: next is resume (which plans follow-ups)", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const r = await runOmk(["goal", "run", GOAL_TEXT, "--script", writeBook(buggyBook())], { stateDir, cwd: repo });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(1);
    const id = (r.stdout.match(/^goal (\S+)$/m) ?? [])[1] ?? "";
    expect(r.stdout).toMatch(/^status: not_ready — /m);
    expect(r.stdout).toMatch(/^failure: .*failure\.json$/m);
    expect(r.stdout.split("\n")).toContain(
      `next: ${printedOmk({ stateDir })} goal resume ${id}  # plans follow-up tasks from the failing evidence and runs them`,
    );
  }, 120_000);

  it("failed_infra: next is the failure's resume command with its hint", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const book = readyBook() as Book;
    delete book.sessions["task:slugify"];
    const r = await runOmk(["goal", "run", GOAL_TEXT, "--script", writeBook(book)], { stateDir, cwd: repo });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(6);
    const id = (r.stdout.match(/^goal (\S+)$/m) ?? [])[1] ?? "";
    const proof = (await runOmk(["goal", "proof", id, "--json"], { stateDir, cwd: repo })).json() as { resume: { command: string; hint: string } };
    expect(r.stdout).toMatch(/^status: failed_infra — /m);
    expect(r.stdout.split("\n")).toContain(`next: ${asPrinted(proof.resume.command, { stateDir })}  # ${asPrinted(proof.resume.hint, { stateDir })}`);
  }, 120_000);

  it("a model that never answers valid JSON: exit 5 blocked_on_external, the cause says so, next is another model or engine (not omk doctor)", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const book = readyBook() as Book;
    book.sessions["plan"] = {
      turns: [
        { steps: [{ message: "Let me look at the code first. " }, { read: { path: "package.json" } }, { message: "I would add src/slugify.js and a test." }] },
      ],
    };
    const r = await runOmk(["goal", "run", GOAL_TEXT, "--script", writeBook(book)], { stateDir, cwd: repo });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(5);
    const id = (r.stdout.match(/^goal (\S+)$/m) ?? [])[1] ?? "";
    expect(r.stdout).toMatch(
      /^status: blocked_on_external — the scripted engine's model gave no valid plan answer in 3 attempt\(s\); the last was rejected: no JSON object found in the answer/m,
    );
    expect(r.stdout.split("\n")).toContain(
      `next: ${printedOmk({ stateDir })} goal resume ${id} --model <model>  # the model never gave a valid answer (see the cause): try another model with --model or another engine with --engine, then resume`,
    );
    expect(r.stdout).not.toMatch(/(omk|bin\.js) doctor/);
    const failure = (await runOmk(["goal", "proof", id, "--json"], { stateDir, cwd: repo })).json() as { cause: { code: string } };
    expect(failure.cause.code).toBe("engine_answer_invalid");
    // A failure.json edited after OMK wrote it is named, with the fix, not read by a cast.
    const file = path.join(stateDir, "goals", id, "failure.json");
    expect(existsSync(file)).toBe(true);
    writeFileSync(file, JSON.stringify({ cause: { code: 1 } }));
    const damaged = await runOmk(["goal", "proof", id], { stateDir, cwd: repo });
    expect(damaged.exitCode).toBe(5);
    expect(damaged.stdout).not.toMatch(/^cause:/m);
    expect(damaged.stderr).toMatch(/^omk: \S+failure\.json is not a valid failure record \(.+\); fix: restore the file OMK wrote/m);
  }, 120_000);

  it("accept on a running goal says it is still running (the controller's pid); a double Ctrl-C ends cancelled with the cancel's reason and no resume hint", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const child = startOmk(["goal", "run", GOAL_TEXT, "--script", writeBook(readyBook(60_000))], { stateDir, cwd: repo });
    let out = "";
    let err = "";
    let ended = false;
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
    });
    void child.finally(() => {
      ended = true;
    });
    const deadline = Date.now() + 60_000;
    while (!/task slugify running/.test(out) && !ended && Date.now() < deadline) await sleep(100);
    const id = (out.match(/^goal (\S+)$/m) ?? [])[1] ?? "";
    const accept = await runOmk(["goal", "accept", id], { stateDir, cwd: repo });
    expect(accept.exitCode).toBe(2);
    expect(accept.stderr).toMatch(
      new RegExp(`^omk: goal ${id} is still running \\(controller pid ${child.pid} on \\S+\\); only a ready goal is accepted — fix: wait until it ends`),
    );
    expect(accept.stderr).not.toMatch(/resume/);
    child.kill("SIGINT");
    // The second Ctrl-C once the first is taken (the pause may take only milliseconds).
    while (!/pausing the goal cleanly/.test(err) && !ended) await sleep(2);
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(7);
    const stdout = String(r.stdout);
    // The cancel's reason, not the pause the run saw first.
    expect(stdout).toMatch(/^status: cancelled — cancelled by the user: cancelled with Ctrl-C$/m);
    expect(stdout).not.toMatch(/^status: cancelled — paused/m);
    const tail = stdout.slice(stdout.indexOf("status: cancelled"));
    expect(tail).not.toMatch(/resume/);
    expect(tail).toContain(`cancelled is final; to try again, start a new goal: ${printedOmk({ stateDir })} goal run -- ${shellWord(GOAL_TEXT)}`);
  }, 120_000);
});
