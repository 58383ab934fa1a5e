/**
 * Finding the test runner a command starts: past env assignments and known
 * wrappers (c8, nyc, cross-env, npx…) to a runner binary (vitest, jest,
 * mocha, tape, ava, tap, pytest), `node --test`, `python -m pytest`, `go
 * test`, `cargo test`, a nested package script, or a `node <file>` whose
 * entry file loads node:test or tape; and mocha's installed version.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { packageScript } from "./script-line.js";

export type Runner = "node:test" | "vitest" | "jest" | "mocha" | "tape" | "ava" | "node-tap" | "pytest" | "go test" | "cargo test";

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

export type Found = { runner: Runner; words: string[]; at: number } | { runner: "script"; pm: string; script: string } | undefined;

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

/**
 * `node <file>` (no --test): the runner the file itself loads, read from its
 * text: `node:test` (its reporters follow NODE_OPTIONS as under --test) or
 * `tape` (TAP on stdout). Only the entry file is read.
 */
export function nodeFileRunner(words: readonly string[], cwd: string): Found {
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

/**
 * mocha's version in the gate's directory (node_modules/mocha/package.json,
 * looked for up to the filesystem root as node resolves it), or undefined.
 */
export function mochaVersion(cwd: string): [number, number] | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    try {
      const v = (JSON.parse(readFileSync(path.join(dir, "node_modules", "mocha", "package.json"), "utf8")) as { version?: unknown }).version;
      const m = typeof v === "string" ? /^(\d+)\.(\d+)/.exec(v) : null;
      return m === null ? undefined : [Number(m[1]), Number(m[2])];
    } catch {
      const up = path.dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  }
}
