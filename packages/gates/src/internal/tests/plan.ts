/**
 * Per-test evidence with no config: find the test runner behind a gate's
 * command (a package script such as `npm test`, a shell line, or an argv)
 * and decide how its per-test results are read: a reporter that writes a
 * file (node:test and vitest JUnit, mocha xunit, jest JSON, pytest JUnit),
 * or the runner's own machine-readable stdout (TAP of tape and ava, go test
 * -json, cargo's libtest lines). A script line is only augmented when it is
 * understood (plain words, `&&` chains, env assignments, known wrappers);
 * otherwise the plan says why and which one-line config fixes it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { TestReportFormat } from "../../schemas/config.js";

export type Runner = "node:test" | "vitest" | "jest" | "mocha" | "tape" | "ava" | "node-tap" | "pytest" | "go test" | "cargo test";

/** How the per-test results of one run are read. */
export type TestReportPlan =
  | {
      readonly ok: true;
      readonly runner: Runner | "tap (sniffed)" | "configured";
      readonly format: Exclude<TestReportFormat, "auto">;
      /** The command to run instead of the gate's (argv, or the shell line as one element). */
      readonly command: string[];
      /** Variables to set for the command. */
      readonly env: Readonly<Record<string, string>>;
      /** The report file the command writes; undefined: the format is read from stdout. */
      readonly file?: string;
      /** TAP: tape names tests by `# name` comments (assertions are its points). */
      readonly tapGroups?: boolean;
      /** TAP: node-tap's points are assertions; a test is a subtest holding some. */
      readonly tapSubtests?: boolean;
      /** One line for the gate's notes. */
      readonly how: string;
    }
  | { readonly ok: false; readonly reason: string; readonly fix: string };

export type PlanInput = {
  readonly command: readonly string[] | string;
  readonly shell: boolean;
  /** The gate's working directory (package.json is read here). */
  readonly cwd: string;
  /** Absolute path for a report file of this run, by extension (`xml`, `json`): never in the user's tree. */
  readonly reportFile: (ext: string) => string;
  /** The gate's environment (NODE_OPTIONS is extended, not replaced). */
  readonly env: Readonly<Record<string, string | undefined>>;
};

/** One command of a script line: env assignments, then words. */
type Words = { readonly assigns: string[]; readonly words: string[] };

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

function toWords(all: string[]): Words {
  let k = 0;
  while (k < all.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(all[k] as string)) k += 1;
  return { assigns: all.slice(0, k), words: all.slice(k) };
}

/** Commands that run the command after them (their own options skipped). */
const WRAPPERS = new Set(["c8", "nyc", "cross-env", "npx", "env", "dotenv", "time", "nice"]);
const RUNNER_BINS: Readonly<Record<string, Runner>> = {
  vitest: "vitest",
  jest: "jest",
  mocha: "mocha",
  _mocha: "mocha",
  tape: "tape",
  ava: "ava",
  tap: "node-tap",
  pytest: "pytest",
  "py.test": "pytest",
};

type Found = { runner: Runner; words: string[]; at: number } | { runner: "script"; pm: string; script: string } | undefined;

/** The runner a command's words start (after env assignments and wrappers), or a nested package script. */
export function runnerOf(words: readonly string[]): Found {
  let k = 0;
  let wrapped = false;
  while (k < words.length) {
    const w = path.basename(words[k] as string);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k] as string) && (wrapped || k === 0)) {
      k += 1;
      continue;
    }
    if (WRAPPERS.has(w)) {
      wrapped = true;
      k += 1;
      continue;
    }
    if (wrapped && (w.startsWith("-") || !(w in RUNNER_BINS || w === "node" || w === "tsx"))) {
      // a wrapper's option or an option's value (c8 --reporter lcov tape): look further, a little
      if (k > 8) return undefined;
      k += 1;
      continue;
    }
    break;
  }
  const bin = path.basename(words[k] ?? "");
  const rest = words.slice(k + 1);
  if (bin in RUNNER_BINS) return { runner: RUNNER_BINS[bin] as Runner, words: [...words], at: k };
  if ((bin === "node" || bin === "tsx") && rest.includes("--test")) return { runner: "node:test", words: [...words], at: k };
  if ((bin === "python" || bin === "python3") && rest[0] === "-m" && rest[1] === "pytest") return { runner: "pytest", words: [...words], at: k };
  if (bin === "go" && rest[0] === "test") return { runner: "go test", words: [...words], at: k };
  if (bin === "cargo" && rest[0] === "test") return { runner: "cargo test", words: [...words], at: k };
  const script = packageScript(words.slice(k));
  if (script !== undefined) return { runner: "script", ...script };
  return undefined;
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

function readScripts(cwd: string): Record<string, string> | undefined {
  try {
    const scripts = (JSON.parse(readFileSync(path.join(cwd, "package.json"), "utf8")) as { scripts?: unknown }).scripts;
    if (typeof scripts !== "object" || scripts === null) return {};
    return Object.fromEntries(Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return undefined;
  }
}

/**
 * `node <file>` (no --test): the runner the file itself loads, read from its
 * text: `node:test` (its reporters follow NODE_OPTIONS as under --test) or
 * `tape` (TAP on stdout). Only the entry file is read.
 */
function nodeFileRunner(words: readonly string[], cwd: string): Found {
  const at = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  if (path.basename(words[at] ?? "") !== "node") return undefined;
  const file = words.slice(at + 1).find((w) => !w.startsWith("-"));
  if (file === undefined || !/\.(c|m)?js$/.test(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, file), "utf8").slice(0, 200_000);
  } catch {
    return undefined;
  }
  const loads = (name: string) => new RegExp(`(?:from\\s*|import\\s*|require\\(\\s*)["']${name}["']`).test(text);
  if (loads("node:test")) return { runner: "node:test", words: [...words], at };
  if (loads("tape")) return { runner: "tape", words: [...words], at };
  return undefined;
}

const shQuote = (word: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

const FIX_TAP = "tests: { format: tap }";
const fixFor = (what: string) =>
  `make the test gate's command one the runner is recognised in (e.g. "test": "tape test/*.js"), or say how its results are read in .omk/gates.yaml on that gate: \`${FIX_TAP}\` (TAP on stdout) or \`tests: { format: junit, file: <report.xml> }\` (${what})`;

/**
 * How to get per-test results from this command, or why they cannot be had.
 * Deterministic and side-effect free (reads package.json only); the oracle
 * asks it at planning time, the gate runner at run time.
 */
export function planTestReport(input: PlanInput): TestReportPlan {
  const fail = (reason: string) => ({ ok: false as const, reason, fix: fixFor(reason) });
  // The line to analyse and how extra arguments reach its last command.
  let commands: Words[] | undefined;
  let append: ((args: string[]) => string[]) | undefined;
  let shown: string;
  if (input.shell || typeof input.command === "string") {
    const line = typeof input.command === "string" ? input.command : input.command.join(" ");
    shown = line;
    commands = splitScript(line);
    if (commands === undefined) return fail(`the shell line \`${line}\` has pipes, redirections, variables or other shell syntax that is not read`);
    append = (args) => [[line, ...args.map(shQuote)].join(" ")];
  } else {
    const argv = [...input.command];
    shown = argv.join(" ");
    const script = packageScript(argv);
    if (script === undefined) {
      commands = [toWords(argv)];
      append = (args) => [...argv, ...args];
    } else {
      const scripts = readScripts(input.cwd);
      if (scripts === undefined) return fail(`\`${shown}\` runs a package script but ${path.join(input.cwd, "package.json")} cannot be read`);
      const line = scripts[script.script];
      if (line === undefined) return fail(`package.json has no "${script.script}" script`);
      shown = `${shown} (script "${script.script}": ${line})`;
      commands = splitScript(line);
      if (commands === undefined) return fail(`the "${script.script}" script \`${line}\` has pipes, redirections, variables or other shell syntax that is not read`);
      // npm hands what follows `--` to the script's last command; pnpm, yarn and bun hand it what follows the script name.
      append = (args) => (script.pm === "npm" && !argv.includes("--") ? [...argv, "--", ...args] : [...argv, ...args]);
      // A script that runs one other script of the same package (`npm run unit`): follow it, once or twice.
      for (let depth = 0; depth < 3 && commands.length > 0; depth++) {
        const last = commands[commands.length - 1] as Words;
        const found = runnerOf(last.words);
        if (found?.runner !== "script") break;
        const inner = scripts[found.script];
        const innerCommands = inner === undefined ? undefined : splitScript(inner);
        if (innerCommands === undefined) return fail(`the "${found.script}" script (run by "${script.script}") is missing or has shell syntax that is not read`);
        shown = `${shown} -> ("${found.script}": ${inner})`;
        commands = [...commands.slice(0, -1), ...innerCommands];
        // Arguments after the outer `--` land on `npm run inner`, which takes them as its own options.
        append = undefined;
      }
    }
  }
  const last = commands[commands.length - 1];
  if (last === undefined) return fail(`\`${shown}\` runs nothing`);
  const found = runnerOf(last.words) ?? nodeFileRunner(last.words, input.cwd);
  if (found === undefined || found.runner === "script") {
    return {
      ok: true,
      runner: "tap (sniffed)",
      format: "tap",
      command: typeof input.command === "string" ? [input.command] : [...input.command],
      env: {},
      how: `no known test runner in \`${shown}\`; its stdout is read as TAP if it prints TAP (else no per-test cases)`,
    };
  }
  const base = typeof input.command === "string" ? [input.command] : [...input.command];
  const withArgs = (runner: Runner, args: string[], format: Exclude<TestReportFormat, "auto">, file: string | undefined, how: string): TestReportPlan => {
    if (append === undefined) return fail(`${runner} is run by a nested package script (${shown}), so its reporter cannot be added`);
    return { ok: true, runner, format, command: append(args), env: {}, ...(file === undefined ? {} : { file }), how: `${runner}: ${how}` };
  };
  switch (found.runner) {
    case "node:test": {
      if (commands.some((c) => c.words.some((w) => w.startsWith("--test-reporter")))) {
        return fail(`\`${shown}\` sets its own --test-reporter; add a junit reporter there and name its file`);
      }
      const file = input.reportFile("xml");
      const options = ["--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=junit", `--test-reporter-destination=${file}`].join(" ");
      const before = input.env["NODE_OPTIONS"];
      return {
        ok: true,
        runner: "node:test",
        format: "junit",
        command: base,
        env: { NODE_OPTIONS: before === undefined || before === "" ? options : `${before} ${options}` },
        file,
        how: "node:test: JUnit reporter added through NODE_OPTIONS (spec stays on stdout)",
      };
    }
    case "vitest": {
      const file = input.reportFile("xml");
      return withArgs("vitest", ["--reporter=default", "--reporter=junit", `--outputFile.junit=${file}`], "junit", file, "JUnit reporter added (default reporter kept)");
    }
    case "jest": {
      const file = input.reportFile("json");
      return withArgs("jest", ["--json", `--outputFile=${file}`], "jest-json", file, "--json report file added (console output kept)");
    }
    case "mocha": {
      const file = input.reportFile("xml");
      return withArgs("mocha", ["--reporter=xunit", `--reporter-option=output=${file}`], "junit", file, "xunit reporter writing a file (mocha takes one reporter: the console shows only the tests' own output)");
    }
    case "ava":
      return withArgs("ava", ["--tap"], "tap", undefined, "--tap added; TAP read from stdout");
    case "node-tap": {
      const p = withArgs("node-tap", ["--reporter=tap"], "tap", undefined, "--reporter=tap added; TAP read from stdout (a test is a subtest holding assertions)");
      return p.ok ? { ...p, tapSubtests: true } : p;
    }
    case "pytest": {
      const file = input.reportFile("xml");
      return withArgs("pytest", [`--junitxml=${file}`], "junit", file, "--junitxml added");
    }
    case "go test": {
      // An argv `go test …` gets -json right after `test`; a script line gets it at its end.
      if (typeof input.command !== "string" && !input.shell && packageScript([...input.command]) === undefined && commands.length === 1) {
        const argv = [...input.command];
        const at = argv.indexOf("test", found.at);
        return { ok: true, runner: "go test", format: "go-json", command: [...argv.slice(0, at + 1), "-json", ...argv.slice(at + 1)], env: {}, how: "go test: -json added; events read from stdout" };
      }
      return withArgs("go test", ["-json"], "go-json", undefined, "-json added; events read from stdout");
    }
    case "tape":
      return { ok: true, runner: "tape", format: "tap", command: base, env: {}, tapGroups: true, how: "tape: its TAP read from stdout (a test is a `# name` group)" };
    case "cargo test": {
      // cargo stops at the first failing test binary; an argv `cargo test …` gets --no-fail-fast so every binary reports.
      const argv = [...base];
      const at = typeof input.command !== "string" && !input.shell && commands.length === 1 && packageScript(argv) === undefined ? argv.indexOf("test", found.at) : -1;
      const command = at < 0 || argv.includes("--no-fail-fast") ? argv : [...argv.slice(0, at + 1), "--no-fail-fast", ...argv.slice(at + 1)];
      return { ok: true, runner: "cargo test", format: "libtest", command, env: {}, how: "cargo test: libtest's `test … ok|FAILED` lines read from stdout" };
    }
  }
}
