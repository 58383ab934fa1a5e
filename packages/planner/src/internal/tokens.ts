/**
 * Tokenising a goal before its intent words are read. What a user names
 * (identifiers, `code spans`, quoted text, paths, URLs, flags, version
 * numbers) is taken out of the prose and kept as facts; each is replaced by
 * a placeholder word (`_ident_`, `_path_`, ...) so the sentence keeps its
 * shape ("fix _ident_ in _path_") and no identifier is read as a verb
 * (`add()` is not "add", `src/add.js` is not "add", `UserService` is not a
 * word at all). Then intent words with a typo are read as the word meant
 * ("implment", "refactr", "docuemnt"), within one edit on a fixed list of
 * long, distinctive intent words. Pure.
 */

export type GoalFacts = {
  readonly paths: string[];
  readonly identifiers: string[];
  readonly codeSpans: string[];
  readonly quoted: string[];
  readonly urls: string[];
  readonly flags: string[];
  readonly versions: string[];
};

export type Tokenised = {
  /** The goal with every fact replaced by its placeholder, lower case, typos of intent words corrected. */
  readonly prose: string;
  readonly facts: GoalFacts;
  /** Words read as another intent word: [as written, as read]. */
  readonly corrections: ReadonlyArray<readonly [string, string]>;
};

type Kind = keyof GoalFacts;

const PLACEHOLDERS: Readonly<Record<Kind, string>> = {
  paths: "_path_",
  identifiers: "_ident_",
  codeSpans: "_code_",
  quoted: "_quote_",
  urls: "_url_",
  flags: "_flag_",
  versions: "_version_",
};

/** File extensions that make `name.ext` a file name. */
const EXTENSIONS =
  "js|mjs|cjs|jsx|ts|mts|cts|tsx|json|jsonc|json5|ya?ml|toml|ini|cfg|conf|env|md|mdx|rst|txt|csv|tsv|html?|css|scss|sass|less|vue|svelte|py|pyi|ipynb|rb|go|rs|java|kt|kts|swift|c|h|cc|cpp|hpp|cs|php|sh|bash|zsh|ps1|sql|graphql|gql|proto|xml|svg|png|jpe?g|gif|lock|log|wasm|dockerfile|gradle|lua|ex|exs|erl|dart|scala|r|pl|zig";

/** Source-tree folders that make `folder/name` a path even without an extension. */
const FOLDERS =
  "src|lib|libs|test|tests|spec|docs|doc|app|apps|packages|pkg|cmd|internal|bin|scripts|config|public|assets|components|pages|api|utils|server|client|examples?";

/** Words spelled with inner capitals that are names of languages or tools, read as words ("TypeScript" is "typescript"). */
const CAPITALISED_WORDS = new Set([
  "typescript",
  "javascript",
  "coffeescript",
  "github",
  "gitlab",
  "postgresql",
  "mysql",
  "sqlite",
  "mongodb",
  "graphql",
  "websocket",
  "websockets",
  "nodejs",
  "macos",
  "ios",
  "iphone",
  "linkedin",
  "youtube",
  "openapi",
  "oauth",
  "jsdoc",
  "tsdoc",
  "devops",
  "pnpm",
  "npm",
  "readme",
  "changelog",
  "todo",
  "nan",
]);

/** Patterns in the order they are taken out; each match is a fact of its kind (a function: the predicate refuses a false match). */
const PATTERNS: ReadonlyArray<{ kind: Kind; re: RegExp; keep?: (m: string) => boolean }> = [
  { kind: "codeSpans", re: /`[^`\n]+`/gu },
  { kind: "urls", re: /\b(?:https?|ftp|file):\/\/[^\s<>"'`)\]]+/giu },
  // "double" and “curly” quotes; 'single' quotes only when they open after a non-word and close before one (not "don't ... it's").
  {
    kind: "quoted",
    re: /"[^"\n]{1,200}"|“[^”\n]{1,200}”|(?<![\p{L}\p{N}_])'[^'\n]{1,200}'(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}_])‘[^’\n]{1,200}’(?![\p{L}\p{N}_])/gu,
  },
  // Big-O complexity reads as one word, before identifiers would take O(n^2) as a call.
  { kind: "identifiers", re: /\bO\([^()\s]{1,12}\)/gu },
  // Calls with their arguments: add(2,2), foo(), obj.method(x).
  { kind: "identifiers", re: /(?<![\w$.])[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\([^()\n]{0,80}\)/gu },
  // Flags: --json, --dry-run (one-dash flags are too easily prose).
  { kind: "flags", re: /(?<![\w-])--[A-Za-z][\w-]*(?:=[^\s]+)?/gu },
  // Paths: a leading / ./ ../ ~/, a trailing /, a known folder, two slashes, a file extension, or a glob.
  {
    kind: "paths",
    re: new RegExp(
      `(?<![\\w@.-])(?:(?:\\.{1,2}|~)?/[\\w@.*:{}-]*(?:/[\\w@.*:{}-]*)*|[\\w@*.{}-]+/(?:[\\w@.*:{}-]+/)*[\\w@.*:{}-]*|\\*{1,2}[\\w./*-]*|[\\w-]+(?:\\.[\\w-]+)*\\.(?:${EXTENSIONS}))(?![\\w/]|\\.\\w)`,
      "giu",
    ),
    keep: (m) => isPath(m),
  },
  // Versions: v5, v2.3.0, 1.2, 2.0.0-beta.1 (not dates, not CVE ids).
  { kind: "versions", re: /(?<![\w.-])(?:v\d+(?:\.\d+)*(?:-[\w.]+)?|\d+\.\d+(?:\.\d+)*(?:-[\w.]+)?)(?![\w-]|\.\d)/giu },
  // Dotted names: process.env.API_KEY, os.path, req.body.
  {
    kind: "identifiers",
    re: /(?<![\w$.])[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?![\w$])/gu,
    keep: (m) => !/^(?:e\.g|i\.e|etc|vs|a\.k\.a|n\.b)\.?$/iu.test(m) && m.split(".").every((p) => p.length >= 2),
  },
  // camelCase, PascalCase with an inner capital, snake_case, SCREAMING_CASE, $names.
  {
    kind: "identifiers",
    re: /(?<![\w$])(?:[a-z][a-z0-9]*[A-Z][\w$]*|[A-Z][a-z0-9]+[A-Z][\w$]*|[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+|_[A-Za-z]\w*|\$[A-Za-z_]\w*)(?![\w$])/gu,
    keep: (m) => !CAPITALISED_WORDS.has(m.toLowerCase()) && !/^_[a-z]+_$/u.test(m),
  },
];

function isPath(m: string): boolean {
  if (/^\.{1,2}\/|^~\/|^\//u.test(m)) return m.length > 1 || m === "/";
  if (m.includes("*")) return /[\w.]/u.test(m);
  if (m.endsWith("/") && m.length > 1) return true;
  const slashes = (m.match(/\//gu) ?? []).length;
  if (slashes >= 2) return true;
  if (slashes === 1)
    return new RegExp(`^(?:${FOLDERS})/`, "iu").test(m) || new RegExp(`\\.(?:${EXTENSIONS})$`, "iu").test(m) || /[.@]/u.test(m.split("/")[0] ?? "");
  return new RegExp(`\\.(?:${EXTENSIONS})$`, "iu").test(m) && !/^\d+\.\d+$/u.test(m);
}

/**
 * Intent words a typo of which is read as the word (one insertion, deletion,
 * substitution or transposition). Only long, distinctive words: a short or
 * common word is too close to other English ("harden" ~ "harder", "faster"
 * ~ "father"), so those are not corrected.
 */
const FUZZY_WORDS = [
  "implement",
  "document",
  "documentation",
  "refactor",
  "optimize",
  "optimise",
  "migrate",
  "rewrite",
  "sanitize",
  "sanitise",
  "vulnerability",
  "vulnerable",
  "performance",
  "regression",
  "security",
  "simplify",
  "restructure",
  "deprecate",
  "scaffold",
  "bootstrap",
  "crashes",
  "exception",
  "incorrect",
  "translate",
  "upgrade",
  "feature",
  "benchmark",
];
/** Short intent verbs typed with a doubled letter ("fixx", "addd"). */
const DOUBLED = ["fix", "add", "port"];

/** Optimal string alignment distance, stopping early past `max`. */
export function editDistance(a: string, b: string, max = 2): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...new Array<number>(b.length).fill(0)]);
  const first = rows[0] as number[];
  for (let j = 0; j <= b.length; j++) first[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const prev = rows[i - 1] as number[];
    let best = Number.POSITIVE_INFINITY;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
  }
  return (rows[a.length] as number[])[b.length] as number;
}

const SUFFIXES = ["", "s", "d", "ed", "es", "ing"];

/** The intent word a word is a typo of, or undefined (a word that is an intent word, or is far from all, is not corrected). */
export function correctIntentWord(word: string): string | undefined {
  if (word.length < 6 || word.startsWith("_")) {
    const base = DOUBLED.find((v) => word.length === v.length + 1 && word.startsWith(v) && word.at(-1) === v.at(-1));
    return base;
  }
  for (const target of FUZZY_WORDS) {
    for (const suffix of SUFFIXES) {
      const form =
        suffix === ""
          ? target
          : target.endsWith("e") && suffix.startsWith("e")
            ? target + suffix.slice(1)
            : target.endsWith("e") && suffix === "ing"
              ? target.slice(0, -1) + suffix
              : target + suffix;
      if (word === form) return undefined;
    }
  }
  for (const target of FUZZY_WORDS) {
    if (editDistance(word, target, 1) <= 1) return target;
  }
  return undefined;
}

/** Take the facts out of a goal and read the rest as prose. */
export function tokenise(text: string): Tokenised {
  const facts: Record<Kind, string[]> = { paths: [], identifiers: [], codeSpans: [], quoted: [], urls: [], flags: [], versions: [] };
  let rest = text;
  for (const { kind, re, keep } of PATTERNS) {
    rest = rest.replace(re, (m: string) => {
      const trimmed = m.replace(/[.,;:!?]+$/u, "");
      if (trimmed === "" || (keep !== undefined && !keep(trimmed))) return m;
      const list = facts[kind];
      if (!list.includes(trimmed)) list.push(trimmed);
      return ` ${PLACEHOLDERS[kind]} ${m.slice(trimmed.length)}`;
    });
  }
  const corrections: Array<readonly [string, string]> = [];
  const prose = rest
    .toLowerCase()
    .replace(/(?<![\w])[\p{L}]+(?![\w])/gu, (w) => {
      const fixed = correctIntentWord(w);
      if (fixed === undefined) return w;
      corrections.push([w, fixed]);
      return fixed;
    })
    .replace(/[ \t]+/gu, " ")
    .replace(/ ([.,;:!?)\]])/gu, "$1")
    .trim();
  return { prose, facts, corrections };
}
