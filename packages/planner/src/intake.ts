/**
 * Intake: normalize the goal text, classify it, and decide whether it can be
 * planned at all. A goal is classified only from recorded signals (phrases
 * of the text, repository facts); an ambiguous goal becomes
 * `blocked_on_human` with the questions a person must answer, never a guess.
 *
 * Classification: every signal rule (internal/signals.ts) that matches adds
 * its weight to its class. Classes with 2 or more are the goal's classes
 * (several: `mixed`). When none reaches 2, a single class with a weak signal
 * is taken; several weak ones tie and block. An empty repository adds a
 * greenfield signal.
 *
 * Blocking: empty text; vague wording ("make it better", "improve the
 * code"); no object a check could name once signal, stop and generic words
 * are removed ("fix the crash"); no signal at all; contradictory constraints
 * (no new dependencies + add a library; no code changes + a code-changing
 * class; no tests + a class proven by a red → green test; no behaviour
 * change + a bug fix or feature; no breaking change + removing public API);
 * a code goal on a repository with no source file.
 */
import { GOAL_CLASSES, type GoalClass, GoalClassSchema, normalizeGoalText } from "@omk/state";
import { z } from "zod";
import type { RepoInspection } from "./inspection.js";
import { type Ambiguity, CLASS_QUESTIONS, constraintPhrases, contradictions, objectsOf, vagueness } from "./internal/ambiguity.js";
import { CLASS_LABELS, SIGNAL_RULES } from "./internal/signals.js";

export const SignalSchema = z.object({
  class: GoalClassSchema.nullable().describe("the class it points to; null for a constraint"),
  source: z.enum(["text", "constraint", "repository"]),
  match: z.string().min(1).describe("the phrase matched, or the repository fact"),
  weight: z.number().int().nonnegative(),
});
export type Signal = z.infer<typeof SignalSchema>;

const AmbiguitySchema = z.object({
  code: z.enum(["empty", "vague", "no_signal", "contradiction", "repository_mismatch"]),
  message: z.string(),
  question: z.string(),
});

const ConcreteClassSchema = GoalClassSchema.exclude(["mixed"]);

export const IntakeSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("classified"),
    text: z.string(),
    normalizedText: z.string(),
    goalClass: GoalClassSchema,
    classes: z.array(ConcreteClassSchema).min(1),
    strength: z.enum(["strong", "weak"]).describe("weak: classified by a weak signal only"),
    signals: z.array(SignalSchema),
    objects: z.array(z.string()).describe("what the goal names: the words a check can be about"),
    constraints: z.array(z.string()),
  }),
  z.object({
    status: z.literal("blocked_on_human"),
    text: z.string(),
    normalizedText: z.string(),
    candidates: z.array(ConcreteClassSchema),
    signals: z.array(SignalSchema),
    reasons: z.array(AmbiguitySchema).min(1),
    questions: z.array(z.string().min(1)).min(1),
  }),
]);
export type Intake = z.infer<typeof IntakeSchema>;
export type ClassifiedIntake = Extract<Intake, { status: "classified" }>;

export type IntakeInput = {
  readonly text: string;
  /** The goal's constraints (GoalSpec.constraints), checked with the text for contradictions. */
  readonly constraints?: readonly string[];
  /** Repository facts; without them the repository checks are skipped. */
  readonly inspection?: RepoInspection | null;
};

type ConcreteClass = z.infer<typeof ConcreteClassSchema>;
const ORDER = GOAL_CLASSES.filter((c): c is ConcreteClass => c !== "mixed");

function matchSignals(lower: string, source: "text" | "constraint"): Signal[] {
  const signals: Signal[] = [];
  for (const rule of SIGNAL_RULES) {
    const m = rule.pattern.exec(lower);
    if (m !== null) signals.push({ class: rule.class, source, match: m[0].trim(), weight: rule.weight });
  }
  return signals;
}

function score(signals: readonly Signal[]): Map<ConcreteClass, number> {
  const scores = new Map<ConcreteClass, number>();
  for (const s of signals) {
    if (s.class === null || s.class === "mixed") continue;
    scores.set(s.class, (scores.get(s.class) ?? 0) + s.weight);
  }
  return scores;
}

export function intake(input: IntakeInput): Intake {
  const text = input.text;
  const normalizedText = normalizeGoalText(text);
  const constraints = (input.constraints ?? []).map(normalizeGoalText).filter((c) => c !== "");
  const inspection = input.inspection ?? null;
  const blocked = (reasons: Ambiguity[], signals: Signal[], candidates: ConcreteClass[]): Intake => ({
    status: "blocked_on_human",
    text,
    normalizedText,
    candidates,
    signals,
    reasons,
    questions: [...new Set(reasons.map((r) => r.question).filter((q) => q !== ""))],
  });

  if (normalizedText === "") {
    return blocked([{ code: "empty", message: "the goal text is empty", question: "What should this goal achieve, and how will we know it is done?" }], [], []);
  }
  const lower = normalizedText.toLowerCase();
  const signals = matchSignals(lower, "text");
  for (const phrase of [...constraintPhrases(lower), ...constraints.flatMap((c) => constraintPhrases(c.toLowerCase()))]) {
    signals.push({ class: null, source: "constraint", match: phrase, weight: 0 });
  }
  if (inspection?.empty === true) signals.push({ class: "greenfield", source: "repository", match: "the repository has no source file", weight: 2 });

  const scores = score(signals);
  const strong = ORDER.filter((c) => (scores.get(c) ?? 0) >= 2);
  const weak = ORDER.filter((c) => (scores.get(c) ?? 0) === 1);
  // The empty-repository signal alone does not make a goal greenfield when the text points elsewhere.
  const textStrong = strong.filter((c) => signals.some((s) => s.class === c && s.source === "text"));
  let classes: ConcreteClass[] = textStrong.length > 0 ? textStrong : strong;
  const strength: "strong" | "weak" = classes.length > 0 ? "strong" : "weak";
  if (classes.length === 0 && weak.length === 1) classes = weak;
  const candidates = classes.length > 0 ? classes : weak;

  const reasons: Ambiguity[] = [];
  const objects = objectsOf(normalizedText);
  const vague = vagueness(normalizedText, objects);
  if (vague !== undefined) {
    const classQuestions = candidates.map((c) => CLASS_QUESTIONS[c]);
    reasons.push({ ...vague, question: vague.question === "" ? (classQuestions[0] ?? CLASS_QUESTIONS.feature) : vague.question });
    for (const q of classQuestions.slice(vague.question === "" ? 1 : 0)) reasons.push({ code: "vague", message: vague.message, question: q });
  }
  if (classes.length === 0) {
    reasons.push({
      code: "no_signal",
      message: weak.length > 1 ? `the goal reads as several kinds of change (${weak.map((c) => CLASS_LABELS[c]).join(", ")}) and none clearly` : "no word of the goal says what kind of change it is",
      question: `What kind of change is this (${ORDER.map((c) => CLASS_LABELS[c]).join(", ")}), and what observable behaviour should be different afterwards?`,
    });
  }
  reasons.push(...contradictions([lower, ...constraints.map((c) => c.toLowerCase())].join(". "), classes));
  if (inspection?.empty === true && classes.length > 0 && !classes.includes("greenfield") && !classes.every((c) => c === "docs")) {
    reasons.push({
      code: "repository_mismatch",
      message: `the goal is a ${classes.map((c) => CLASS_LABELS[c]).join(" and ")} change, but the repository has no source file`,
      question: "The repository has no source code: is this the right repository, or is this a new project (say so in the goal)?",
    });
  }
  if (reasons.length > 0) return blocked(reasons, signals, candidates);
  return {
    status: "classified",
    text,
    normalizedText,
    goalClass: classes.length > 1 ? "mixed" : (classes[0] as GoalClass),
    classes,
    strength,
    signals,
    objects,
    constraints: [...new Set([...constraints, ...constraintPhrases(lower)])],
  };
}
