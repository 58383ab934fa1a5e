import { describe, expect, it } from "vitest";
import { askEngineIntake, buildIntakePrompt, decideIntake, EMPTY_INSPECTION, intake, intakeDoubt } from "../src/index.js";
import { TS_REPO } from "./fixtures.js";

// A goal the keywords cannot read (no word says which kind of change it is); the engine can.
const UNSURE = "slugify(text) in src/slugify.js: text in, URL slug out";
const classifiedAnswer = (classes: string[]) =>
  `I read the repository.\n\`\`\`json\n${JSON.stringify({ status: "classified", classes, reason: "new behaviour", acceptance: ["slugify('A b') is 'a-b'"] })}\n\`\`\``;

describe("engine-assisted intake: when the engine is asked", () => {
  it("asks when no word says what kind of change it is, and when only weak signals classify", () => {
    expect(intakeDoubt(intake({ text: UNSURE, inspection: TS_REPO }))).toMatch(/no word of the goal says/);
    expect(intakeDoubt(intake({ text: "Implement OAuth login for the dashboard", inspection: TS_REPO }))).toMatch(/weak signals only \("implement"\)/);
  });

  it("does not ask when the reading is sure, or when only a person can answer (vague, contradictory)", async () => {
    let asked = 0;
    const ask = async () => {
      asked++;
      return classifiedAnswer(["feature"]);
    };
    for (const text of ["Fix the crash when `omk report` reads an empty file", "improve the code", "make it faster but don't change any code", "fix the bug"]) {
      expect(await askEngineIntake(intake({ text, inspection: TS_REPO }), TS_REPO, ask), text).toBeUndefined();
    }
    expect(asked).toBe(0);
  });

  it("the prompt holds the goal, the classes, the facts named, the repository and the doubt", () => {
    const prompt = buildIntakePrompt(intake({ text: UNSURE, inspection: TS_REPO }), TS_REPO);
    expect(prompt).toContain(UNSURE);
    expect(prompt).toContain("- paths: src/slugify.js");
    expect(prompt).toContain("- identifiers: slugify(text)");
    expect(prompt).toContain("languages: TypeScript");
    expect(prompt).toMatch(/A keyword classifier was unsure: no word/);
    expect(prompt).toContain('"status":"needs_human"');
  });
});

describe("engine-assisted intake: the rules", () => {
  const blocked = intake({ text: UNSURE, inspection: TS_REPO });
  const weak = intake({ text: "Implement OAuth login for the dashboard", inspection: TS_REPO });

  it("a goal the keywords could not read takes the engine's class, with both readings recorded", async () => {
    const d = await askEngineIntake(blocked, TS_REPO, async () => ({ text: "narration", final: classifiedAnswer(["feature"]) }));
    expect(d).toMatchObject({
      decidedBy: "engine",
      status: "classified",
      classes: ["feature"],
      deterministic: { status: "blocked_on_human", classes: [] },
      engine: { outcome: "classified", classes: ["feature"], acceptance: ["slugify('A b') is 'a-b'"] },
    });
    expect(d?.reason).toMatch(/the keywords named no kind of change; the engine read the goal as feature/);
    // intake with the engine's reading: classified, the engine's signal recorded.
    const r = intake({ text: UNSURE, inspection: TS_REPO, engine: { classes: d?.classes ?? [], reason: d?.reason ?? "" } });
    expect(r.status === "classified" && [r.goalClass, r.strength]).toEqual(["feature", "engine"]);
    expect(r.signals.some((s) => s.source === "engine" && s.class === "feature")).toBe(true);
  });

  it("agreeing with a weak reading confirms it; disagreeing takes the engine's", () => {
    const why = intakeDoubt(weak) ?? "";
    expect(decideIntake(weak, why, { ok: true, answer: classifiedAnswer(["feature"]) })).toMatchObject({
      decidedBy: "deterministic",
      classes: ["feature"],
      reason: "the engine agrees with the keyword reading",
    });
    expect(decideIntake(weak, why, { ok: true, answer: classifiedAnswer(["hardening"]) })).toMatchObject({
      decidedBy: "engine",
      classes: ["hardening"],
      deterministic: { classes: ["feature"], strength: "weak" },
    });
  });

  it("a mixed reading is put to the engine, which may narrow it but not replace it", () => {
    const mixed = intake({ text: "add a --json flag to the cli and a section about it in the README", inspection: TS_REPO });
    const why = intakeDoubt(mixed);
    expect(why).toMatch(/several kinds of change \(feature, documentation\)/);
    expect(decideIntake(mixed, why ?? "", { ok: true, answer: classifiedAnswer(["docs"]) })).toMatchObject({ decidedBy: "engine", classes: ["docs"] });
    const other = decideIntake(mixed, why ?? "", { ok: true, answer: classifiedAnswer(["performance"]) });
    expect(other).toMatchObject({ decidedBy: "deterministic", classes: ["feature", "docs"] });
    expect(other.reason).toMatch(/not a narrowing of the keyword reading/);
    const asks = decideIntake(mixed, why ?? "", { ok: true, answer: '{"status":"needs_human","question":"Docs or a flag?","reason":"unclear"}' });
    expect(asks).toMatchObject({ decidedBy: "deterministic", status: "classified", classes: ["feature", "docs"], engine: { outcome: "needs_human" } });
  });

  it("the engine's needs_human blocks with its question", () => {
    const d = decideIntake(blocked, "doubt", {
      ok: true,
      answer: '{"status":"needs_human","question":"Should accents be dropped?","reason":"the slug rules are not given"}',
    });
    expect(d).toMatchObject({
      decidedBy: "engine",
      status: "blocked_on_human",
      classes: [],
      engine: { outcome: "needs_human", question: "Should accents be dropped?" },
    });
  });

  it("garbage, a wrong shape or a failed engine: the keyword reading stands, and why is recorded", async () => {
    const garbage = decideIntake(weak, "doubt", { ok: true, answer: "I think this is a feature, probably." });
    expect(garbage).toMatchObject({ decidedBy: "deterministic", status: "classified", classes: ["feature"], engine: { outcome: "invalid_answer" } });
    expect(garbage.engine.errors?.[0]).toMatch(/no JSON object/);
    const wrong = decideIntake(blocked, "doubt", { ok: true, answer: '{"status":"classified","classes":["mixed"],"reason":"x"}' });
    expect(wrong).toMatchObject({ decidedBy: "deterministic", status: "blocked_on_human", engine: { outcome: "invalid_answer" } });
    expect(wrong.engine.errors?.join(" ")).toMatch(/classes/);
    const failed = await askEngineIntake(blocked, TS_REPO, async () => {
      throw new Error("the engine exited 1");
    });
    expect(failed).toMatchObject({ decidedBy: "deterministic", status: "blocked_on_human", engine: { outcome: "failed", errors: ["the engine exited 1"] } });
  });

  it("the engine's class does not lift the other checks: a contradiction still blocks", () => {
    const text = "slugify(text) in src/slugify.js: text in, URL slug out, do not add tests";
    const r = intake({ text, inspection: TS_REPO, engine: { classes: ["feature"], reason: "new behaviour" } });
    expect(r.status).toBe("blocked_on_human");
    expect(r.status === "blocked_on_human" && r.reasons.map((x) => x.code)).toEqual(["contradiction"]);
  });

  it("an engine class on an empty repository is not replaced by greenfield", () => {
    const r = intake({ text: "a thing that sends webhooks", inspection: EMPTY_INSPECTION, engine: { classes: ["greenfield"], reason: "new project" } });
    expect(r.status === "classified" && r.goalClass).toBe("greenfield");
  });
});
