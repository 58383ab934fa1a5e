// The JUnit reporter OMK adds to a test command to learn which cases ran: node --test directly,
// or through an npm script whose command is `node --test` with options only (a repo with no .omk/ config).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { withJunitReporter } from "../src/evidence/runs.js";

afterAll(() => cleanupTempDirs());

describe("withJunitReporter", () => {
  it("adds the reporter after `--` to `npm run test` and `npm test` when the script is node --test with options only", () => {
    const out = withJunitReporter(["npm", "run", "test"], "/r/junit.xml", { test: "node --test" });
    expect(out).toEqual({ argv: ["npm", "run", "test", "--", "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=junit", "--test-reporter-destination=/r/junit.xml"], junit: "/r/junit.xml" });
    expect(withJunitReporter(["npm", "test"], "/r/j.xml", { test: "node --test --test-concurrency=1" })?.argv.slice(0, 3)).toEqual(["npm", "test", "--"]);
  });

  it("gives none for a script it cannot extend: other runners, positional patterns, a missing script", () => {
    // Detection's form: the script without its pre/post hooks.
    expect(withJunitReporter(["npm", "run", "test", "--ignore-scripts"], "/r/j.xml", { test: "node --test" })?.argv).toEqual(["npm", "run", "test", "--ignore-scripts", "--", "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=junit", "--test-reporter-destination=/r/j.xml"]);
    expect(withJunitReporter(["npm", "run", "test"], "/r/j.xml", { test: "jest" })).toBeUndefined();
    expect(withJunitReporter(["npm", "run", "test"], "/r/j.xml", { test: "node --test test/" })).toBeUndefined();
    expect(withJunitReporter(["npm", "run", "test"], "/r/j.xml", {})).toBeUndefined();
    expect(withJunitReporter(["npm", "run", "test"], "/r/j.xml")).toBeUndefined();
  });

  it("the argv it gives, run by real npm, writes the JUnit report of the cases", () => {
    const root = makeTempDir("omk-junit-npm-");
    writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "x", private: true, type: "module", scripts: { test: "node --test" } }));
    writeFileSync(path.join(root, "a.test.js"), 'import test from "node:test";\ntest("[oracle:regression-test] holds", () => {});\n');
    const file = path.join(root, "junit.xml");
    const out = withJunitReporter(["npm", "run", "test"], file, { test: "node --test" });
    if (out === undefined) throw new Error("no reporter");
    execFileSync(out.argv[0] ?? "npm", out.argv.slice(1), { cwd: root, stdio: "ignore" });
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8")).toContain('name="[oracle:regression-test] holds"');
  });
});
