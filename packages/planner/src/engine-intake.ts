/**
 * Engine-assisted intake: when the deterministic classifier is unsure, the
 * engine is asked (through a port the controller fills) to classify the goal
 * and propose what a check should show. The answer is found like a plan's
 * (extractAnswer), validated with zod, and then judged against the
 * deterministic reading by fixed rules; the result, both readings and why
 * are an `IntakeDecision` (recorded by the controller as `intake_decided`).
 *
 * Asked only when unsure (see docs/decisions/planner.md, "engine-assisted
 * intake"):
 *   - blocked with no class signal, or several weak ones that tie (and no
 *     other reason: vague wording, contradictions and the repository need a
 *     person, not an engine);
 *   - classified by weak signals only;
 *   - classified as mixed (keyword readings overcount: "add a FAQ page to
 *     the docs" reads as feature + docs).
 * Rules:
 *   - the engine classifies: its classes are taken (the text said nothing
 *     sure); when it agrees with a weak reading, the deterministic reading
 *     stands, confirmed; a mixed reading may only be narrowed (the engine's
 *     classes must be some of the keyword classes, else the keyword reading
 *     stands: strong signals are not overruled);
 *   - the engine says a person must answer: blocked, with its question
 *     (not over a strong mixed reading, which stands);
 *   - the answer is invalid (no JSON, a schema error) or the engine failed:
 *     the deterministic reading stands, with the errors recorded.
 * One question, one answer: no retry (a retry costs a session for a
 * decision the deterministic path can already make or block on).
 */
import { GOAL_CLASSES, INTAKE_TEXT_MAX, type IntakeDecision } from "@omk/state";
import { z } from "zod";
import { extractAnswer, type SessionAnswer, schemaIssues } from "./answer.js";
import type { Intake } from "./intake.js";
import { describeInspection, type RepoInspection } from "./inspection.js";
import { CLASS_LABELS } from "./internal/signals.js";

type Concrete = Exclude<(typeof GOAL_CLASSES)[number], "mixed">;
const CONCRETE = GOAL_CLASSES.filter((c): c is Concrete => c !== "mixed");
const ConcreteSchema = z.enum(CONCRETE as [Concrete, ...Concrete[]]);

/** What the engine must answer with. */
const EngineIntakeAnswerSchema = z.discriminatedUnion("status", [
  z.strictObject({
    status: z.literal("classified"),
    classes: z.array(ConcreteSchema).min(1).max(3).describe("the goal's kinds of change; several only when the goal asks for several"),
    reason: z.string().min(1).max(INTAKE_TEXT_MAX),
    acceptance: z.array(z.string().min(1).max(INTAKE_TEXT_MAX)).max(10).default([]).describe("what a check should show when the goal is done"),
  }),
  z.strictObject({
    status: z.literal("needs_human"),
    question: z.string().min(1).max(INTAKE_TEXT_MAX).describe("the one question a person must answer"),
    reason: z.string().min(1).max(INTAKE_TEXT_MAX),
  }),
]);

/** The port: one read-only engine session, its answer. A throw is a failed engine (the deterministic reading stands). */
export type AskIntake = (prompt: string) => Promise<string | SessionAnswer>;

/** Why the deterministic reading is unsure (the engine should be asked), or undefined when it is sure or only a person can answer. */
export function intakeDoubt(reading: Intake): string | undefined {
  if (reading.status === "blocked_on_human") {
    if (reading.reasons.length === 0 || !reading.reasons.every((r) => r.code === "no_signal")) return undefined;
    return reading.reasons.map((r) => r.message).join("; ");
  }
  if (reading.goalClass === "mixed" && reading.strength === "strong")
    return `read as several kinds of change (${reading.classes.map((c) => CLASS_LABELS[c]).join(", ")})`;
  if (reading.strength === "weak") {
    const weak = reading.signals.filter((s) => s.class !== null && s.source === "text").map((s) => `"${s.match}"`);
    return `classified as ${reading.classes.map((c) => CLASS_LABELS[c]).join(" and ")} by weak signals only (${weak.join(", ") || "none"})`;
  }
  return undefined;
}

export function buildIntakePrompt(reading: Intake, inspection: RepoInspection | null): string {
  const facts = Object.entries(reading.facts)
    .filter(([, v]) => v.length > 0)
    .map(([k, v]) => `- ${k}: ${v.join(", ")}`);
  const lines = [
    "Classify this software goal: which kind of change does it ask for? Answer with JSON only. Do not change any file.",
    "",
    "Goal (the user's words):",
    reading.text.trim(),
    "",
    "Kinds of change:",
    "- greenfield: a new project or program, in an empty repository or explicitly from scratch",
    "- feature: new behaviour in an existing project",
    "- bugfix: existing behaviour is wrong (a crash, a wrong result, an error) and must be corrected",
    "- rewrite: a port, rewrite or migration to another language, framework, library or major version, keeping behaviour",
    "- refactor: a change of structure with no change of behaviour (tests only, renames, splitting modules)",
    "- hardening: a security weakness to close",
    "- performance: faster, or less memory, measurably",
    "- docs: documentation only",
    "",
    ...(facts.length > 0 ? ["What the goal names:", ...facts, ""] : []),
    ...(inspection === null ? [] : ["The repository:", ...describeInspection(inspection), ""]),
    `A keyword classifier was unsure: ${intakeDoubt(reading) ?? "no doubt recorded"}.`,
    "",
    'If the goal says what to change clearly enough to check it, answer {"status":"classified","classes":["<kind>"],"reason":"<one line>","acceptance":["<what a test or command would show when it is done>"]}.',
    'Only if a person must decide (the goal names nothing to check, or is contradictory) answer {"status":"needs_human","question":"<the one question to ask>","reason":"<one line>"}.',
    "Use several classes only when the goal asks for several kinds of change.",
  ];
  return lines.join("\n");
}

function concreteOf(reading: Intake): Concrete[] {
  return reading.status === "classified" ? [...reading.classes] : [...reading.candidates];
}

function deterministicPart(reading: Intake, why: string): IntakeDecision["deterministic"] {
  return reading.status === "classified"
    ? { status: "classified", classes: concreteOf(reading), strength: reading.strength === "strong" ? "strong" : "weak", why }
    : { status: "blocked_on_human", classes: concreteOf(reading), why };
}

const clip = (s: string): string => (s.length > INTAKE_TEXT_MAX ? `${s.slice(0, INTAKE_TEXT_MAX - 1)}…` : s);

/** The deterministic reading stands: the engine's answer was not taken. */
function fallback(reading: Intake, why: string, engine: IntakeDecision["engine"], reason: string): IntakeDecision {
  return {
    text: reading.text,
    decidedBy: "deterministic",
    status: reading.status,
    classes: reading.status === "classified" ? [...reading.classes] : [],
    reason,
    deterministic: deterministicPart(reading, why),
    engine,
  };
}

/** Judge the engine's reply against the deterministic reading (the rules above). */
export function decideIntake(reading: Intake, why: string, reply: { ok: true; answer: string | SessionAnswer } | { ok: false; error: string }): IntakeDecision {
  if (!reply.ok)
    return fallback(reading, why, { outcome: "failed", errors: [clip(reply.error)] }, `the engine failed (${clip(reply.error)}); the keyword reading stands`);
  const json = extractAnswer(reply.answer);
  if (!json.ok)
    return fallback(
      reading,
      why,
      { outcome: "invalid_answer", errors: [json.error.message] },
      `the engine's answer was not valid: ${json.error.message}; the keyword reading stands`,
    );
  const parsed = EngineIntakeAnswerSchema.safeParse(json.value);
  if (!parsed.success) {
    const errors = schemaIssues(parsed.error);
    return fallback(
      reading,
      why,
      { outcome: "invalid_answer", errors },
      `the engine's answer was not valid: ${errors.slice(0, 3).join("; ")}; the keyword reading stands`,
    );
  }
  const a = parsed.data;
  const strongMixed = reading.status === "classified" && reading.goalClass === "mixed" && reading.strength === "strong";
  if (a.status === "needs_human" && strongMixed) {
    return fallback(
      reading,
      why,
      { outcome: "needs_human", reason: a.reason, question: a.question },
      "the engine asks a person, but the keyword reading's signals are strong; the keyword reading stands",
    );
  }
  if (a.status === "needs_human") {
    return {
      text: reading.text,
      decidedBy: "engine",
      status: "blocked_on_human",
      classes: [],
      reason: `the engine says a person must answer: ${a.reason}`,
      deterministic: deterministicPart(reading, why),
      engine: { outcome: "needs_human", reason: a.reason, question: a.question },
    };
  }
  const classes = CONCRETE.filter((c) => a.classes.includes(c));
  const engine: IntakeDecision["engine"] = { outcome: "classified", classes, reason: a.reason, acceptance: a.acceptance };
  const same = reading.status === "classified" && reading.classes.length === classes.length && reading.classes.every((c) => classes.includes(c));
  if (same) return fallback(reading, why, engine, "the engine agrees with the keyword reading");
  if (strongMixed && reading.status === "classified" && !classes.every((c) => reading.classes.includes(c))) {
    return fallback(
      reading,
      why,
      engine,
      `the engine's reading (${classes.join(", ")}) is not a narrowing of the keyword reading (${reading.classes.join(", ")}), whose signals are strong; the keyword reading stands`,
    );
  }
  return {
    text: reading.text,
    decidedBy: "engine",
    status: "classified",
    classes,
    reason:
      reading.status === "classified"
        ? `the keyword reading (${reading.classes.join(", ")}) was ${reading.goalClass === "mixed" ? "several kinds of change" : "on weak signals"}; the engine read the whole goal as ${classes.join(", ")}: ${a.reason}`
        : `the keywords named no kind of change; the engine read the goal as ${classes.join(", ")}: ${a.reason}`,
    deterministic: deterministicPart(reading, why),
    engine,
  };
}

/** Ask the engine about an unsure reading and decide; undefined when the reading is sure (nothing asked). */
export async function askEngineIntake(reading: Intake, inspection: RepoInspection | null, ask: AskIntake): Promise<IntakeDecision | undefined> {
  const why = intakeDoubt(reading);
  if (why === undefined) return undefined;
  let reply: { ok: true; answer: string | SessionAnswer } | { ok: false; error: string };
  try {
    reply = { ok: true, answer: await ask(buildIntakePrompt(reading, inspection)) };
  } catch (cause) {
    reply = { ok: false, error: (cause as Error).message };
  }
  return decideIntake(reading, why, reply);
}
