import { readFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir, staleSchemaFiles } from "@omk/test-fixtures";
import { ScenarioSchema } from "@omk/wire";
import { afterAll, describe, expect, it } from "vitest";
import { presetProvider } from "../src/engine-provider.js";
import { loadScriptBook, parseScriptBook, scriptBookJsonSchemas, scriptBookProvider, sessionKeys } from "../src/script-book.js";
import type { SessionPurpose } from "../src/types.js";
import { writeBook } from "./session-helpers.js";

afterAll(cleanupTempDirs);

const say = (text: string) => ({ turns: [{ steps: [{ message: text }] }] });

const BOOK = {
  version: 1 as const,
  sessions: {
    plan: say("plan"),
    "task:implement": say("implement, any attempt"),
    "task:implement#2": say("implement, attempt 2"),
    "task:*": say("any task"),
    "review:reviewer": say("reviewer"),
    "review:*": say("any reviewer"),
    "followups#2": say("follow-ups of round 2"),
  },
};

const task = (taskId: string, attempt = 1): SessionPurpose => ({ kind: "task", taskId, attempt, round: 1 });

function played(provider: ReturnType<typeof scriptBookProvider>, purpose: SessionPurpose): string | undefined {
  if (!provider.ok) throw new Error(provider.error.message);
  const runDir = makeTempDir("omk-run-");
  const spec = provider.value.specFor(purpose, runDir);
  if (!spec.ok) return undefined;
  const file = path.join(runDir, "scenario.json");
  expect(spec.value.args).toContain(file);
  const scenario = ScenarioSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  const step = scenario.turns[0]?.steps[0];
  return step !== undefined && "message" in step ? step.message : undefined;
}

describe("sessionKeys", () => {
  it("lists the lookup order, most specific first", () => {
    expect(sessionKeys(task("implement", 3))).toEqual(["task:implement#3", "task:implement", "task:*"]);
    expect(sessionKeys({ kind: "review", reviewer: "security-reviewer", round: 2 })).toEqual([
      "review:security-reviewer#2",
      "review:security-reviewer",
      "review:*",
    ]);
    expect(sessionKeys({ kind: "review", reviewer: "break-it", round: 1 })).toEqual(["review:break-it#1", "review:break-it"]);
    expect(sessionKeys({ kind: "plan", round: 1 })).toEqual(["plan#1", "plan"]);
    expect(sessionKeys({ kind: "followups", round: 2 })).toEqual(["followups#2", "followups"]);
    expect(sessionKeys({ kind: "intake" })).toEqual(["intake"]);
  });
});

describe("scriptBookProvider", () => {
  it("plays the most specific scenario and writes it to <runDir>/scenario.json", () => {
    const provider = scriptBookProvider(writeBook(BOOK));
    expect(played(provider, task("implement", 1))).toBe("implement, any attempt");
    expect(played(provider, task("implement", 2))).toBe("implement, attempt 2");
    expect(played(provider, task("docs", 2))).toBe("any task");
    expect(played(provider, { kind: "review", reviewer: "reviewer", round: 1 })).toBe("reviewer");
    expect(played(provider, { kind: "review", reviewer: "security-reviewer", round: 1 })).toBe("any reviewer");
    expect(played(provider, { kind: "plan", round: 3 })).toBe("plan");
    expect(played(provider, { kind: "followups", round: 2 })).toBe("follow-ups of round 2");
  });

  it("offers only what the book has: no follow-ups of round 3, no break-it through review:*", () => {
    const provider = scriptBookProvider(writeBook(BOOK, "book.json"));
    if (!provider.ok) throw new Error(provider.error.message);
    expect(provider.value.name).toBe("scripted");
    expect(provider.value.offers({ kind: "followups", round: 3 })).toBe(false);
    expect(provider.value.offers({ kind: "review", reviewer: "break-it", round: 1 })).toBe(false);
    expect(provider.value.offers({ kind: "plan", round: 1 })).toBe(true);
  });

  it("a missing session is script_missing, naming the key and the fix", () => {
    const file = writeBook({ version: 1, sessions: { "review:reviewer": say("ok") } });
    const provider = scriptBookProvider(file);
    if (!provider.ok) throw new Error(provider.error.message);
    const spec = provider.value.specFor(task("implement"), makeTempDir());
    expect(spec.ok).toBe(false);
    if (spec.ok) return;
    expect(spec.error.code).toBe("script_missing");
    expect(spec.error.message).toBe(`the script book ${file} has no session for task:implement (looked up: task:implement#1, task:implement, task:*)`);
    expect(spec.error.fix).toBe(`add sessions["task:implement"] (or "task:*") to ${file}`);
  });

  it("refuses a book whose keys or scenarios are wrong, naming them", () => {
    const badKey = parseScriptBook("version: 1\nsessions:\n  'tasks:implement': {}\n", "b.yaml");
    expect(badKey.ok).toBe(false);
    if (!badKey.ok) {
      expect(badKey.error.code).toBe("script_book_invalid");
      expect(badKey.error.message).toContain('sessions["tasks:implement"]: not a session key; use intake, plan');
      expect(badKey.error.fix).toContain("script-book.schema.json");
    }
    const badStep = parseScriptBook(JSON.stringify({ version: 1, sessions: { "task:implement": { turns: [{ steps: [{ mesage: "typo" }] }] } } }), "b.json");
    expect(badStep.ok).toBe(false);
    if (!badStep.ok)
      expect(badStep.error.message).toContain(
        'sessions["task:implement"].turns[0].steps[0]: not a valid step (a step is an object with exactly one of: message,',
      );
    const notYaml = parseScriptBook("version: [1\n", "c.yaml");
    expect(!notYaml.ok && notYaml.error.code).toBe("script_book_invalid");
    const noVersion = parseScriptBook("sessions: {}\n", "d.yaml");
    expect(!noVersion.ok && noVersion.error.message).toContain("version");
  });

  it("an unreadable file is script_book_unreadable", () => {
    const missing = path.join(makeTempDir(), "nope.yaml");
    const loaded = loadScriptBook(missing);
    expect(!loaded.ok && loaded.error.code).toBe("script_book_unreadable");
    const provider = scriptBookProvider(missing);
    expect(!provider.ok && provider.error.message).toContain(missing);
  });
});

describe("presetProvider", () => {
  it("gives the preset's spec, with the model, for every purpose", () => {
    const provider = presetProvider("gemini", { model: "gemini-2.5-pro" });
    if (!provider.ok) throw new Error(provider.error.message);
    expect(provider.value.name).toBe("gemini");
    expect(provider.value.offers({ kind: "review", reviewer: "break-it", round: 1 })).toBe(true);
    expect(provider.value.offers({ kind: "plan", round: 1 })).toBe(true);
    const spec = provider.value.specFor(task("implement"), makeTempDir());
    expect(spec.ok && spec.value).toMatchObject({ command: "gemini", args: ["--acp"], model: "gemini-2.5-pro" });
  });

  it("an unknown engine, or scripted without a book, is a problem with a fix", () => {
    const unknown = presetProvider("vim");
    expect(!unknown.ok && unknown.error).toMatchObject({ code: "engine_unknown" });
    expect(!unknown.ok && unknown.error.fix).toContain("kimi");
    const scripted = presetProvider("scripted");
    expect(!scripted.ok && scripted.error).toMatchObject({ code: "engine_needs_script" });
  });
});

describe("docs/schemas/script-book.schema.json", () => {
  it("is generated from ScriptBookSchema", () => {
    expect(staleSchemaFiles(scriptBookJsonSchemas(), "pnpm --filter @omk/sessions gen:schemas")).toEqual([]);
  });
});
