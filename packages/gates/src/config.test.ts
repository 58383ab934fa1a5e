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
      expect.objectContaining({ name: "unit", kind: "test", command: ["pnpm", "test"], timeout: 600_000, junit: "reports/junit.xml", required: true, retries: 0, cwd: ".", shell: false }),
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
