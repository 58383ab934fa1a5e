import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { loadGates, parseGatesConfig } from "./config.js";

afterAll(cleanupTempDirs);

const ISSUE_EXAMPLE = `gates:
  - name: unit
    kind: test
    command: [pnpm, test]
    timeout: 10m        # a duration ("90s", "10m") or seconds
    junit: reports/junit.xml
  - name: lint
    kind: lint
    command: [pnpm, lint]
    required: false
  - name: smoke
    kind: custom
    command: [node, scripts/smoke.js]
    env: [API_TOKEN]    # passed through; its value is redacted
`;

describe("parseGatesConfig", () => {
  it("reads the example of the issue, with defaults", () => {
    const parsed = parseGatesConfig(ISSUE_EXAMPLE);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.gates).toEqual([
      expect.objectContaining({
        name: "unit",
        kind: "test",
        command: ["pnpm", "test"],
        timeout: 600_000,
        junit: "reports/junit.xml",
        required: true,
        retries: 0,
        cwd: ".",
        shell: false,
      }),
      expect.objectContaining({ name: "lint", required: false, timeout: 600_000 }),
      expect.objectContaining({ name: "smoke", env: ["API_TOKEN"] }),
    ]);
  });

  it("takes durations as text or seconds", () => {
    const durations = { "90s": 90_000, "1h30m": 5_400_000, "500ms": 500, "2.5": 2500 };
    for (const [text, ms] of Object.entries(durations)) {
      const parsed = parseGatesConfig(`gates:\n  - {name: a, kind: test, command: [x], timeout: "${text}"}\n`);
      expect(parsed.ok && parsed.value.gates[0]?.timeout).toBe(ms);
    }
    const numeric = parseGatesConfig("gates:\n  - {name: a, kind: test, command: [x], timeout: 45}\n");
    expect(numeric.ok && numeric.value.gates[0]?.timeout).toBe(45_000);
  });

  it("refuses what is wrong, naming the place", () => {
    const bad: Array<[string, RegExp]> = [
      ["gates:\n  - {name: a, kind: test, command: 'pnpm test'}\n", /gates\.0\.command: a string command needs `shell: true`/],
      ["gates:\n  - {name: a, kind: test, command: [x]}\n  - {name: a, kind: lint, command: [y]}\n", /duplicate gate name a/],
      ["gates:\n  - {name: a, kind: test, command: [x], needs: [b]}\n  - {name: b, kind: test, command: [x], needs: [a]}\n", /cycle: a -> b -> a/],
      ["gates:\n  - {name: a, kind: test, command: [x], needs: [zz]}\n", /needs unknown gate zz/],
      ["gates:\n  - {name: a, kind: test, command: [x], timeout: soon}\n", /"soon" is not a duration/],
      ["gates:\n  - {name: a, kind: test, command: [x], colour: red}\n", /colour/],
      ["gates:\n  - {name: a, kind: benchmark, command: [x]}\n", /needs a `benchmark` block/],
      ["gates:\n  - {name: a, kind: test}\n", /needs a command/],
      ["gates:\n  - {name: a, kind: test, builtin: secret-scan}\n", /secret-scan is a security gate/],
      ["gates: []\n", /at least one gate/],
      ["gates:\n  - name: [unclosed\n", /not valid YAML/],
      ["gates:\n  - {name: ../x, kind: test, command: [x]}\n", /gate name/],
    ];
    for (const [text, message] of bad) {
      const parsed = parseGatesConfig(text, "gates.yaml");
      expect(parsed.ok, text).toBe(false);
      if (!parsed.ok) {
        expect(parsed.error.code).toBe("OMK_GATES_CONFIG");
        expect(parsed.error.message, text).toMatch(message);
      }
    }
  });

  it("names the file, the line:col and the schema path of a problem, and the fix", () => {
    const cases: Array<[string, RegExp, { line: number; col: number; path?: string }]> = [
      // YAML syntax: the parser's own position.
      ["gates:\n  - name: a\n    command: [x\n  kind: 3\n", /^gates\.yaml:4:3: not valid YAML: .*indented/, { line: 4, col: 3 }],
      // Schema: the zod path and the line:col of that field's value.
      ["gates:\n  - name: a\n    kind: bogus\n    command: [x]\n", /^gates\.yaml:3:11: gates\.0\.kind: /, { line: 3, col: 11, path: "gates.0.kind" }],
      // A missing field: its parent's position.
      ["gates:\n  - name: a\n    command: [x]\n", /^gates\.yaml:2:5: gates\.0\.kind: /, { line: 2, col: 5, path: "gates.0.kind" }],
    ];
    for (const [text, message, position] of cases) {
      const parsed = parseGatesConfig(text, "gates.yaml");
      expect(parsed.ok, text).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.error.message, text).toMatch(message);
      expect(parsed.error.position, text).toEqual(position);
      expect(parsed.error.fix, text).toMatch(new RegExp(`^correct gates\\.yaml at line ${position.line} .*omk-gates detect`));
    }
  });

  it("allows a shell string only with shell: true", () => {
    const parsed = parseGatesConfig("gates:\n  - {name: a, kind: lint, command: 'test -z \"$(gofmt -l .)\"', shell: true}\n");
    expect(parsed.ok).toBe(true);
  });
});

describe("YAML anchors, aliases and merge keys are read; a bad alias or schema problems are a one-line config error, never a crash", () => {
  it("reads anchors, aliases and merge keys, so gates can share fields", () => {
    const parsed = parseGatesConfig(
      "defaults: &d {kind: test, timeout: 90s, env: [API_TOKEN]}\ngates:\n  - {<<: *d, name: unit, command: [pnpm, test]}\n  - {<<: *d, name: e2e, command: [pnpm, e2e]}\n".replace(
        "defaults: &d",
        "x-defaults: &d",
      ),
    );
    // An unknown top-level key is still refused; the aliases themselves are read.
    expect(!parsed.ok && parsed.error.message).toMatch(/Unrecognized key: "x-defaults"/);
    const shared = parseGatesConfig(
      "gates:\n  - &unit {name: unit, kind: test, command: [pnpm, test], env: &envs [API_TOKEN]}\n  - {name: e2e, kind: test, command: [pnpm, e2e], env: *envs}\n",
    );
    expect(shared.ok && shared.value.gates.map((g) => [g.name, g.env])).toEqual([
      ["unit", ["API_TOKEN"]],
      ["e2e", ["API_TOKEN"]],
    ]);
    const merged = parseGatesConfig(
      "gates:\n  - &unit {name: unit, kind: test, command: [pnpm, test], timeout: 90s}\n  - {<<: *unit, name: e2e, command: [pnpm, e2e]}\n",
    );
    expect(merged.ok && merged.value.gates.map((g) => [g.name, g.kind, g.timeout])).toEqual([
      ["unit", "test", 90_000],
      ["e2e", "test", 90_000],
    ]);
  });

  it("an alias of no anchor, or an alias bomb, is a typed one-line config error", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from({ length: 8 }, (_, i) => `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(10).fill(`*${"abcdefgh"[i]}`).join(", ")}]`),
      "gates: *i",
    ].join("\n");
    const cases: Array<[string, RegExp]> = [
      ["gates:\n  - *nope\n", /^gates\.yaml: not valid YAML: the alias \*nope names no anchor set before it: add &nope/],
      ["gates: *later\nx: &later [1]\n", /the alias \*later names no anchor set before it/],
      [bomb, /^gates\.yaml: not valid YAML: aliases expand to too many nodes \(more than 100\)/],
      [`gates: ${"[".repeat(3000)}${"]".repeat(3000)}\n`, /not valid YAML: the document is nested too deeply: flatten it/],
    ];
    for (const [text, message] of cases) {
      const parsed = parseGatesConfig(text, "gates.yaml");
      expect(parsed.ok, text).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.error.code).toBe("OMK_GATES_CONFIG");
      expect(parsed.error.message).toMatch(message);
      expect(parsed.error.message).not.toContain("\n");
      expect(parsed.error.fix).toMatch(/^correct gates\.yaml/);
    }
  });

  it("several schema problems are one line, separated by '; ' (each is also in issues)", () => {
    const parsed = parseGatesConfig("gates:\n  - {name: a, kind: bogus, command: [x], colour: red}\n", "gates.yaml");
    expect(!parsed.ok && parsed.error.message).toMatch(/^gates\.yaml:\d+:\d+: 2 problems: gates\.0\.kind: .*; gates\.0: Unrecognized key: "colour"$/);
    expect(!parsed.ok && parsed.error.issues).toHaveLength(2);
  });
});

describe("a gate stays inside the checkout (cwd, junit, tests.file and golden paths)", () => {
  it("refuses a cwd, junit, tests.file or golden output that leaves the project root", () => {
    const gate = (extra: string) => `gates:\n  - {name: a, kind: test, command: [x], ${extra}}\n`;
    const refused: Array<[string, RegExp]> = [
      [gate("cwd: ../../.."), /gates\.0\.cwd: cwd "\.\.\/\.\.\/\.\." leads out of the project root: give a directory relative to the project root, inside it/],
      [gate("cwd: /etc"), /gates\.0\.cwd: cwd "\/etc" is absolute/],
      [gate("cwd: sub/../../x"), /gates\.0\.cwd: cwd "sub\/\.\.\/\.\.\/x" leads out/],
      [gate("cwd: 'C:\\Windows'"), /is absolute/],
      [gate('cwd: "a\\0b"'), /holds a NUL character/],
      [
        gate("cwd: sub, junit: ../../r.xml"),
        /gates\.0\.junit: "\.\.\/\.\.\/r\.xml" \(relative to cwd sub\) leads out of the project root: name a file inside the project/,
      ],
      [gate("tests: {format: junit, file: /tmp/r.xml}"), /gates\.0\.tests: .* is absolute/],
    ];
    for (const [text, message] of refused) {
      const parsed = parseGatesConfig(text, "gates.yaml");
      expect(parsed.ok, text).toBe(false);
      if (!parsed.ok) expect(parsed.error.message, text).toMatch(message);
    }
    const golden = parseGatesConfig("gates:\n  - {name: g, kind: golden, command: [x], golden: {outputs: [../../etc/passwd]}}\n");
    expect(!golden.ok && golden.error.message).toMatch(/gates\.0\.golden: .* leads out of the project root/);
    for (const [cwd, junit] of [
      [".", "r.xml"],
      ["./", "out/r.xml"],
      ["sub", "../r.xml"],
      ["sub/..", "r.xml"],
      ["packages/core", "../../r.xml"],
      ["a/b/../c", "../r.xml"],
    ]) {
      const parsed = parseGatesConfig(gate(`cwd: '${cwd}', junit: '${junit}'`));
      expect(parsed.ok, cwd).toBe(true);
    }
  });
});

describe("loadGates", () => {
  it("prefers .omk/gates.yaml, falls back to detection, and never falls back from a broken file", () => {
    const dir = makeTempDir("gates-load-");
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ scripts: { test: "vitest" } }));
    const detected = loadGates(dir);
    expect(detected.ok && detected.value.source).toEqual({ source: "detected", path: null });
    mkdirSync(path.join(dir, ".omk"));
    writeFileSync(path.join(dir, ".omk", "gates.yaml"), ISSUE_EXAMPLE);
    const file = loadGates(dir);
    expect(file.ok && file.value.source).toEqual({ source: "file", path: path.join(dir, ".omk", "gates.yaml") });
    writeFileSync(path.join(dir, ".omk", "gates.yaml"), "gates: nope\n");
    const broken = loadGates(dir);
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.error.code).toBe("OMK_GATES_CONFIG");
    const missing = loadGates(dir, { config: "nowhere.yaml" });
    expect(!missing.ok && missing.error.message).toMatch(/nowhere\.yaml: cannot read the file/);
  });
});
