/**
 * Reading a test gate's command line: a script line split into `&&`-joined
 * commands of plain words (or refused when it has shell syntax that is not
 * read), env assignments split from the words, and a package-manager call
 * (`npm test`, `pnpm run x`…) recognised as a package script, whose line is
 * read from package.json.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

/** One command of a script line: env assignments, then words. */
export type Words = { readonly assigns: string[]; readonly words: string[] };

/**
 * A script line as `&&`-joined commands of plain words, or undefined when
 * the line has anything a shell would interpret beyond that (pipes, `;`,
 * `||`, redirections, substitutions, variables, escapes, subshells).
 * Quotes are removed ('…' and "…" with no `$`, backtick or backslash inside).
 */
export function splitScript(line: string): Words[] | undefined {
  const commands: Words[] = [];
  let words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const end = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  while (i < line.length) {
    const ch = line[i] as string;
    if (ch === " " || ch === "\t") {
      end();
      i += 1;
    } else if (ch === "&" && line[i + 1] === "&") {
      end();
      if (words.length === 0) return undefined;
      commands.push(toWords(words));
      words = [];
      i += 2;
    } else if (ch === "'" || ch === '"') {
      const close = line.indexOf(ch, i + 1);
      if (close < 0) return undefined;
      const inner = line.slice(i + 1, close);
      if (ch === '"' && /[$`\\]/.test(inner)) return undefined;
      word = (word ?? "") + inner;
      i = close + 1;
    } else if (/[|;<>`$()\\\n\r&{}]/.test(ch)) {
      return undefined;
    } else {
      word = (word ?? "") + ch;
      i += 1;
    }
  }
  end();
  if (words.length === 0) return commands.length === 0 ? [] : undefined;
  commands.push(toWords(words));
  return commands;
}

export function toWords(all: string[]): Words {
  let k = 0;
  while (k < all.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(all[k] as string)) k += 1;
  return { assigns: all.slice(0, k), words: all.slice(k) };
}

/** Flags a package manager takes before or after a script name that change nothing we read. */
const PM_FLAGS = new Set(["--ignore-scripts", "--silent", "-s", "--quiet", "-q", "--if-present", "--loglevel=silent", "--no-color", "--color=false"]);

/** `npm test`, `npm run test`, `npm run-script test`, `npm t`, `pnpm test`, `pnpm run test`, `yarn test`, `yarn run test`, `bun run test`. */
export function packageScript(argv: readonly string[]): { pm: string; script: string; extra: string[] } | undefined {
  const pm = path.basename(argv[0] ?? "");
  if (!["npm", "pnpm", "yarn", "bun"].includes(pm)) return undefined;
  const rest = argv.slice(1);
  const dash = rest.indexOf("--");
  const before = (dash < 0 ? rest : rest.slice(0, dash)).filter((a) => !PM_FLAGS.has(a));
  const extra = dash < 0 ? [] : rest.slice(dash + 1);
  if (before.some((a) => a.startsWith("-"))) return undefined; // workspaces, filters, recursive runs: not one script
  const [verb, name, ...more] = before;
  if (more.length > 0) return undefined;
  if ((verb === "test" || verb === "t" || verb === "tst") && name === undefined && pm !== "bun") return { pm, script: "test", extra };
  if ((verb === "run" || verb === "run-script") && name !== undefined) return { pm, script: name, extra };
  return undefined;
}

export function readScripts(cwd: string): Record<string, string> | undefined {
  try {
    const scripts = (JSON.parse(readFileSync(path.join(cwd, "package.json"), "utf8")) as { scripts?: unknown }).scripts;
    if (typeof scripts !== "object" || scripts === null) return {};
    return Object.fromEntries(Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return undefined;
  }
}
