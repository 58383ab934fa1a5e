/**
 * Fuzz (issue 14, standing test): whatever `.omk/gates.yaml` holds, loading
 * it gives a config or a typed GatesConfigError with a one-line message and
 * a fix, never a throw (a throw is exit 70 with a stack trace), and a config
 * that loads keeps every gate's cwd inside the checkout. Random YAML from
 * tokens, mutated valid configs, anchors and aliases (shared nodes, alias
 * bombs, aliases of nothing), deep nesting, huge numbers and paths out.
 * The seed of a failure is printed by fast-check; OMK_FUZZ_SEED replays it.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, FUZZ_TIMEOUT_MS, FUZZ_TOTAL, fuzzParams, initGitRepo, makeTempDir, tsxLoaderArgs } from "@omk/test-fixtures";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadGates, parseGatesConfig } from "../src/config.js";
import { GatesConfigError } from "../src/errors.js";

afterAll(cleanupTempDirs);

const VALID = `version: 1
parallelism: 2
setup: none
gates:
  - name: unit
    kind: test
    command: [pnpm, test]
    timeout: 10m
    junit: reports/junit.xml
    env: [API_TOKEN]
  - name: lint
    kind: lint
    command: "pnpm lint"
    shell: true
    required: false
    needs: [unit]
  - name: bench
    kind: benchmark
    command: [node, bench.js]
    cwd: packages/core
    benchmark: {runs: 3, figure: {regex: "(\\\\d+) ms"}, maxRatio: 1.2}
  - name: secrets
    kind: security
    builtin: secret-scan
    ignore: ["fixtures/**"]
`;

/** Pieces of YAML (and of what people paste into it). */
const TOKENS = [
  "gates:",
  "version: 1",
  "- ",
  "  ",
  "    ",
  "\n",
  "\n",
  "\n",
  ": ",
  ", ",
  "{",
  "}",
  "[",
  "]",
  "name: a",
  "kind: test",
  "command: [x]",
  "command: x",
  "shell: true",
  "cwd: ",
  "cwd: ../..",
  "cwd: /etc",
  "needs: [a]",
  "timeout: ",
  "retries: ",
  "&a ",
  "&b ",
  "*a",
  "*b",
  "*zz",
  "<<: *a",
  "? ",
  "!!binary ",
  "!!str ",
  "!!int ",
  "!!map ",
  "!!seq ",
  "!custom ",
  "!!js/function ",
  "|",
  ">-",
  "'",
  '"',
  "\\",
  "#",
  "---",
  "...",
  "%YAML 1.2\n",
  "%TAG ! tag:x,2000:\n",
  "1e999",
  "-1e999",
  "9".repeat(400),
  "0x7fffffffffffffff",
  ".inf",
  "-.inf",
  ".nan",
  "~",
  "null",
  "yes",
  "no",
  "on",
  "2001-12-14t21:59:43.10-05:00",
  "\t",
  "\r\n",
  "\u0000",
  "\uFEFF",
  "\u2028",
  "é",
  "🙂",
  "\uD800",
  "<<",
  "=",
  "@",
  "`",
];

const fragment = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 }), fc.string({ unit: "binary", maxLength: 4 }));
const tokenSoup = fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join(""));

/** Odd values a field may get: huge and tiny numbers, paths out, deep structures. */
const oddScalar = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER * 1024, -0, 0.5, 2 ** 53 + 1, Number.MIN_VALUE, 0),
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    "..",
    "../..",
    "../../..",
    "/etc",
    "/",
    "a/../../b",
    "./../x",
    "sub/../../..",
    "~",
    "C:\\Windows",
    "\\\\server\\share",
    "a\u0000b",
    ".",
    "./",
    "sub/dir",
  ),
  fc.string({ maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
);
const oddValue = fc.oneof(
  { weight: 4, arbitrary: oddScalar },
  { weight: 1, arbitrary: fc.array(oddScalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), oddScalar, { maxKeys: 3 }) },
);

const FIELDS = [
  "name",
  "kind",
  "command",
  "shell",
  "builtin",
  "cwd",
  "env",
  "required",
  "timeout",
  "retries",
  "junit",
  "tests",
  "needs",
  "toolVersion",
  "ignore",
  "benchmark",
  "golden",
];
const KINDS = ["test", "lint", "typecheck", "build", "security", "dependency", "benchmark", "golden", "custom", "bogus"];

/** A gate that is often nearly right: real fields with odd values, now and then an unknown one. */
const gate = fc
  .record(
    {
      name: fc.oneof(fc.constantFrom("a", "b", "unit", "lint"), fc.string({ maxLength: 10 })),
      kind: fc.constantFrom(...KINDS),
      command: fc.oneof(fc.constant(["node", "-e", "0"]), fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), fc.string({ maxLength: 10 })),
      cwd: oddValue,
      timeout: oddValue,
      retries: oddValue,
      extra: fc.tuple(fc.constantFrom(...FIELDS, "colour"), oddValue),
    },
    { requiredKeys: ["name", "kind", "extra"] },
  )
  .map(({ extra, ...g }) => ({ ...g, [extra[0]]: extra[1] }));

/** A config object; shared nodes (the same gate or list twice) become anchors and aliases when it is written out. */
const structured = fc
  .record({
    gates: fc.array(gate, { maxLength: 5 }),
    parallelism: fc.option(oddValue, { nil: undefined }),
    version: fc.option(fc.constantFrom(1, 2, "1", null), { nil: undefined }),
    share: fc.boolean(),
  })
  .map(({ gates, share, ...rest }) => {
    const list = share && gates.length > 0 ? [...gates, gates[0], { ...(gates[0] as object), name: "z" }] : gates;
    const config: Record<string, unknown> = { gates: list };
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) config[k] = v;
    return stringify(config, { aliasDuplicateObjects: true });
  });

/** Alias bombs ("billion laughs"): each level repeats the one below. */
const aliasBomb = fc
  .record({ depth: fc.integer({ min: 1, max: 12 }), width: fc.integer({ min: 2, max: 12 }), under: fc.constantFrom("gates", "x", "cwd") })
  .map(({ depth, width, under }) => {
    const lines = ["l0: &l0 [lol, lol]"];
    for (let d = 1; d <= depth; d++) lines.push(`l${d}: &l${d} [${Array.from({ length: width }, () => `*l${d - 1}`).join(", ")}]`);
    if (under === "cwd") lines.push(`gates:\n  - {name: a, kind: test, command: [x], cwd: *l${depth}}`);
    else lines.push(`${under}: *l${depth}`);
    return lines.join("\n");
  });

/** Deep nesting: flow sequences/maps or block indentation thousands deep (each costs the parser up to half a second: few runs). */
const DEEP_RUNS = 40;
const deep = fc
  .record({ depth: fc.integer({ min: 1, max: 5_000 }), style: fc.constantFrom("flow-seq", "flow-map", "block", "mixed"), closed: fc.boolean() })
  .map(({ depth, style, closed }) => {
    if (style === "flow-seq") return `gates: ${"[".repeat(depth)}${closed ? "]".repeat(depth) : ""}\n`;
    if (style === "flow-map") return `gates: ${"{a: ".repeat(depth)}1${closed ? "}".repeat(depth) : ""}\n`;
    if (style === "mixed") return `gates: ${"[{a: ".repeat(depth)}1${closed ? "}]".repeat(depth) : ""}\n`;
    const d = Math.min(depth, 2000);
    return `gates:\n${Array.from({ length: d }, (_, i) => `${"  ".repeat(i + 1)}- `).join("\n")}x\n`;
  });

/** A valid config with pieces inserted, deleted or repeated. */
const mutated = fc
  .array(fc.record({ at: fc.nat(), len: fc.nat({ max: 40 }), op: fc.constantFrom("insert", "delete", "repeat", "replace"), what: fragment }), {
    minLength: 1,
    maxLength: 6,
  })
  .map((edits) => {
    let text = VALID;
    for (const { at, len, op, what } of edits) {
      const i = at % (text.length + 1);
      if (op === "insert") text = text.slice(0, i) + what + text.slice(i);
      else if (op === "delete") text = text.slice(0, i) + text.slice(i + len);
      else if (op === "repeat") text = text.slice(0, i + len) + text.slice(i, i + len) + text.slice(i + len);
      else text = text.slice(0, i) + what + text.slice(i + Math.min(len, what.length + 3));
    }
    return text;
  });

const anyConfig = fc.oneof(
  { weight: 3, arbitrary: structured },
  { weight: 3, arbitrary: mutated },
  { weight: 2, arbitrary: tokenSoup },
  { weight: 1, arbitrary: aliasBomb },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
);

/** A loaded config keeps every gate inside the checkout. */
function inside(cwd: string): boolean {
  return !path.isAbsolute(cwd) && !path.normalize(cwd).split(/[\\/]/).includes("..") && !cwd.includes("\0");
}

/** The property: a value or a typed, one-line error with a fix; never a throw. */
function check(text: string): void {
  const parsed = parseGatesConfig(text, ".omk/gates.yaml");
  if (parsed.ok) {
    for (const g of parsed.value.gates) expect(inside(g.cwd), g.cwd).toBe(true);
    return;
  }
  expect(parsed.error).toBeInstanceOf(GatesConfigError);
  expect(parsed.error.code).toBe("OMK_GATES_CONFIG");
  expect(parsed.error.message).not.toMatch(/[\r\n\u2028\u2029]/);
  expect(parsed.error.message.length).toBeLessThan(4000);
  expect(parsed.error.fix).toMatch(/^correct /);
}

describe("fuzz: the gates config loader", () => {
  it("gives a config or a typed one-line error for any text, never a throw", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(anyConfig, (text) => check(text)),
      { ...fuzzParams("gatesConfig"), numRuns: fuzzParams("gatesConfig").numRuns - DEEP_RUNS },
    );
  });

  it("refuses nesting thousands deep with a typed error, never a stack overflow", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(deep, (text) => check(text)),
      { ...fuzzParams("gatesConfig"), numRuns: DEEP_RUNS },
    );
  });

  it("reads any bytes from the file the same way (non-UTF-8, NUL, BOM)", { timeout: FUZZ_TIMEOUT_MS }, () => {
    const dir = makeTempDir("gates-fuzz-");
    mkdirSync(path.join(dir, ".omk"));
    const file = path.join(dir, ".omk", "gates.yaml");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          mutated.map((t) => Buffer.from(t)),
          fc.tuple(fc.uint8Array({ maxLength: 8 }), fc.constant(VALID)).map(([b, t]) => Buffer.concat([b, Buffer.from(t)])),
        ),
        (bytes) => {
          writeFileSync(file, bytes);
          const loaded = loadGates(dir);
          if (!loaded.ok) {
            expect(loaded.error).toBeInstanceOf(GatesConfigError);
            expect(loaded.error.message).not.toMatch(/[\r\n]/);
          }
        },
      ),
      { ...fuzzParams("gatesConfig"), numRuns: 200 },
    );
  });

  it("the suite as a whole runs at least 10k cases", () => {
    expect(FUZZ_TOTAL).toBeGreaterThanOrEqual(10_000);
  });

  it("through the omk-gates process: a fuzzed .omk/gates.yaml never exits 70, and a reader that went away is no crash", {
    timeout: FUZZ_TIMEOUT_MS,
  }, async () => {
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/bin.ts");
    const run = (cwd: string, args: string[], closeStdout = false) =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [...tsxLoaderArgs(), bin, ...args], {
          cwd,
          env: { ...process.env, NO_COLOR: "1", OMK_STATE_DIR: makeTempDir("gates-fuzz-state-") },
          stdio: ["ignore", "pipe", "pipe"],
        });
        if (closeStdout) child.stdout.destroy();
        let stderr = "";
        child.stderr.on("data", (c: Buffer) => {
          stderr += c.toString("utf8");
        });
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stderr }));
      });
    const dir = makeTempDir("gates-fuzz-bin-");
    mkdirSync(path.join(dir, ".omk"));
    await initGitRepo(dir, { "README.md": "x\n" });
    const configs = fc.sample(anyConfig, { numRuns: 3, ...(fuzzParams("gatesConfig").seed === undefined ? {} : { seed: fuzzParams("gatesConfig").seed }) });
    for (const text of ["gates:\n  - *nope\n", "gates:\n  - {name: a, kind: test, command: [node, -e, '0'], cwd: ../../..}\n", ...configs]) {
      writeFileSync(path.join(dir, ".omk", "gates.yaml"), text);
      const r = await run(dir, ["run", "--quiet", "--out", makeTempDir("gates-fuzz-out-")]);
      expect(r.code, `${text}\n${r.stderr}`).not.toBe(70);
      expect(r.stderr, text).not.toMatch(/internal error|\n\s+at .*:\d+:\d+/);
    }
    // `omk-gates detect --json | true`: EPIPE ends quietly with detect's own code.
    writeFileSync(path.join(dir, ".omk", "gates.yaml"), "gates:\n  - {name: ok, kind: test, command: [node, -e, '0']}\n");
    const piped = await run(dir, ["detect", "--json"], true);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).not.toMatch(/EPIPE|Error:/);
  });
});
