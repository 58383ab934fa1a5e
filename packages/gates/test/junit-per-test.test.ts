// `omk-gates run --junit` and `compare --junit` on a plain `npm test` project (node:test, no config):
// one testcase per test, and a test failing on the base too is a pre_existing failure, not a skip.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { XMLParser } from "fast-xml-parser";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/internal/cli.js";

afterAll(cleanupTempDirs);

async function gatesBin(cwd: string, ...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main({ argv: args, cwd, env: { ...process.env, NO_COLOR: "1" }, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const TESTS = (addBody: string) =>
  `import { test } from "node:test";\nimport assert from "node:assert";\nimport { add } from "../add.js";\ntest("adds", () => assert.equal(add(2, 2), 4));\ntest("old broken", () => assert.equal(1, 2));\n${addBody}`;

type Case = Record<string, unknown> & { name: string };
function suites(file: string): Array<{ name: string; testcase: Case[] }> {
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => n === "testsuite" || n === "testcase" }).parse(
    readFileSync(file, "utf8"),
  ) as {
    testsuites: { testsuite: Array<{ name: string; testcase: Case[] }> };
  };
  return parsed.testsuites.testsuite;
}

describe("JUnit output per test on a plain npm test project", () => {
  it("run --junit: a testcase per test; compare --junit: the new failure is a failure, the old one a pre_existing failure", { timeout: 180_000 }, async () => {
    const dir = makeTempDir("gates-junit-plain-");
    mkdirSync(path.join(dir, "test"));
    await initGitRepo(dir, {
      "package.json": JSON.stringify({ name: "p", version: "1.0.0", type: "module", scripts: { test: "node --test test/" } }),
      "add.js": "export const add = (a, b) => a + b;\n",
      "test/add.test.js": TESTS(""),
      ".gitignore": "out/\n*.xml\n",
    });
    const run = await gatesBin(dir, "run", "--out", makeTempDir("gates-junit-out-"), "--junit", "run.xml", "--only", "test");
    expect(run.code, run.stderr).toBe(1);
    const [test] = suites(path.join(dir, "run.xml"));
    expect(test?.name).toBe("test");
    expect(test?.testcase.map((c) => c.name)).toEqual(["adds", "old broken"]);
    expect(test?.testcase[0]?.["failure"]).toBeUndefined();
    expect(test?.testcase[1]?.["failure"]).toBeDefined();

    // A regression: add() breaks, committed.
    writeFileSync(path.join(dir, "add.js"), "export const add = (a, b) => a - b;\n");
    execFileSync("git", ["commit", "-qam", "break add"], {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
    });
    const compared = await gatesBin(dir, "compare", "--base", "HEAD~1", "--out", makeTempDir("gates-junit-out-"), "--junit", "compare.xml", "--only", "test");
    expect(compared.code, compared.stderr).toBe(1);
    const [after] = suites(path.join(dir, "compare.xml"));
    const adds = after?.testcase.find((c) => c.name === "adds");
    const old = after?.testcase.find((c) => c.name === "old broken");
    expect(adds?.["failure"]).toBeDefined();
    expect(adds?.["properties"]).toMatchObject({ property: { name: "omk.baseline", value: "new_failure" } });
    expect(old?.["failure"]).toMatchObject({ type: "pre_existing", message: expect.stringMatching(/^pre-existing: fails on base too/) });
    expect(old?.["skipped"]).toBeUndefined();
  });
});
