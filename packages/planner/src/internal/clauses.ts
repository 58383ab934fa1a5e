/**
 * The shape of a goal's sentences: which clauses say what to do (main
 * clauses) and which only constrain it ("so that ...", "without ...",
 * "keeping ..."), and the main clause's leading verb. Works on the
 * tokenised prose (internal/tokens.ts). Pure.
 */
import type { GoalClass } from "@omk/state";

type Concrete = Exclude<GoalClass, "mixed">;

/** Words that open a constraint clause: what follows them limits the change, it does not say which kind it is. */
const CONSTRAINT_MARKER =
  /(?:,\s*)?\b(?:so that|such that|without|keeping|while keeping|but keep(?:ing)?|and keep(?:ing)?|as long as|except(?: for)?|(?:and )?make sure|(?:and )?making sure|ensuring|while preserving|preserving|but (?:do not|don't|never)|(?:and )?do not|(?:and )?don't)\b/u;

/** A topic label before the instruction ("webhooks: send a POST ..."): a clause of its own, so the verb after it leads (not a conventional-commit type, which is a signal). */
const LABEL = /^(?!(?:feat|feature|fix|perf|docs?|refactor|tests?|security|chore|build|ci|style)(?:\([^)]*\))?!?:)([\w ./_-]{1,30}): /u;

/** Verbs that open an order: a clause opening with one asks for a change, it does not report what happens. */
const IMPERATIVE =
  /^(?:don't|do not|never|avoid|stop|use|make|show|return|sort|group|print|display|order|put|let|have|change|set|keep|move|send|render|reorgani[sz]e|turn|treat|prefer|store|read|write|call|pass|throw|log|emit)\b/u;

/** Whether a clause gives an order (opens with a verb) rather than reporting what happens. */
export function isImperative(clause: string): boolean {
  return IMPERATIVE.test(clause) || leadVerb(clause) !== undefined;
}

/** Lead-ins before the verb of an imperative: "please", "can you", "I want to", "we need to". */
const LEAD_IN =
  /^(?:(?:please|pls|plz|kindly|todo:?|task:?|goal:?)\s+|(?:can|could|would) you(?: please)?\s+|(?:i|we) (?:want|need|would like|'d like) to\s+|(?:i|we)'d like to\s+|let's\s+|we should\s+|you should\s+|need to\s+|should\s+)+/u;

/** A clause's leading verb and the class it points to. Verbs that name no class ("make", "update", "change") are not here. */
const LEAD_VERBS: ReadonlyArray<readonly [Concrete, RegExp]> = [
  ["bugfix", /^(?:fix|fixes|repair|resolve|debug|correct|patch)$/u],
  [
    "feature",
    /^(?:add|implement|support|allow|enable|introduce|expose|provide|create|build|develop|send|notify|show|display|export|import|sync|generate|accept|lock|unlock|disable|hide|toggle|highlight|remember|warn|prompt|confirm|preview|autosave|autocomplete|paginate|filter|sort|search|schedule|offer)$/u,
  ],
  ["rewrite", /^(?:port|migrate|convert|rewrite|translate|upgrade|bump|switch|replace|reimplement|re-implement)$/u],
  [
    "refactor",
    /^(?:refactor|restructure|reorganize|reorganise|extract|rename|split|simplify|clean|cleanup|tidy|dedupe|deduplicate|inline|decouple|modularize|modularise|consolidate|unify|decompose|untangle)$/u,
  ],
  ["hardening", /^(?:harden|sanitize|sanitise|secure|escape|encrypt|hash|protect)$/u],
  ["performance", /^(?:optimize|optimise|speed|accelerate|parallelize|parallelise|memoize|memoise|cache)$/u],
  ["docs", /^(?:document|explain|describe)$/u],
];

/** Nouns of something built whole: "build a CLI", "write a small python script", "I want a todo app". */
const ARTIFACT =
  "(?:cli|tool|app|application|web ?app|monorepo|crate|service|micro-?service|script|library|lib|package|website|site|web ?site|api|server|bot|game|program|utility|extension|plugin|dashboard|crawler|scraper|calculator)";
const CREATION = new RegExp(
  `^(?:(?:build|create|make|write|develop|code|set up|start|i want|we want|i need|we need|i'd like|we'd like) (?:me |us )?(?:a|an)|(?:a|an)) (?:[\\w+.#-]+ ){0,3}?${ARTIFACT}\\b`,
  "u",
);

export type Clauses = {
  /** Clauses that say what to do, lead-ins removed. */
  readonly main: string[];
  /** Clauses that only constrain the change. */
  readonly constraint: string[];
};

export function splitClauses(prose: string): Clauses {
  const main: string[] = [];
  const constraint: string[] = [];
  for (const sentence of prose.split(/(?<=[.!?;])\s+|\n+/u)) {
    const s = sentence.trim();
    if (s === "") continue;
    const found = CONSTRAINT_MARKER.exec(s);
    // A sentence that opens with the marker ("don't log the key") is itself an instruction.
    const m = found !== null && found.index > 0 ? found : null;
    let head = (m === null ? s : s.slice(0, m.index)).trim();
    const label = LABEL.exec(head);
    if (label !== null) {
      main.push((label[1] ?? "").trim());
      head = head.slice(label[0].length);
    }
    head = head.replace(LEAD_IN, "");
    if (m !== null) constraint.push(s.slice(m.index).replace(/^,\s*/u, "").trim());
    if (head !== "") main.push(head);
  }
  return { main, constraint };
}

/** The class a main clause's leading verb points to, with the verb. */
export function leadVerb(clause: string): { class: Concrete; verb: string } | undefined {
  const first = /^[a-z-]+/u.exec(clause)?.[0];
  if (first === undefined) return undefined;
  const found = LEAD_VERBS.find(([, re]) => re.test(first));
  return found === undefined ? undefined : { class: found[0], verb: first };
}

/** "build a CLI ...": a main clause that asks for a whole new program. */
export function creationPhrase(clause: string): string | undefined {
  return CREATION.exec(clause)?.[0];
}
