import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { inspectRepository, testCommandFor } from "../src/index.js";

afterAll(cleanupTempDirs);

function repo(files: Record<string, string>): string {
  const dir = makeTempDir("omk-inspect-");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe("inspectRepository", () => {
  it("reads a TypeScript pnpm workspace with vitest", async () => {
    const dir = repo({
      "package.json": JSON.stringify({ name: "x", devDependencies: { vitest: "^4", typescript: "^5" }, scripts: { test: "vitest run" } }),
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      "README.md": "# x\n",
      "docs/guide.md": "# guide\n",
      "src/index.ts": "export const a = 1;\n",
      "src/parser.ts": "export function parse() {}\n",
      "src/parser.test.ts": "import { test } from 'vitest';\n",
      "test/e2e.test.ts": "import { test } from 'vitest';\n",
      "scripts/build.mjs": "console.log(1)\n",
      "node_modules/vitest/index.js": "ignored\n",
      "dist/index.js": "ignored\n",
    });
    await initGitRepo(dir, { ".gitignore": "node_modules\ndist\n" });
    const facts = inspectRepository(dir);
    expect(facts).toEqual({
      files: 10,
      bytes: expect.any(Number),
      truncated: false,
      languages: [
        { name: "TypeScript", files: 4 },
        { name: "JavaScript", files: 1 },
      ],
      packageManager: "pnpm",
      manifests: ["package.json"],
      lockfiles: ["pnpm-lock.yaml"],
      testFrameworks: ["vitest"],
      testFolders: ["test/"],
      testPatterns: ["src/**/*.test.ts"],
      sourceFolders: ["src/", "scripts/"],
      docsFolders: ["docs/", "README.md"],
      mainFolders: [
        { path: "src/", files: 3 },
        { path: "docs/", files: 1 },
        { path: "scripts/", files: 1 },
        { path: "test/", files: 1 },
      ],
      empty: false,
    });
    expect(facts.bytes).toBeGreaterThan(100);
    expect(testCommandFor({ inspection: facts, gates: [], goalText: "x" })).toEqual(["npx", "vitest", "run"]);
  });

  it("reads a Python poetry project with pytest", () => {
    const dir = repo({
      "pyproject.toml": "[tool.poetry]\nname = 'x'\n[tool.pytest.ini_options]\n",
      "poetry.lock": "",
      "app/__init__.py": "",
      "app/core.py": "def f(): pass\n",
      "tests/test_core.py": "def test_f(): pass\n",
    });
    const facts = inspectRepository(dir);
    expect(facts).toMatchObject({
      languages: [{ name: "Python", files: 3 }],
      packageManager: "poetry",
      testFrameworks: ["pytest"],
      testFolders: ["tests/"],
      sourceFolders: ["app/"],
      empty: false,
    });
    expect(testCommandFor({ inspection: facts, gates: [], goalText: "x" })).toEqual(["python", "-m", "pytest"]);
  });

  it("reads a Go module with root sources and colocated tests", () => {
    const dir = repo({
      "go.mod": "module x\n",
      "go.sum": "",
      "main.go": "package main\n",
      "internal/calc/calc.go": "package calc\n",
      "internal/calc/calc_test.go": "package calc\n",
    });
    expect(inspectRepository(dir)).toMatchObject({
      languages: [{ name: "Go", files: 3 }],
      packageManager: "go",
      testFrameworks: ["go test"],
      testPatterns: ["internal/**/*_test.go"],
      sourceFolders: ["internal/", "main.go"],
    });
  });

  it("reads a root test.js (tape's and node's convention) as the test file, not as a source file", () => {
    const dir = repo({
      "package.json": JSON.stringify({ name: "x", scripts: { test: "tape test.js" }, devDependencies: { tape: "^5" } }),
      "index.js": "module.exports = 1\n",
      "test.js": "require('tape')\n",
    });
    const inspection = inspectRepository(dir);
    expect(inspection).toMatchObject({ testPatterns: ["test.js"], testFolders: [], sourceFolders: ["index.js"] });
  });

  it("calls a repository with only docs empty, and counts nothing for an empty folder", () => {
    const docsOnly = inspectRepository(repo({ "README.md": "# idea\n", LICENSE: "MIT\n" }));
    expect(docsOnly).toMatchObject({ files: 2, languages: [], sourceFolders: [], docsFolders: ["README.md"], empty: true, packageManager: null });
    expect(inspectRepository(makeTempDir())).toMatchObject({ files: 0, empty: true, mainFolders: [] });
  });

  it("stops at the file limit and says so, and does not follow symlinks", () => {
    const dir = repo({ "src/a.ts": "", "src/b.ts": "", "src/c.ts": "" });
    symlinkSync(path.join(dir, "src"), path.join(dir, "loop"));
    expect(inspectRepository(dir)).toMatchObject({ files: 3, truncated: false });
    expect(inspectRepository(dir, { maxFiles: 2 })).toMatchObject({ files: 2, truncated: true });
  });
});
