/**
 * Static inspection of a criterion's command: can it fail at all?
 *
 * A check that always exits 0 proves nothing (the reference implementation
 * made a goal ready with a gate running `echo ok`). This decides, without
 * running anything, whether an argv (or the script of `sh -c`) always
 * succeeds, always fails, or may do either. It is deliberately conservative:
 * `always` only when the shell's own rules guarantee exit status 0.
 *
 * Rules (POSIX sh): a list `a; b` exits with its last command (`set -e` or
 * `sh -e` makes every item count); `a && b` fails when either fails; `a || b`
 * succeeds when either succeeds; a pipeline exits with its last command
 * (every command under `set -o pipefail`); `! p` inverts; `cmd &` exits 0;
 * `exit 0` ends the script with 0. Always succeeding: `true`, `:`, `echo`,
 * `printf`, `pwd`, `set`, `export`, `unset`, `exit 0`, a bare assignment,
 * and `tee` or a bare `cat` at the end of a pipeline. Always failing:
 * `false`, `exit N` (N > 0). Anything else, and any subshell, group or
 * substitution, may fail.
 */
import path from "node:path";
import { parse } from "shell-quote";

type CommandOutcome = "always" | "never" | "maybe";
export type CommandAnalysis = { readonly outcome: CommandOutcome; readonly reason: string };

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"]);
const ALWAYS = new Set(["true", ":", "echo", "printf", "pwd", "set", "export", "unset", "readonly"]);
const WRAPPERS = new Set(["exec", "command", "builtin", "time", "nohup"]);
const REDIRECTS = new Set([">", ">>", "<", ">&", "<&", "<>", ">|", "<<<", "&>", "&>>"]);
const SEPARATORS = new Set([";", "&", ";;"]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

type Token = string | { op: string };
type Outcome = { outcome: CommandOutcome; reason: string };

const maybe = (reason = "its exit status depends on what it runs"): Outcome => ({ outcome: "maybe", reason });

/** Renders an argv the way a person would type it. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map((word) => (/^[\w@%+=:,./-]+$/u.test(word) ? word : JSON.stringify(word))).join(" ");
}

/** Newlines outside quotes end a command, as `;` does (shell-quote reads them as blanks). */
function newlinesToSemicolons(script: string): string {
  let out = "";
  let quote: string | null = null;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i] as string;
    if (quote === null && ch === "\\" && i + 1 < script.length) {
      out += ch + (script[i + 1] as string);
      i++;
      continue;
    }
    if (quote === null && (ch === "'" || ch === '"')) quote = ch;
    else if (quote === ch) quote = null;
    out += quote === null && ch === "\n" ? ";" : ch;
  }
  return out;
}

function tokenize(script: string): Token[] | undefined {
  const tokens: Token[] = [];
  for (const entry of parse(newlinesToSemicolons(script), (key) => `$${key}`)) {
    if (typeof entry === "string") tokens.push(entry);
    else if ("comment" in entry) continue;
    else if ("op" in entry && entry.op === "glob") tokens.push((entry as { pattern: string }).pattern);
    else if ("op" in entry) tokens.push({ op: entry.op });
    else return undefined;
  }
  return tokens;
}

/** The words of one simple command, with redirections removed; undefined when it is not a simple command. */
function words(tokens: readonly Token[]): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (typeof token === "string") {
      out.push(token);
      continue;
    }
    if (REDIRECTS.has(token.op)) {
      i++; // the redirection target
      continue;
    }
    return undefined; // ( ) <( and other constructs are not analysed
  }
  return out;
}

/** One simple command, given its words. `inPipe` is true for the last command of a pipeline with more than one command. */
function simple(argv: readonly string[], inPipe: boolean): Outcome & { exits?: boolean } {
  const start = argv.findIndex((word) => !ASSIGNMENT.test(word));
  if (start === -1) return { outcome: "always", reason: "a bare assignment always exits 0" };
  let rest = argv.slice(start);
  while (rest.length > 0 && (WRAPPERS.has(rest[0] as string) || rest[0] === "env")) {
    const wrapper = rest[0] as string;
    rest = rest.slice(1);
    if (wrapper === "env") {
      const command = rest.findIndex((word) => !ASSIGNMENT.test(word) && !word.startsWith("-"));
      rest = command === -1 ? [] : rest.slice(command);
    }
    if (rest.length === 0) return { outcome: "always", reason: `\`${wrapper}\` alone always exits 0` };
  }
  const name = path.posix.basename(rest[0] as string);
  if (name === "exit") {
    const code = rest[1];
    if (code === undefined) return { ...maybe("`exit` without a status repeats the last status"), exits: true };
    if (/^0+$/.test(code)) return { outcome: "always", reason: "`exit 0` ends with status 0", exits: true };
    if (/^\d+$/.test(code)) return { outcome: "never", reason: `\`exit ${code}\` always fails`, exits: true };
    return { ...maybe(), exits: true };
  }
  if (name === "false") return { outcome: "never", reason: "`false` always fails" };
  if (ALWAYS.has(name)) return { outcome: "always", reason: `\`${name}\` always exits 0` };
  if (inPipe && (name === "tee" || (name === "cat" && rest.length === 1))) {
    return { outcome: "always", reason: `a pipeline exits with its last command, and \`${name}\` always exits 0` };
  }
  return maybe(`\`${formatCommand(rest)}\` may fail`);
}

function formatTokens(tokens: readonly Token[]): string {
  return tokens.map((token) => (typeof token === "string" ? token : token.op)).join(" ");
}

function invert(outcome: Outcome): Outcome {
  if (outcome.outcome === "maybe") return outcome;
  return { outcome: outcome.outcome === "always" ? "never" : "always", reason: `\`!\` inverts: ${outcome.reason}` };
}

function pipeline(tokens: readonly Token[], pipefail: boolean): Outcome & { exits?: boolean } {
  let negate = false;
  let body = tokens;
  if (body[0] === "!") {
    negate = true;
    body = body.slice(1);
  }
  const parts: Token[][] = [[]];
  for (const token of body) {
    if (typeof token !== "string" && (token.op === "|" || token.op === "|&")) parts.push([]);
    else parts[parts.length - 1]?.push(token);
  }
  const outcomes: Array<Outcome & { exits?: boolean }> = [];
  for (const part of parts) {
    const argv = words(part);
    if (argv === undefined) return maybe("it uses a subshell, group or substitution, which is not analysed");
    if (argv.length === 0) return maybe("it has an empty command");
    outcomes.push(simple(argv, parts.length > 1 && part === parts[parts.length - 1]));
  }
  const last = outcomes[outcomes.length - 1] as Outcome & { exits?: boolean };
  let result: Outcome & { exits?: boolean } = last;
  if (pipefail && outcomes.length > 1) {
    const failing = outcomes.find((o) => o.outcome !== "always");
    result = failing ?? last;
  }
  if (outcomes.length > 1) result = { ...result, exits: false };
  return negate ? invert(result) : result;
}

/** `a && b || c ...`, folded left to right. */
function andOr(tokens: readonly Token[], pipefail: boolean): Outcome & { exits?: boolean } {
  const parts: Array<{ op: string | null; tokens: Token[] }> = [{ op: null, tokens: [] }];
  for (const token of tokens) {
    if (typeof token !== "string" && (token.op === "&&" || token.op === "||")) parts.push({ op: token.op, tokens: [] });
    else parts[parts.length - 1]?.tokens.push(token);
  }
  let acc: Outcome & { exits?: boolean } = pipeline((parts[0] as { tokens: Token[] }).tokens, pipefail);
  for (const part of parts.slice(1)) {
    const next = pipeline(part.tokens, pipefail);
    if (part.op === "&&") {
      if (acc.outcome === "always") acc = next;
      else if (acc.outcome === "maybe" && next.outcome === "never") acc = { ...next, exits: false };
      else if (acc.outcome === "maybe") acc = { ...acc, exits: false };
    } else if (acc.outcome === "never") {
      acc = next;
    } else if (acc.outcome === "maybe" && next.outcome === "always") {
      acc = { outcome: "always", reason: `\`|| ${formatTokens(part.tokens)}\` masks any failure before it (${next.reason})`, exits: false };
    } else if (acc.outcome === "maybe") {
      acc = { ...acc, exits: false };
    }
  }
  return acc;
}

function analyzeScript(script: string, errexit: boolean): Outcome {
  const tokens = tokenize(script);
  if (tokens === undefined) return maybe("the script could not be read");
  const items: Array<{ tokens: Token[]; background: boolean }> = [{ tokens: [], background: false }];
  for (const token of tokens) {
    if (typeof token !== "string" && SEPARATORS.has(token.op)) {
      const current = items[items.length - 1] as { tokens: Token[]; background: boolean };
      current.background = token.op === "&";
      items.push({ tokens: [], background: false });
    } else {
      items[items.length - 1]?.tokens.push(token);
    }
  }
  let pipefail = false;
  let strict = errexit;
  let result: Outcome | undefined;
  for (const item of items.filter((i) => i.tokens.length > 0)) {
    const text = item.tokens.filter((t): t is string => typeof t === "string");
    if (text[0] === "set") {
      if (text.some((word) => /^-[a-z]*e/.test(word)) || text.includes("errexit")) strict = true;
      if (text.includes("pipefail")) pipefail = true;
    }
    let outcome: Outcome & { exits?: boolean } = item.background
      ? { outcome: "always", reason: "a command run in the background (`&`) exits 0 at once" }
      : andOr(item.tokens, pipefail);
    if (strict && result !== undefined && result.outcome !== "always" && outcome.outcome === "always") {
      outcome = { ...result, exits: outcome.exits ?? false };
    }
    if (strict && result?.outcome === "never") outcome = result;
    result = outcome;
    if (outcome.exits === true) return { outcome: outcome.outcome, reason: outcome.reason };
  }
  if (result === undefined) return { outcome: "always", reason: "an empty script exits 0" };
  if (!strict && result.outcome === "always" && items.filter((i) => i.tokens.length > 0).length > 1) {
    return { outcome: "always", reason: `only the last command sets the status, and ${result.reason}` };
  }
  return { outcome: result.outcome, reason: result.reason };
}

/**
 * Decides whether a command always succeeds, never succeeds, or may do
 * either. `sh -c SCRIPT` (and bash, dash, zsh with any flags holding `c`) is
 * analysed as a script; `-e` in the flags counts as `set -e`.
 * @public (a README example uses it)
 */
export function analyzeCommand(argv: readonly string[]): CommandAnalysis {
  const program = argv[0];
  if (program === undefined) return { outcome: "never", reason: "the command is empty" };
  const name = path.posix.basename(program);
  if (SHELLS.has(name)) {
    let index = 1;
    let errexit = false;
    let script: string | undefined;
    while (index < argv.length) {
      const arg = argv[index] as string;
      if (arg === "-o" && argv[index + 1] === "errexit") {
        errexit = true;
        index += 2;
        continue;
      }
      if (/^-[a-zA-Z]+$/.test(arg)) {
        if (arg.includes("e")) errexit = true;
        if (arg.includes("c")) script = argv[index + 1];
        index += arg.includes("c") ? 2 : 1;
        if (script !== undefined) break;
        continue;
      }
      break;
    }
    if (script === undefined) return maybe(`\`${formatCommand(argv)}\` runs a script file`);
    return analyzeScript(script, errexit);
  }
  const single = pipeline(
    argv.map((word) => word),
    false,
  );
  return { outcome: single.outcome, reason: single.reason };
}

/** True when the command exits 0 whatever happens: a check that proves nothing. */
export function cannotFail(argv: readonly string[]): boolean {
  return analyzeCommand(argv).outcome === "always";
}
