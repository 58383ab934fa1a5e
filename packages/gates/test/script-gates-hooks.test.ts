import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { detectGates } from "../src/index.js";
import { gatesIn, write } from "./cli-helpers.js";

afterAll(cleanupTempDirs);

/** A script that appends its name to hooks.log, so a test sees which scripts ran. */
const mark = (name: string) => `node -e "require('fs').appendFileSync('hooks.log','${name}\\n')"`;
const hookScripts = { pretest: mark("pretest"), test: mark("test"), posttest: mark("posttest") };

describe("detected script gates run without npm's pre/post hooks, and say so", () => {
  it("npm: `npm run test --ignore-scripts` runs the script and not pretest/posttest (this machine's npm)", async () => {
    const dir = write(makeTempDir("hyg-npm-"), { "package.json": { name: "p", version: "1.0.0", scripts: hookScripts }, "package-lock.json": "{}" });
    const d = detectGates(dir);
    if (!d.ok) throw d.error;
    expect(d.value.config.gates[0]?.command).toEqual(["npm", "run", "test", "--ignore-scripts"]);
    expect(d.value.gates[0]?.reason).toBe('package.json script "test", run with npm; pre/post hooks not run (pretest, posttest left out)');
    const run = await gatesIn(dir, {}, "run", "--quiet", "--out", makeTempDir("hyg-out-"));
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "hooks.log"), "utf8")).toBe("test\n");
  });

  it("pnpm: --config.enable-pre-post-scripts=false (pnpm 10 runs them by default)", async () => {
    const shim = makeTempDir("hyg-shim-");
    write(shim, { pnpm: '#!/bin/sh\nexec npx -y pnpm@10 "$@"\n' });
    chmodSync(path.join(shim, "pnpm"), 0o755);
    const dir = write(makeTempDir("hyg-pnpm-"), {
      "package.json": { name: "p", version: "1.0.0", scripts: hookScripts },
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
    });
    const env = { PATH: `${shim}${path.delimiter}${process.env["PATH"]}` };
    const d = detectGates(dir);
    expect(d.ok && d.value.config.gates[0]?.command).toEqual(["pnpm", "run", "--config.enable-pre-post-scripts=false", "test"]);
    // Without the switch pnpm runs the hooks: the test below would fail if the switch did nothing.
    await execa("pnpm", ["run", "test"], { cwd: dir, env });
    expect(readFileSync(path.join(dir, "hooks.log"), "utf8")).toBe("pretest\ntest\nposttest\n");
    writeFileSync(path.join(dir, "hooks.log"), "");
    const run = await gatesIn(dir, env, "run", "--quiet", "--out", makeTempDir("hyg-out-"));
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "hooks.log"), "utf8")).toBe("test\n");
  }, 120_000);

  it("yarn 1 with hooks is run by npm; yarn 2+ never runs hooks; the reason says which", () => {
    const classic = detectGates(write(makeTempDir("hyg-yarn-"), { "package.json": { scripts: hookScripts }, "yarn.lock": "" }));
    expect(classic.ok && classic.value.config.gates[0]?.command).toEqual(["npm", "run", "test", "--ignore-scripts"]);
    expect(classic.ok && classic.value.gates[0]?.reason).toMatch(/yarn 1 always runs pre\/post hooks; pre\/post hooks not run/);
    const plain = detectGates(write(makeTempDir("hyg-yarn-"), { "package.json": { scripts: { test: "jest" } }, "yarn.lock": "" }));
    expect(plain.ok && plain.value.config.gates[0]?.command).toEqual(["yarn", "run", "test"]);
    expect(plain.ok && plain.value.gates[0]?.reason).toMatch(/pre\/post hooks not run \(it has none\)/);
    const berry = detectGates(write(makeTempDir("hyg-yarn-"), { "package.json": { packageManager: "yarn@4.5.0", scripts: hookScripts }, "yarn.lock": "" }));
    expect(berry.ok && berry.value.config.gates[0]?.command).toEqual(["yarn", "run", "test"]);
    expect(berry.ok && berry.value.gates[0]?.reason).toMatch(/yarn 2\+ never runs them/);
  });

  it("network-only tools are not made gates (skipped with the reason); a script that also runs one says so", () => {
    for (const tool of ["npm audit --audit-level=high", "audit-ci --high", "snyk test", "npm outdated", "nsp check", "npx audit-ci"]) {
      const d = detectGates(write(makeTempDir("hyg-net-"), { "package.json": { scripts: { test: tool, build: "tsc" } }, "package-lock.json": "{}" }));
      if (!d.ok) throw d.error;
      expect(
        d.value.config.gates.map((g) => g.name),
        tool,
      ).toEqual(["build"]);
      expect(d.value.skipped, tool).toContainEqual({
        name: "test",
        reason: expect.stringMatching(/^the "test" script only runs network tools \(.+\): not run by default/),
      });
    }
    const mixed = detectGates(write(makeTempDir("hyg-net-"), { "package.json": { scripts: { lint: "eslint . && npm audit" } }, "package-lock.json": "{}" }));
    expect(mixed.ok && mixed.value.gates[0]?.reason).toMatch(/note: it also runs npm audit, which needs the network/);
  });
});
