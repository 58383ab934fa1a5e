/**
 * What makes a goal ambiguous: vague wording, no object a check could name,
 * and constraints that contradict the goal (or each other). Each rule yields
 * the question a person must answer; nothing here guesses.
 */
import type { GoalClass } from "@omk/state";

export type Ambiguity = {
  readonly code: "empty" | "vague" | "no_signal" | "contradiction" | "repository_mismatch";
  readonly message: string;
  readonly question: string;
};

/** Wording that names no outcome a check could test. */
const VAGUE: readonly RegExp[] = [
  /\bmake (?:it|this|that|things|everything|the (?:code|codebase|app|application|project|system|product)) (?:better|nicer|good|great|cleaner|work(?: better)?|faster|more \w+|less \w+)\b/u,
  /\bimprove (?:it|this|that|things|everything|stuff|(?:the )?(?:code|codebase|app|application|project|system|quality|code quality))\b/u,
];

/** Filler words that leave the outcome open, unless the goal names something concrete (a path, identifier, code, quote, URL, flag or version). */
const FILLER: readonly RegExp[] = [/\b(?:somehow|and so on|or something|whatever|stuff)\b/u, /\betc\.?$/u];

const STOP = new Set(
  "pls plz asap urgent urgently quickly quick a an the and or to of in on for with it its this that these those is are be been being so as at by from into our my we i you your they them should must can could would will shall all any some more less most very really please also just make makes made do does did get gets need needs want let lets us when then than not no don't do not without there here what which who how why where while if once up down out over under again further same other such only own too well now".split(
    " ",
  ),
);

/** Words that name no particular part of a project. */
const GENERIC = new Set(
  "code codebase app application project system product thing things stuff everything something anything better good great nicer nice cleaner clean quality work works working way ways bit lot overall general generally improve improved improvement improvements change changes changed update updates updated issue issues problem problems fast slow faster quick quicker whole entire".split(
    " ",
  ),
);

/** Tokens that always name something specific: paths, flags, identifiers, quoted text, numbers with units. */
const SPECIFIC =
  /(`[^`]+`|"[^"]+"|'[^']{2,}'|--[a-z][\w-]*|[\w-]+\/[\w./-]+|[\w-]+\.[a-z]{1,5}\b|\b[a-z]+[A-Z]\w*|\b\w+_\w+\b|\b\w+\(\)|\d+(?:\.\d+)?\s*(?:%|ms|s|x|kb|mb|gb)\b|#\d+)/u;

/** The words that say what kind of change a goal is (the class signals), not what it is about. */
const CLASS_WORDS = new Set(
  "fix fixes fixed fixing bug bugs crash crashes crashed crashing regression broken error errors exception exceptions failing fails fail wrong incorrect incorrectly hang hangs add adds adding added implement implements implementing introduce expose support supports provide create allow allows enable enables extend improve new rewrite rewrites rewriting port ports porting migrate migrates migrating migration reimplement re-implement convert converts translate switch move upgrade upgrades bump replace refactor refactors refactoring restructure reorganize reorganise cleanup clean-up simplify extract rename split secure security vulnerability vulnerabilities harden hardening sanitize sanitise speed speed-up speedup performance perf optimize optimise optimization slow slower latency throughput document documents documentation docs doc typo typos remove removes drop drops delete deprecate scaffold bootstrap".split(
    " ",
  ),
);

/**
 * The words of the goal that name something: what is left once class words,
 * stop words and generic words are removed, plus paths, flags, identifiers,
 * quoted text and numbers with units. Empty: nothing a check could be about.
 */
export function objectsOf(text: string): string[] {
  const specific = text.match(new RegExp(SPECIFIC.source, "gu")) ?? [];
  const words = text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s-]/gu, " ")
    .split(/\s+/u)
    .filter((w) => w.length >= 2 && !STOP.has(w) && !GENERIC.has(w) && !CLASS_WORDS.has(w) && !/^[\d'-]+$/u.test(w));
  return [...new Set([...specific, ...words])];
}

export function vagueness(text: string, objects: readonly string[], namesFacts = false): Ambiguity | undefined {
  const lower = text.toLowerCase();
  const phrase = [...VAGUE, ...(namesFacts ? [] : FILLER)].map((re) => re.exec(lower)?.[0]).find((m) => m !== undefined);
  if (phrase !== undefined) {
    return {
      code: "vague",
      message: `"${phrase}" names no outcome a check could test`,
      question: "What exactly should be different when this goal is done? Name the feature, command, file or behaviour, and how a person would check it.",
    };
  }
  if (objects.length === 0) {
    return { code: "vague", message: "the goal names nothing specific to change (no file, command, feature or behaviour)", question: "" };
  }
  return undefined;
}

/** The follow-up question for a vague goal of a class: what a check of that class needs. */
export const CLASS_QUESTIONS: Readonly<Record<Exclude<GoalClass, "mixed">, string>> = {
  bugfix: "What input or command reproduces the bug, and what should happen instead?",
  feature: "What should a user be able to do afterwards, and how would they check it?",
  greenfield: "What should the new project do first, in which language, and how is it run?",
  rewrite: "What is being rewritten, ported or migrated, to what, and which behaviour must stay compatible?",
  refactor: "Which modules or files should the refactor cover, and which behaviour must stay the same?",
  hardening: "Which weakness should be closed, and which check proves it (e.g. a test that a malicious input is refused)?",
  performance: "Which operation should be faster, by how much, and which command measures it?",
  docs: "Which documents should change, and what must they explain?",
};

const NO_NEW_DEPS =
  /\b(?:no|without|don't add|do not add|zero|avoid) (?:any )?(?:new |additional |extra |external |third[- ]party )?(?:dependenc(?:y|ies)|deps|packages|libraries)\b/u;
const ADD_DEP = [
  /\b(?:add|install|introduce|pull in|bring in|depend on|use|uses|using)\b[^.,;]{0,30}?\b(?:library|package|dependency|module|crate|gem)\b/u,
  /\b(?:npm|pnpm|yarn|bun|pip|cargo|go) (?:add|install|i|get)\s+\S+/u,
];
const NO_CODE_CHANGE =
  /\b(?:don't|do not|never|without|no) (?:change|changing|touch|touching|modify|modifying|edit|editing|changes? to) (?:any |the )?(?:source |application |production |existing )?code\b|\bno code changes?\b|\bcode (?:must|should) (?:not change|stay unchanged|remain unchanged)\b/u;
const NO_TESTS =
  /\b(?:don't|do not|without) (?:add|adding|write|writing|change|changing|touch|touching|modify|modifying) (?:any |new )?tests?\b|\bno (?:new )?tests\b/u;
const NO_BEHAVIOUR_CHANGE =
  /\bwithout changing (?:any |the )?behaviou?r\b|\bno behaviou?r(?:al)? changes?\b|\bbehaviou?r (?:must|should) (?:not change|stay the same|remain the same)\b/u;
const NO_BREAKING =
  /\b(?:no breaking changes?|backwards?[- ]compatible|(?:don't|do not|must not|mustn't) break|keep (?:the )?(?:public )?(?:api|interface) (?:stable|unchanged|the same))\b/u;
const BREAKING =
  /\b(?:remove|drop|delete|rename)(?:s|d)?\b[^.,;]{0,30}?\b(?:public|api|option|flag|command|endpoint|support|parameter|argument|field|export)s?\b/u;

const CODE_CHANGING: ReadonlySet<GoalClass> = new Set(["greenfield", "feature", "bugfix", "rewrite", "refactor", "hardening", "performance"]);
const RED_GREEN: ReadonlySet<GoalClass> = new Set(["bugfix", "feature", "hardening", "greenfield"]);

/** Constraints that cannot all hold for a goal of these classes. `text` holds the goal and its constraints. */
export function contradictions(text: string, classes: readonly GoalClass[]): Ambiguity[] {
  const lower = text.toLowerCase();
  const found: Ambiguity[] = [];
  const noDeps = NO_NEW_DEPS.exec(lower);
  const addDep = ADD_DEP.map((re) => re.exec(lower)).find((m) => m !== null && !NO_NEW_DEPS.test(m[0]));
  if (noDeps !== null && addDep !== undefined && addDep !== null) {
    found.push({
      code: "contradiction",
      message: `"${noDeps[0]}" contradicts "${addDep[0]}"`,
      question: `The goal forbids new dependencies ("${noDeps[0]}") but asks for one ("${addDep[0]}"): may a dependency be added, or must it be done without one?`,
    });
  }
  const noCode = NO_CODE_CHANGE.exec(lower);
  const coding = classes.filter((c) => CODE_CHANGING.has(c));
  if (noCode !== null && coding.length > 0) {
    found.push({
      code: "contradiction",
      message: `"${noCode[0]}" contradicts a ${coding.join(" and ")} goal, which changes code`,
      question: `The goal is a ${coding.join(" and ")} change but says "${noCode[0]}": which files may change?`,
    });
  }
  const noTests = NO_TESTS.exec(lower);
  const proven = classes.filter((c) => RED_GREEN.has(c));
  if (noTests !== null && proven.length > 0) {
    found.push({
      code: "contradiction",
      message: `"${noTests[0]}" contradicts a ${proven.join(" and ")} goal, which is proven by a new test that fails before the change`,
      question: `A ${proven.join(" and ")} goal is proven by a new test that fails before the change, but the goal says "${noTests[0]}": may a test be added?`,
    });
  }
  const noBehaviour = NO_BEHAVIOUR_CHANGE.exec(lower);
  const behavioural = classes.filter((c) => c === "bugfix" || c === "feature");
  if (noBehaviour !== null && behavioural.length > 0) {
    found.push({
      code: "contradiction",
      message: `"${noBehaviour[0]}" contradicts a ${behavioural.join(" and ")} goal, which changes behaviour`,
      question: `A ${behavioural.join(" and ")} goal changes behaviour, but the goal says "${noBehaviour[0]}": which behaviour must stay the same?`,
    });
  }
  const noBreaking = NO_BREAKING.exec(lower);
  const breaking = BREAKING.exec(lower);
  if (noBreaking !== null && breaking !== null) {
    found.push({
      code: "contradiction",
      message: `"${breaking[0]}" is a breaking change, but the goal says "${noBreaking[0]}"`,
      question: `"${breaking[0]}" breaks existing users, but the goal says "${noBreaking[0]}": which one wins, or how should the old form keep working?`,
    });
  }
  return found;
}

/** Phrases in the goal that constrain how it may be done (recorded as constraints of the plan). */
export function constraintPhrases(text: string): string[] {
  const lower = text.toLowerCase();
  return [
    NO_NEW_DEPS,
    NO_CODE_CHANGE,
    NO_TESTS,
    NO_BEHAVIOUR_CHANGE,
    NO_BREAKING,
    /\bwithout changing (?:the |its |any )?(?:external |existing |observable |public )?(?:behaviou?r|api|interface)\b/u,
  ]
    .map((re) => re.exec(lower)?.[0])
    .filter((m): m is string => m !== undefined);
}
