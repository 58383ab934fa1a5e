/**
 * Intake: normalize the goal text, classify it, and decide whether it can be
 * planned at all. A goal is classified only from recorded signals (phrases
 * of the text, repository facts); an ambiguous goal becomes
 * `blocked_on_human` with the questions a person must answer, never a guess.
 *
 * Reading (docs/decisions/planner.md, choice 12): identifiers, code spans,
 * quoted text, paths, URLs, flags and versions are taken out first and kept
 * as `facts` (internal/tokens.ts); typos of intent words are read as the
 * word; sentences are cut into main and constraint clauses
 * (internal/clauses.ts), and the main clauses are read first.
 *
 * Classification: every signal rule (internal/signals.ts) that matches adds
 * its weight to its class. Classes with 2 or more are the goal's classes
 * (several: `mixed`). When none reaches 2, a single class with a weak signal
 * is taken; among several weak ones the main clause's leading verb decides,
 * else they tie and block. An empty repository adds a greenfield signal.
 * An engine's classification (engine-intake.ts), when given, replaces the
 * text's classes; every other check still runs.
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
import { creationPhrase, isImperative, leadVerb, splitClauses } from "./internal/clauses.js";
import { CLASS_LABELS, SIGNAL_RULES } from "./internal/signals.js";
import { type GoalFacts, tokenise } from "./internal/tokens.js";

export const SignalSchema = z.object({
  class: GoalClassSchema.nullable().describe("the class it points to; null for a constraint"),
  source: z.enum(["text", "constraint", "repository", "engine"]).describe("engine: the engine's classification, taken when the text alone did not decide"),
  match: z.string().min(1).describe("the phrase matched, or the repository fact"),
  weight: z.number().int().nonnegative(),
});
type Signal = z.infer<typeof SignalSchema>;

const AmbiguitySchema = z.object({
  code: z.enum(["empty", "vague", "no_signal", "contradiction", "repository_mismatch"]),
  message: z.string(),
  question: z.string(),
});

const ConcreteClassSchema = GoalClassSchema.exclude(["mixed"]);

/** What the goal names, taken out of the text before its intent words are read (internal/tokens.ts). */
const GoalFactsSchema = z.object({
  paths: z.array(z.string()).describe("file and folder paths, globs and routes: src/x.js, ./a, *.ts, /api/users"),
  identifiers: z.array(z.string()).describe("calls, camelCase, PascalCase, snake_case and dotted names: add(), parseDate, get_user, process.env.X"),
  codeSpans: z.array(z.string()),
  quoted: z.array(z.string()),
  urls: z.array(z.string()),
  flags: z.array(z.string()),
  versions: z.array(z.string()),
});

const IntakeSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("classified"),
    text: z.string(),
    normalizedText: z.string(),
    goalClass: GoalClassSchema,
    classes: z.array(ConcreteClassSchema).min(1),
    strength: z
      .enum(["strong", "weak", "engine"])
      .describe("weak: classified by a weak signal only; engine: by the engine's reading, the text's signals being unsure"),
    signals: z.array(SignalSchema),
    objects: z.array(z.string()).describe("what the goal names: the words a check can be about"),
    constraints: z.array(z.string()),
    facts: GoalFactsSchema,
  }),
  z.object({
    status: z.literal("blocked_on_human"),
    text: z.string(),
    normalizedText: z.string(),
    candidates: z.array(ConcreteClassSchema),
    signals: z.array(SignalSchema),
    reasons: z.array(AmbiguitySchema).min(1),
    questions: z.array(z.string().min(1)).min(1),
    facts: GoalFactsSchema,
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
  /**
   * The engine's classification, taken instead of the text's signals (see
   * engine-intake.ts: asked only when the signals were unsure). Every other
   * check still runs: vague wording, contradictions, the repository.
   */
  readonly engine?: { readonly classes: readonly ConcreteClass[]; readonly reason: string };
};

type ConcreteClass = z.infer<typeof ConcreteClassSchema>;

/**
 * The characters of a goal read for its kind of change (the intent is in its
 * first sentences; a pasted log after them adds facts, not intent). Bounds
 * the cost of the signal patterns, some of which are quadratic on one very
 * long word (16 000 characters of one word took 1.9 s).
 */
const READ_CHARS = 8000;
const ORDER = GOAL_CLASSES.filter((c): c is ConcreteClass => c !== "mixed");

/** Each rule once, in the first clause it matches; a descriptive rule is not read in a clause that gives an order. */
function matchSignals(clauses: readonly string[]): Signal[] {
  const signals: Signal[] = [];
  for (const rule of SIGNAL_RULES) {
    for (const clause of clauses) {
      if (rule.descriptive === true && isImperative(clause)) continue;
      const m = rule.pattern.exec(clause);
      if (m === null) continue;
      signals.push({ class: rule.class, source: "text", match: m[0].trim(), weight: rule.weight });
      break;
    }
  }
  return signals;
}

/** Facts that are themselves signals: an exception's name (TypeError, KeyError) is a bug report; a complexity (O(n^2)) is a performance goal. */
function factSignals(facts: GoalFacts): Signal[] {
  const signals: Signal[] = [];
  const error = facts.identifiers.find((id) => /^[A-Z]\w*(?:Error|Exception)$/u.test(id));
  if (error !== undefined) signals.push({ class: "bugfix", source: "text", match: error, weight: 2 });
  const complexity = facts.identifiers.find((id) => /^O\(/u.test(id));
  if (complexity !== undefined) signals.push({ class: "performance", source: "text", match: complexity, weight: 2 });
  const broken = [...facts.paths, ...facts.urls, ...facts.quoted].find((f) => /\b(?:undefined|null|NaN)\b|\[object Object\]/u.test(f));
  if (broken !== undefined) signals.push({ class: "bugfix", source: "text", match: broken, weight: 1 });
  const doc = facts.paths.find((p) => /\.(?:mdx?|rst|adoc)$/iu.test(p));
  if (doc !== undefined) signals.push({ class: "docs", source: "text", match: doc, weight: 2 });
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

/** Verbs that only say "more of something": in a tie they defer to the one class the rest of the clause names ("add caching" is performance). */
const GENERIC_VERBS = new Set(["add", "implement", "introduce", "support", "enable", "provide"]);

type Reading = { signals: Signal[]; classes: ConcreteClass[]; strength: "strong" | "weak"; weak: ConcreteClass[] };

/**
 * Classes from text signals: strong ones (score >= 2); else a single weak
 * one; else, among several weak ones, the class of the main clause's leading
 * verb; else, with no signal at all, the leading verb's class alone (weak).
 */
function read(matched: readonly string[], clauses: readonly string[], facts: GoalFacts, emptyRepo: boolean): Reading {
  const signals = [...matchSignals(matched), ...factSignals(facts)];
  for (const clause of clauses) {
    const phrase = creationPhrase(clause);
    if (phrase !== undefined) {
      signals.push({ class: emptyRepo ? "greenfield" : "feature", source: "text", match: phrase, weight: 2 });
      break;
    }
  }
  const scores = score(signals);
  let strong = ORDER.filter((c) => (scores.get(c) ?? 0) >= 2);
  // A new project is built with its features: greenfield covers them.
  if (strong.includes("greenfield")) strong = strong.filter((c) => c !== "feature");
  const weak = ORDER.filter((c) => (scores.get(c) ?? 0) === 1);
  if (strong.length > 0) return { signals, classes: strong, strength: "strong", weak };
  if (weak.length === 1) return { signals, classes: weak, strength: "weak", weak };
  const lead = clauses.map(leadVerb).find((v) => v !== undefined);
  if (lead === undefined) return { signals, classes: [], strength: "weak", weak };
  if (weak.length === 0)
    return {
      signals: [...signals, { class: lead.class, source: "text", match: `${lead.verb} (leading verb)`, weight: 1 }],
      classes: [lead.class],
      strength: "weak",
      weak,
    };
  const others = weak.filter((c) => c !== lead.class);
  const pick = weak.includes(lead.class) ? (GENERIC_VERBS.has(lead.verb) && others.length === 1 ? (others[0] as ConcreteClass) : lead.class) : undefined;
  if (pick === undefined) return { signals, classes: [], strength: "weak", weak };
  return {
    signals: [...signals, { class: pick, source: "text", match: `${lead.verb} (leading verb decides between ${weak.join(", ")})`, weight: 0 }],
    classes: [pick],
    strength: "weak",
    weak,
  };
}

export function intake(input: IntakeInput): Intake {
  const text = input.text;
  const normalizedText = normalizeGoalText(text);
  const constraints = (input.constraints ?? []).map(normalizeGoalText).filter((c) => c !== "");
  const inspection = input.inspection ?? null;
  const tokens = tokenise(normalizedText.slice(0, READ_CHARS));
  const clauses = splitClauses(tokens.prose);
  const blocked = (reasons: Ambiguity[], signals: Signal[], candidates: ConcreteClass[]): Intake => ({
    status: "blocked_on_human",
    text,
    normalizedText,
    candidates,
    signals,
    reasons,
    questions: [...new Set(reasons.map((r) => r.question).filter((q) => q !== ""))],
    facts: tokens.facts,
  });

  if (normalizedText === "") {
    return blocked([{ code: "empty", message: "the goal text is empty", question: "What should this goal achieve, and how will we know it is done?" }], [], []);
  }
  const lower = normalizedText.toLowerCase();
  const emptyRepo = inspection?.empty === true;
  // Main clauses decide; constraint clauses ("so that", "without", "keeping") are read only when the main ones say nothing.
  let reading = read(clauses.main, clauses.main, tokens.facts, emptyRepo);
  if (reading.classes.length === 0 && clauses.constraint.length > 0) {
    const all = read([...clauses.main, ...clauses.constraint], clauses.main, tokens.facts, emptyRepo);
    if (all.classes.length > 0 || all.weak.length > reading.weak.length) reading = all;
  }
  const signals = reading.signals;
  for (const phrase of [...constraintPhrases(lower), ...constraints.flatMap((c) => constraintPhrases(c.toLowerCase()))]) {
    signals.push({ class: null, source: "constraint", match: phrase, weight: 0 });
  }
  for (const [written, meant] of tokens.corrections) signals.push({ class: null, source: "text", match: `"${written}" read as "${meant}"`, weight: 0 });
  let classes: ConcreteClass[] = reading.classes;
  let strength: "strong" | "weak" | "engine" = reading.strength;
  if (input.engine !== undefined && input.engine.classes.length > 0) {
    classes = ORDER.filter((c) => input.engine?.classes.includes(c));
    strength = "engine";
    for (const c of classes) signals.push({ class: c, source: "engine", match: input.engine.reason.slice(0, 200) || "the engine's classification", weight: 2 });
  }
  // The empty repository is a greenfield signal of its own; it does not override a class the text names.
  if (emptyRepo) {
    signals.push({ class: "greenfield", source: "repository", match: "the repository has no source file", weight: 2 });
    if (strength !== "engine" && (classes.length === 0 || strength === "weak")) {
      classes = ["greenfield"];
      strength = "strong";
    }
  }
  const weak = reading.weak;
  const candidates = classes.length > 0 ? classes : weak;

  const reasons: Ambiguity[] = [];
  const objects = objectsOf(normalizedText);
  const vague = vagueness(
    normalizedText,
    objects,
    Object.values(tokens.facts).some((list) => list.length > 0),
  );
  if (vague !== undefined) {
    const classQuestions = candidates.map((c) => CLASS_QUESTIONS[c]);
    reasons.push({ ...vague, question: vague.question === "" ? (classQuestions[0] ?? CLASS_QUESTIONS.feature) : vague.question });
    for (const q of classQuestions.slice(vague.question === "" ? 1 : 0)) reasons.push({ code: "vague", message: vague.message, question: q });
  }
  if (classes.length === 0) {
    reasons.push({
      code: "no_signal",
      message:
        weak.length > 1
          ? `the goal reads as several kinds of change (${weak.map((c) => CLASS_LABELS[c]).join(", ")}) and none clearly`
          : "no word of the goal says what kind of change it is",
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
    facts: tokens.facts,
  };
}
