// The intake asks the engine when the keyword classifier is unsure (issue 13): through runGoal with the scripted engine.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { FailureSchema, ProofSchema } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import { bookProvider, collect, makeGoal, makeRepo, message, readyBook, turn, usage, write } from "./run-goal-fixture.js";

afterAll(() => (process.env["OMK_KEEP_TMP"] === undefined ? cleanupTempDirs() : undefined));

// No word of it says which kind of change it is: the keyword classifier blocks it.
const UNSURE_GOAL = "slugify(text) in src/slugify.js: text in, URL slug out";

const intakeAnswer = (json: unknown) => turn(usage(200, 60), message(`Reading the goal.\n\`\`\`json\n${JSON.stringify(json)}\n\`\`\``));

describe.concurrent("runGoal: engine-assisted intake", () => {
  it("without an intake session the unsure goal blocks on a person (the keyword reading), and nothing asks the engine", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, UNSURE_GOAL);
    const result = await runGoal({ store, goalId, engine: bookProvider(readyBook()) });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("blocked_on_human");
    const log = await store.readEvents(goalId);
    expect(log.some((e) => e.type === "intake_decided")).toBe(false);
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.message).toMatch(/no word of the goal says what kind of change it is/);
  }, 90_000);

  it("the engine's classification unblocks it: recorded with both readings, the plan and oracle follow it, and the goal reaches ready", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, UNSURE_GOAL);
    const { events, onEvent } = collect();
    const book = readyBook({
      intake: intakeAnswer({
        status: "classified",
        classes: ["feature"],
        reason: "a new helper in an existing package",
        acceptance: ["slugify('Hello World') is 'hello-world'"],
      }),
    });
    const result = await runGoal({ store, goalId, engine: bookProvider(book), scheduler: { pollMs: 50 }, onEvent });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("ready");
    const log = await store.readEvents(goalId);
    const decided = log.filter((e) => e.type === "intake_decided");
    expect(decided).toHaveLength(1);
    expect(decided[0]?.data).toMatchObject({
      text: UNSURE_GOAL,
      decidedBy: "engine",
      status: "classified",
      classes: ["feature"],
      deterministic: { status: "blocked_on_human", why: "no word of the goal says what kind of change it is" },
      engine: { outcome: "classified", classes: ["feature"], acceptance: ["slugify('Hello World') is 'hello-world'"] },
    });
    expect(log.find((e) => e.type === "plan_recorded")?.data).toMatchObject({ goalClass: "feature" });
    expect((await store.readGoal(goalId)).intake).toMatchObject({ decidedBy: "engine", classes: ["feature"] });
    // The session ran read-only in the goal's dir, its spend is in proof.json, and the decision was shown.
    expect(existsSync(path.join(store.paths(goalId).dir, "intake", "session", "transcript.jsonl"))).toBe(true);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(store.paths(goalId).proof, "utf8")));
    expect(proof.sessions?.[0]).toMatchObject({ session: "intake", quality: "exact" });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "note",
        message: expect.stringMatching(/^intake: the keywords named no kind of change; the engine read the goal as feature/),
      }),
    );
  }, 120_000);

  it("an intake answer holding a known secret (base64 in its reason) is never recorded: not ready, naming the variable", async () => {
    const SECRET = "correct-horse-battery-staple-7731";
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, UNSURE_GOAL);
    const book = readyBook({
      intake: intakeAnswer({ status: "classified", classes: ["feature"], reason: `a helper; token ${Buffer.from(SECRET).toString("base64")}` }),
    });
    const result = await runGoal({ store, goalId, engine: bookProvider(book), env: { ...process.env, DEPLOY_TOKEN: SECRET }, scheduler: { pollMs: 50 } });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("not_ready");
    const log = await store.readEvents(goalId);
    expect(log.filter((e) => e.type === "intake_decided" || e.type === "plan_recorded")).toEqual([]);
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.message).toMatch(/^the engine's intake answer holds the secret \$DEPLOY_TOKEN \(base64\)/);
    expect(readFileSync(store.paths(goalId).events, "utf8")).not.toContain(Buffer.from(SECRET).toString("base64"));
  }, 120_000);

  it("a resumed run reuses the recorded decision for the same text: the engine is not asked again", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, UNSURE_GOAL);
    const classified = intakeAnswer({ status: "classified", classes: ["feature"], reason: "a new helper" });
    // Run 1: the intake is decided, then planning fails (the plan session never answers JSON).
    const first = await runGoal({ store, goalId, engine: bookProvider(readyBook({ intake: classified, plan: turn(message("no plan today")) })) });
    expect(first.ok && first.value.status, JSON.stringify(first)).toBe("blocked_on_external");
    // Run 2: the book's intake answer is now garbage; the recorded decision is used, so the goal still plans as a feature.
    const second = await runGoal({ store, goalId, engine: bookProvider(readyBook({ intake: turn(message("garbage")) })), scheduler: { pollMs: 50 } });
    expect(second.ok && second.value.status, JSON.stringify(second)).toBe("ready");
    const log = await store.readEvents(goalId);
    expect(log.filter((e) => e.type === "intake_decided")).toHaveLength(1);
    expect(log.find((e) => e.type === "plan_recorded")?.data).toMatchObject({ goalClass: "feature" });
  }, 120_000);

  it("a hostile intake session (writes a file, answers garbage) changes nothing: the keyword reading stands (blocked, with its question), and the log says why", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, UNSURE_GOAL);
    const hostile = turn(
      usage(100, 30),
      write("src/evil.js", "export const pwned = true;\n"),
      message("This looks like some kind of helper work, I would say a feature or maybe a refactor."),
    );
    const book = readyBook({ intake: hostile });
    const result = await runGoal({ store, goalId, engine: bookProvider(book) });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("blocked_on_human");
    const decided = (await store.readEvents(goalId)).find((e) => e.type === "intake_decided");
    expect(decided?.data).toMatchObject({ decidedBy: "deterministic", status: "blocked_on_human", classes: [], engine: { outcome: "invalid_answer" } });
    expect(JSON.stringify(decided?.data)).toMatch(/no JSON object/);
    // The session is read-only: its write was refused, the repository is untouched.
    expect(existsSync(path.join(repo, "src", "evil.js"))).toBe(false);
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.details).toMatchObject({ questions: [expect.stringMatching(/What kind of change is this/)] });
  }, 90_000);

  it("a dry run asks the intake session as the run would, and records nothing", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, UNSURE_GOAL);
    const book = readyBook({ intake: intakeAnswer({ status: "classified", classes: ["feature"], reason: "a new helper" }) });
    const dry = await runGoal({ store, goalId, engine: bookProvider(book), dryRun: true });
    expect(dry.ok && dry.value.status, JSON.stringify(dry)).not.toBe("blocked_on_human");
    expect(dry.ok && dry.value.reason).toMatch(/nothing was run or written$/);
    const goal = await store.readGoal(goalId);
    expect([goal.lastSeq, goal.intake]).toEqual([1, undefined]);
    expect(existsSync(path.join(store.paths(goalId).dir, "intake"))).toBe(false);
  }, 90_000);

  it("the engine's needs_human blocks with the engine's question", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, UNSURE_GOAL);
    const book = readyBook({
      intake: intakeAnswer({
        status: "needs_human",
        question: "Should non-ASCII letters be transliterated or dropped?",
        reason: "the slug rules are not given",
      }),
    });
    const result = await runGoal({ store, goalId, engine: bookProvider(book) });
    expect(result.ok && result.value.status, JSON.stringify(result)).toBe("blocked_on_human");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
    expect(failure.cause.details).toMatchObject({
      questions: [expect.stringMatching(/^Should non-ASCII letters be transliterated or dropped\?$/), expect.stringMatching(/What kind of change/)],
    });
  }, 90_000);
});
