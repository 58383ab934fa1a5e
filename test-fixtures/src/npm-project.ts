/**
 * A tiny real npm project with one real devDependency (tape, from the npm
 * registry): package.json, a package-lock.json made at test time with
 * `npm install --package-lock-only` (once per process), src/add.js and a
 * tape test. Used by the dependency-setup tests and the setup-overhead bench.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const TAPE_VERSION = "5.9.0";

export const TAPE_PACKAGE_JSON = `${JSON.stringify({ name: "omk-tape-fixture", version: "1.0.0", private: true, scripts: { test: "tape test/*.js" }, devDependencies: { tape: TAPE_VERSION } }, null, 2)}\n`;

const ADD_JS = "module.exports = function add(a, b) {\n  return a + b;\n};\n";
export const BROKEN_ADD_JS = "module.exports = function add(a, b) {\n  return a - b;\n};\n";
const TAPE_TEST_JS =
  "const test = require('tape');\nconst add = require('../src/add.js');\n\ntest('add: two and two', (t) => {\n  t.equal(add(2, 2), 4);\n  t.end();\n});\n\ntest('add: zero', (t) => {\n  t.equal(add(0, 0), 0);\n  t.end();\n});\n";

const locks = new Map<string, string>();

/** `npm install --package-lock-only` of `packageJson` in a scratch folder: the lockfile text (cached per manifest). */
export function npmLockfileFor(packageJson: string): string {
  const known = locks.get(packageJson);
  if (known !== undefined) return known;
  const dir = mkdtempSync(path.join(os.tmpdir(), "omk-npm-lock-"));
  try {
    writeFileSync(path.join(dir, "package.json"), packageJson);
    execFileSync("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: dir, stdio: "pipe", timeout: 180_000 });
    const lock = readFileSync(path.join(dir, "package-lock.json"), "utf8");
    locks.set(packageJson, lock);
    return lock;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The files of the tape project (node_modules deliberately NOT in .gitignore: setup products must ignore themselves). */
export function tapeProjectFiles(): Record<string, string> {
  return {
    "package.json": TAPE_PACKAGE_JSON,
    "package-lock.json": npmLockfileFor(TAPE_PACKAGE_JSON),
    "src/add.js": ADD_JS,
    "test/add.js": TAPE_TEST_JS,
    "README.md": "# tape fixture\n",
  };
}
