import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { planTestReport } from "./plan.js";
import { packageScript, splitScript } from "./script-line.js";

function pkg(scripts: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "omk-plan-"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ scripts }));
  return dir;
}
const plan = (command: string[] | string, scripts: Record<string, string> = {}, env: Record<string, string> = {}) =>
  planTestReport({ command, shell: typeof command === "string", cwd: pkg(scripts), env, reportFile: (ext) => `/out/reports/test.${ext}` });

describe("splitScript", () => {
  it("reads plain words, quotes, env assignments and && chains", () => {
    expect(splitScript("npm run lint && NODE_ENV=test tape 'test/**/*.js'")).toEqual([
      { assigns: [], words: ["npm", "run", "lint"] },
      { assigns: ["NODE_ENV=test"], words: ["tape", "test/**/*.js"] },
    ]);
  });
  it("refuses pipes, ;, ||, redirections, variables, substitutions and escapes", () => {
    for (const line of ["tape t.js | tap-spec", "a; b", "a || b", "a > out", "a $X", 'a "$(b)"', "a `b`", "a \\x", "(a)", "a &"])
      expect(splitScript(line)).toBeUndefined();
  });
});

describe("packageScript", () => {
  it("knows npm/pnpm/yarn test and run forms, and leaves recursive runs alone", () => {
    expect(packageScript(["npm", "test"])).toMatchObject({ pm: "npm", script: "test" });
    expect(packageScript(["npm", "run", "test", "--ignore-scripts"])).toMatchObject({ pm: "npm", script: "test" });
    expect(packageScript(["pnpm", "test"])).toMatchObject({ pm: "pnpm", script: "test" });
    expect(packageScript(["yarn", "run", "unit"])).toMatchObject({ pm: "yarn", script: "unit" });
    expect(packageScript(["pnpm", "-r", "--if-present", "run", "test"])).toBeUndefined();
    expect(packageScript(["npm", "run", "test", "--workspaces", "--if-present"])).toBeUndefined();
  });
});

describe("planTestReport", () => {
  it("npm passes reporter flags after `--`; pnpm and yarn after the script name", () => {
    expect(plan(["npm", "run", "test"], { test: "jest --coverage" })).toMatchObject({
      ok: true,
      runner: "jest",
      format: "jest-json",
      command: ["npm", "run", "test", "--", "--json", "--outputFile=/out/reports/test.json"],
    });
    expect(plan(["pnpm", "test"], { test: "vitest run" })).toMatchObject({
      ok: true,
      runner: "vitest",
      command: ["pnpm", "test", "--reporter=default", "--reporter=junit", "--outputFile.junit=/out/reports/test.xml"],
    });
    expect(plan(["yarn", "test"], { test: "nyc --reporter lcov mocha" })).toMatchObject({
      ok: true,
      runner: "mocha",
      command: ["yarn", "test", "--reporter=xunit", "--reporter-options=output=/out/reports/test.xml"],
    });
  });
  it("node:test (node or tsx --test) gets its JUnit reporter through NODE_OPTIONS, keeping an existing value", () => {
    const p = plan(["npm", "test"], { test: "tsx --test test/*.ts" }, { NODE_OPTIONS: "--max-old-space-size=100" });
    expect(p).toMatchObject({ ok: true, runner: "node:test", format: "junit", file: "/out/reports/test.xml", command: ["npm", "test"] });
    expect(p.ok && p.env["NODE_OPTIONS"]).toBe(
      "--max-old-space-size=100 --test-reporter=spec --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=/out/reports/test.xml",
    );
    expect(plan(["npm", "test"], { test: "node --test --test-reporter=dot" })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/own --test-reporter/),
    });
  });
  it("tape and cargo are read from stdout as they are; go and cargo argv get -json / --no-fail-fast", () => {
    expect(plan(["npm", "test"], { test: "c8 tape test/*.js" })).toMatchObject({
      ok: true,
      runner: "tape",
      format: "tap",
      tapGroups: true,
      command: ["npm", "test"],
    });
    expect(plan(["go", "test", "./..."])).toMatchObject({ ok: true, format: "go-json", command: ["go", "test", "-json", "./..."] });
    expect(plan(["cargo", "test", "--workspace"])).toMatchObject({ ok: true, format: "libtest", command: ["cargo", "test", "--no-fail-fast", "--workspace"] });
    expect(plan(["python3", "-m", "pytest"])).toMatchObject({
      ok: true,
      format: "junit",
      command: ["python3", "-m", "pytest", "--junitxml=/out/reports/test.xml"],
    });
  });
  it("a nested script is followed; a reporter flag cannot reach it, stdout formats and NODE_OPTIONS still work", () => {
    expect(plan(["npm", "test"], { test: "npm run lint && npm run unit", unit: "tape test.js", lint: "eslint ." })).toMatchObject({ ok: true, runner: "tape" });
    expect(plan(["npm", "test"], { test: "npm run unit", unit: "jest" })).toMatchObject({ ok: false, reason: expect.stringMatching(/nested package script/) });
  });
  it("every command of a chain is looked at: node:test through NODE_OPTIONS wherever it is; jest in the middle is not had, and the notes say so", () => {
    // @fastify/forwarded: node:test first, a type-test runner (tstyche) last
    const forwarded = plan(["npm", "run", "test"], {
      test: "npm run test:unit && npm run test:typescript",
      "test:unit": "c8 --100 node --test",
      "test:typescript": "tstyche",
    });
    expect(forwarded).toMatchObject({ ok: true, runner: "node:test", format: "junit", file: "/out/reports/test.xml", command: ["npm", "run", "test"] });
    expect(forwarded.ok && forwarded.env["NODE_OPTIONS"]).toMatch(/--test-reporter=junit --test-reporter-destination=\/out\/reports\/test\.xml$/);
    expect(forwarded.ok && forwarded.also).toBeUndefined();
    // process-warning: node:test, then jest (needs a trailing argument: not had in the middle), then tstyche
    const warning = plan(["npm", "run", "test"], {
      test: "npm run test:unit && npm run test:jest && npm run test:typescript",
      "test:jest": "jest jest.test.js",
      "test:unit": "c8 --100 node --test",
      "test:typescript": "tstyche",
    });
    expect(warning).toMatchObject({ ok: true, runner: "node:test", command: ["npm", "run", "test"] });
    expect(warning.ok && warning.how).toMatch(/not had: jest \(not the chain's last command/);
  });
  it("several runners in one chain give several reports: node:test's file and the last command's jest file, or tape's stdout", () => {
    const both = plan(["npm", "test"], { test: "node --test && jest" });
    expect(both).toMatchObject({
      ok: true,
      runner: "node:test",
      file: "/out/reports/test.xml",
      command: ["npm", "test", "--", "--json", "--outputFile=/out/reports/test.json"],
      also: [{ runner: "jest", format: "jest-json", file: "/out/reports/test.json" }],
    });
    const tape = plan(["npm", "test"], { test: "tape a.js && c8 node --test" });
    expect(tape).toMatchObject({ ok: true, runner: "tape", format: "tap", tapGroups: true, also: [{ runner: "node:test", format: "junit" }] });
    // only one report can be stdout: the second tape is not had
    expect(plan(["npm", "test"], { test: "tape a.js && tape b.js" })).toMatchObject({
      ok: true,
      runner: "tape",
      how: expect.stringMatching(/not had: tape \(its report is stdout/),
    });
    // a chain whose only runner needs a trailing argument it cannot get: no plan, the reason named
    expect(plan(["npm", "test"], { test: "jest && tstyche" })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/jest \(not the chain's last command/),
    });
  });
  it("mocha: xunit to a file with `--reporter-options` (every mocha from 2.2); before 2.2, its TAP reporter on stdout", () => {
    const at = (version: string | undefined) => {
      const dir = pkg({ test: "mocha --reporter=spec test/*-test.js" });
      if (version !== undefined) {
        mkdirSync(path.join(dir, "node_modules", "mocha"), { recursive: true });
        writeFileSync(path.join(dir, "node_modules", "mocha", "package.json"), JSON.stringify({ name: "mocha", version }));
      }
      return planTestReport({ command: ["npm", "test"], shell: false, cwd: dir, env: {}, reportFile: (ext) => `/out/r.${ext}` });
    };
    for (const v of ["2.5.3", "3.5.3", "10.8.2", undefined]) {
      expect(at(v), v).toMatchObject({
        ok: true,
        runner: "mocha",
        format: "junit",
        file: "/out/r.xml",
        command: ["npm", "test", "--", "--reporter=xunit", "--reporter-options=output=/out/r.xml"],
      });
    }
    expect(at("2.1.0")).toMatchObject({ ok: true, runner: "mocha", format: "tap", command: ["npm", "test", "--", "--reporter=tap"] });
    expect(at("2.1.0")).not.toHaveProperty("file");
  });
  it("`node <file>`: the runner the file loads (node:test through NODE_OPTIONS, tape from stdout), else sniffed", () => {
    const dir = pkg({ test: "node test.js" });
    const at = (text: string) => {
      writeFileSync(path.join(dir, "test.js"), text);
      return planTestReport({ command: ["npm", "test"], shell: false, cwd: dir, env: {}, reportFile: (ext) => `/out/r.${ext}` });
    };
    expect(at('import { test } from "node:test";\n')).toMatchObject({ ok: true, runner: "node:test", format: "junit" });
    expect(at("const test = require('tape');\n")).toMatchObject({ ok: true, runner: "tape", format: "tap", tapGroups: true });
    expect(at("const assert = require('assert');\n")).toMatchObject({ ok: true, runner: "tap (sniffed)" });
  });

  it("a shell gate line gets the flags at its end", () => {
    expect(plan("npx vitest run")).toMatchObject({
      ok: true,
      runner: "vitest",
      command: ["npx vitest run --reporter=default --reporter=junit --outputFile.junit=/out/reports/test.xml"],
    });
  });
  it("shell syntax and missing scripts fail with the fix; an unknown runner is sniffed for TAP", () => {
    expect(plan(["npm", "test"], { test: "tape t.js | tap-spec" })).toMatchObject({ ok: false, fix: expect.stringMatching(/tests: \{ format: tap \}/) });
    expect(plan(["npm", "run", "unit"], { test: "x" })).toMatchObject({ ok: false, reason: 'package.json has no "unit" script' });
    expect(plan(["npm", "test"], { test: "node test.js" })).toMatchObject({ ok: true, runner: "tap (sniffed)", command: ["npm", "test"] });
  });
});
