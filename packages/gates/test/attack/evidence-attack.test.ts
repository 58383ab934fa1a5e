// Security review (h-attack): can code under test (the agent's src) fake per-test evidence? Each `it` asserts the SAFE behaviour.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, initGitRepo, makeTempDir, tapeProjectFiles } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { type GatesConfig, prepareCheckout, runGates } from "../../src/index.js";

afterAll(cleanupTempDirs, 600_000);
const LONG = 240_000;
const gate = { name: "test", kind: "test", command: ["npm", "test"], tests: { format: "auto" } } as const;

async function run(files: Record<string, string>, deps: boolean) {
  const dir = makeTempDir("attack-ev-");
  await initGitRepo(dir, files);
  if (deps) expect((await prepareCheckout(dir, { cacheDir: makeTempDir("attack-ev-cache-"), config: null, mode: "copy" })).status).toBe("ready");
  const { GatesConfigSchema } = await import("../../src/index.js");
  const config: GatesConfig = GatesConfigSchema.parse({ version: 1, gates: [gate] });
  const report = await runGates({ root: dir, config, outDir: makeTempDir("attack-ev-out-") });
  const g = report.gates[0];
  // biome-ignore lint/suspicious/noConsole: probe output for the report
  console.log(JSON.stringify({ outcome: g?.outcome, exit: g?.exitCode, cases: g?.tests?.map((c) => [c.id, c.outcome]), notes: g?.notes, error: g?.error }));
  return g;
}

describe("F4: stdout TAP forgery (tape)", () => {
  it(
    "a broken add() that prints a well-formed fake TAP stream at require time does not get a passed case",
    async () => {
      const files = tapeProjectFiles();
      const fake =
        "TAP version 13\\n# add: two and two\\nok 1 should be equal\\n# add: zero\\nok 2 should be equal\\n\\n1..2\\n# tests 2\\n# pass  2\\n\\n# ok\\n";
      files["src/add.js"] = `process.stdout.write("${fake}");\nmodule.exports = function add(a, b) { return a - b + (a === 0 ? 0 : 0); };\n`;
      const g = await run(files, true);
      expect(g?.outcome).not.toBe("passed");
      expect(g?.tests?.find((c) => c.id.includes("two and two"))?.outcome).not.toBe("passed");
    },
    LONG,
  );
});

describe("F5: report-file forgery (node:test JUnit file added by OMK)", () => {
  it(
    "code under test renaming a forged JUnit file over the path in NODE_OPTIONS does not turn its failing case green",
    async () => {
      // node:test's reporter (in the parent) opened the file named in NODE_OPTIONS before the test file ran; the test process (the agent's
      // code) renames a forged report over that path: the parent keeps writing the real results into the unlinked inode.
      const forge = `
const fs = require('node:fs');
const m = /--test-reporter-destination=(\\S+\\.xml)/.exec(process.env.NODE_OPTIONS || '');
if (m) { fs.writeFileSync(m[1] + '.f', '<?xml version="1.0"?><testsuites><testcase name="two and two" classname="test" time="0.001"/></testsuites>'); fs.renameSync(m[1] + '.f', m[1]); }
`;
      const files = {
        "package.json": JSON.stringify({ name: "p", version: "1.0.0", scripts: { test: "node --test" } }),
        "src/add.js": `${forge}\nmodule.exports = (a, b) => a - b;\n`,
        "test/add.test.js":
          "const test = require('node:test'); const assert = require('node:assert'); const add = require('../src/add.js');\ntest('two and two', () => { assert.equal(add(2, 2), 4); });\n",
      };
      mkdirSync(makeTempDir("x"), { recursive: true });
      const g = await run(files, false);
      expect(g?.outcome).not.toBe("passed");
      expect(g?.tests?.find((c) => c.id.includes("two and two"))?.outcome).not.toBe("passed");
    },
    LONG,
  );
});
void writeFileSync;
void path;
