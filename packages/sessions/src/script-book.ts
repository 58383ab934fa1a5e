/**
 * Script books: the scripted engine's answers for a whole goal, one wire
 * scenario per session key (`task:implement`, `review:reviewer`, `plan`, ...).
 * A book is validated on load; the scenario a session plays is written to
 * `<runDir>/scenario.json` so the run keeps what it played.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { writeFileAtomicSync } from "@omk/state";
import { err, ok, type Result } from "@omk/core";
import { type Scenario, ScenarioSchema, ScenarioStepSchema, scriptedEngine } from "@omk/wire";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { SessionProblem, EngineProvider, SessionKey, SessionPurpose } from "./types.js";

/** `intake`, `plan`, `plan#2`, `followups`, `task:<id>`, `task:<id>#<attempt>`, `task:*`, `review:<pass>`, `review:<pass>#<round>`, `review:*`. */
const KEY_PATTERN =
  /^(?:intake|(?:plan|followups)(?:#[1-9][0-9]*)?|task:(?:\*|[A-Za-z0-9][A-Za-z0-9._-]*(?:#[1-9][0-9]*)?)|review:(?:\*|(?:reviewer|security-reviewer|break-it)(?:#[1-9][0-9]*)?))$/u;

const KEY_HELP =
  "intake, plan, plan#<round>, followups, followups#<round>, task:<id>, task:<id>#<attempt>, task:*, review:<pass>, review:<pass>#<round> or review:*";

const SessionKeySchema = z
  .string()
  .regex(KEY_PATTERN, `a session key: ${KEY_HELP}`)
  .describe("which sessions this scenario answers; the most specific key wins");

/** A script book: the scripted engine's scenario for each kind of session of a goal. */
export const ScriptBookSchema = z.strictObject({
  version: z.literal(1),
  sessions: z.record(SessionKeySchema, ScenarioSchema).describe("scenario (a wire scripted-agent scenario) by session key"),
});
export type ScriptBook = z.infer<typeof ScriptBookSchema>;
export type ScriptBookInput = z.input<typeof ScriptBookSchema>;

/**
 * The keys a purpose is looked up under, most specific first:
 * `task:<id>#<attempt>`, `task:<id>`, `task:*`; `review:<pass>#<round>`,
 * `review:<pass>`, `review:*` (not for break-it, which answers in another
 * shape); `plan#<round>`, `plan`; `followups#<round>`, `followups`; `intake`
 * (asked only when the keyword classifier is unsure; a book without it
 * keeps the keyword reading).
 */
export function sessionKeys(purpose: SessionPurpose): SessionKey[] {
  switch (purpose.kind) {
    case "intake":
      return ["intake"];
    case "task":
      return [`task:${purpose.taskId}#${purpose.attempt}`, `task:${purpose.taskId}`, "task:*"];
    case "review": {
      const own = [`review:${purpose.reviewer}#${purpose.round}`, `review:${purpose.reviewer}`];
      return purpose.reviewer === "break-it" ? own : [...own, "review:*"];
    }
    case "plan":
      return [`plan#${purpose.round}`, "plan"];
    case "followups":
      return [`followups#${purpose.round}`, "followups"];
  }
}

/** A short name of the purpose for messages: `task:implement`, `review:reviewer`, `plan`. */
function purposeLabel(purpose: SessionPurpose): string {
  switch (purpose.kind) {
    case "task":
      return `task:${purpose.taskId}`;
    case "review":
      return `review:${purpose.reviewer}`;
    default:
      return purpose.kind;
  }
}

function issuePath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (typeof s === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/u.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out === "" ? "(root)" : out;
}

const STEP_HELP = `a step is an object with exactly one of: ${ScenarioStepSchema.options.map((o) => Object.keys(o.shape)[0]).join(", ")}`;

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key") return `not a session key; use ${KEY_HELP}`;
  if (issue.code === "invalid_union" && issue.path.includes("steps")) return `not a valid step (${STEP_HELP})`;
  return issue.message;
}

/** Control characters and line breaks (from the book's keys) shown escaped, so a message stays one line. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Where a fix points for the book's JSON Schema when the caller names no other place (the CLI names the copy it ships). */
const SCRIPT_BOOK_SCHEMA = "docs/schemas/script-book.schema.json";

/** Parses a script book from YAML or JSON text; problems name the key and how to fix it (`schema`: where the book's JSON Schema is). */
export function parseScriptBook(text: string, file = "the script book", schema = SCRIPT_BOOK_SCHEMA): Result<ScriptBook, SessionProblem> {
  let data: unknown;
  try {
    // Aliases and merge keys are read (a book may share a scenario); an alias bomb is refused by the alias limit.
    data = parseYaml(text, { merge: true, maxAliasCount: 100, logLevel: "error" });
  } catch (cause) {
    // yaml's pretty message is several lines (the position, then an excerpt): the first is the problem.
    const first = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0] as string;
    const problem = /call stack/i.test(first) ? "it is nested too deeply" : first.replace(/:$/, "");
    return err({
      code: "script_book_invalid",
      message: oneLine(`${file} is not valid YAML or JSON: ${problem}`),
      fix: `fix the syntax (${schema} describes the file)`,
    });
  }
  const parsed = ScriptBookSchema.safeParse(data);
  if (!parsed.success) {
    const problems = oneLine(parsed.error.issues.map((i) => `${issuePath(i.path)}: ${issueText(i)}`).join("; "));
    return err({
      code: "script_book_invalid",
      message: `${file} is not a valid script book: ${problems}`,
      fix: `fix those entries so the file matches ${schema} (version: 1, sessions: { <key>: <scenario> })`,
    });
  }
  return ok(parsed.data);
}

/** Reads and validates a script book file (YAML or JSON). */
export function loadScriptBook(file: string, schema = SCRIPT_BOOK_SCHEMA): Result<ScriptBook, SessionProblem> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    return err({
      code: "script_book_unreadable",
      message: `cannot read the script book ${file}: ${(cause as Error).message}`,
      fix: "pass an existing file with --script (or OMK_SCRIPT)",
    });
  }
  return parseScriptBook(text, file, schema);
}

/** The scenario of a purpose: the first of sessionKeys(purpose) the book has, with the key it was found under. */
function lookupScenario(book: ScriptBook, purpose: SessionPurpose): { key: SessionKey; scenario: Scenario } | undefined {
  for (const key of sessionKeys(purpose)) {
    const scenario = book.sessions[key];
    if (scenario !== undefined) return { key, scenario };
  }
  return undefined;
}

function missing(file: string, purpose: SessionPurpose): SessionProblem {
  const keys = sessionKeys(purpose);
  const label = purposeLabel(purpose);
  const fallback = keys[keys.length - 1];
  const alt = fallback?.endsWith("*") ? ` (or "${fallback}")` : "";
  return {
    code: "script_missing",
    message: `the script book ${file} has no session for ${label} (looked up: ${keys.join(", ")})`,
    fix: `add sessions["${label}"]${alt} to ${file}`,
  };
}

/** How the scripted engine is started: by default wire's omk-scripted-agent (built, or from source through tsx); `agent` names another build of it (e.g. one bundled file, which starts faster). */
export type ScriptBookOptions = {
  readonly agent?: { readonly command: string; readonly args: readonly string[] };
  /** Where the book's JSON Schema is, as a fix names it (default {@link SCRIPT_BOOK_SCHEMA}). */
  readonly schema?: string;
};

/** The provider for a book already loaded; `file` names it in messages. */
export function scriptBookProviderOf(book: ScriptBook, file: string, options: ScriptBookOptions = {}): EngineProvider {
  return {
    name: "scripted",
    // Usage steps `via: "kimi_log"` arrive while the turn runs; any other usage only with the turn's answer.
    usageAtTurnEnd: !JSON.stringify(book).includes('"via":"kimi_log"'),
    offers: (purpose) => lookupScenario(book, purpose) !== undefined,
    specFor(purpose, runDir) {
      const found = lookupScenario(book, purpose);
      if (found === undefined) return err(missing(file, purpose));
      const scenarioFile = path.join(runDir, "scenario.json");
      try {
        mkdirSync(runDir, { recursive: true });
        writeFileAtomicSync(scenarioFile, `${JSON.stringify({ ...found.scenario, name: found.scenario.name ?? found.key }, null, 2)}\n`);
      } catch (cause) {
        return err({
          code: "run_dir_unwritable",
          message: `cannot write ${scenarioFile}: ${(cause as Error).message}`,
          fix: "check that the goal's state dir is writable (omk doctor)",
        });
      }
      // Usage steps `via: "kimi_log"` are reported while the turn runs (as kimi's session log is): the engine reads that log.
      const liveUsage = JSON.stringify(found.scenario).includes('"via":"kimi_log"');
      const agent =
        options.agent === undefined
          ? {}
          : { command: options.agent.command, args: [...options.agent.args, "--scenario", scenarioFile], versionArgs: [...options.agent.args, "--version"] };
      return ok(scriptedEngine(scenarioFile, { ...agent, ...(liveUsage ? { usageLog: "kimi_session_log" } : {}) }));
    },
  };
}

/**
 * The scripted engine playing a script book: each session plays the
 * scenario of its most specific key (see sessionKeys). Offers only the
 * purposes the book has a key for (a book without `plan` gets the
 * deterministic planner).
 */
export function scriptBookProvider(file: string, options: ScriptBookOptions = {}): Result<EngineProvider, SessionProblem> {
  const resolved = path.resolve(file);
  const book = loadScriptBook(resolved, options.schema);
  if (!book.ok) return book;
  return ok(scriptBookProviderOf(book.value, resolved, options));
}

/** JSON Schema of the script book file (docs/schemas/script-book.schema.json), keyed by file name. */
export function scriptBookJsonSchemas(): Record<string, object> {
  const { $schema, ...rest } = z.toJSONSchema(ScriptBookSchema, { target: "draft-2020-12", io: "input", unrepresentable: "throw" });
  const file = "script-book.schema.json";
  return { [file]: { $schema, $id: `https://omk.dev/schemas/${file}`, title: "OMK script book (the scripted engine's sessions for a goal)", ...rest } };
}
