import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { detectGates } from "../src/index.js";

afterAll(cleanupTempDirs);

/** A fixture project: files by relative path (objects are written as JSON). */
function project(files: Record<string, string | object>): string {
  const dir = makeTempDir("gates-detect-");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), typeof content === "string" ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

function detect(dir: string) {
  const found = detectGates(dir);
  if (!found.ok) throw found.error;
  const d = found.value;
  return {
    ...d,
    commands: Object.fromEntries(d.config.gates.map((g) => [g.name, g.command])),
    why: (name: string) => d.gates.find((g) => g.name === name)?.reason,
  };
}

describe("detectGates by project type", () => {
  it("Node with npm: scripts build, typecheck, lint, test, run with the lockfile's package manager", () => {
    const d = detect(
      project({
        "package.json": { scripts: { build: "tsup", "type-check": "tsc", lint: "biome lint", test: "vitest run", dev: "vite" } },
        "package-lock.json": "{}",
      }),
    );
    expect(d.commands).toEqual({
      build: ["npm", "run", "build"],
      typecheck: ["npm", "run", "type-check"],
      lint: ["npm", "run", "lint"],
      test: ["npm", "run", "test"],
    });
    expect(d.projects[0]?.reason).toMatch(/package manager npm from package-lock\.json/);
    expect(d.why("typecheck")).toBe('package.json script "type-check", run with npm; pre/post hooks not run (it has none)');
    expect(d.config.gates.map((g) => g.kind)).toEqual(["build", "typecheck", "lint", "test"]);
  });

  it("picks yarn, bun or the packageManager field, and skips npm's placeholder test script", () => {
    expect(detect(project({ "package.json": { scripts: { test: "jest" } }, "yarn.lock": "" })).commands["test"]).toEqual(["yarn", "run", "test"]);
    expect(detect(project({ "package.json": { scripts: { test: "bun test" } }, "bun.lockb": "" })).commands["test"]).toEqual(["bun", "run", "test"]);
    const field = detect(project({ "package.json": { packageManager: "pnpm@9.12.0", scripts: { lint: "eslint ." } } }));
    expect(field.commands["lint"]).toEqual(["pnpm", "run", "lint"]);
    expect(field.projects[0]?.reason).toMatch(/packageManager field "pnpm@9\.12\.0"/);
    const placeholder = detect(project({ "package.json": { scripts: { test: 'echo "Error: no test specified" && exit 1', build: "tsc" } } }));
    expect(Object.keys(placeholder.commands)).toEqual(["build"]);
    expect(placeholder.skipped).toContainEqual({ name: "test", reason: expect.stringMatching(/npm's placeholder/) });
  });

  it("a pnpm workspace: root scripts when present, else the script in every package that has it", () => {
    const dir = project({
      "package.json": { name: "root", private: true, scripts: { lint: "biome lint" } },
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      "pnpm-workspace.yaml": "packages:\n  - packages/*\n  - apps/*\n",
      "packages/a/package.json": { name: "a", scripts: { test: "vitest run", build: "tsup" } },
      "packages/b/package.json": { name: "b", scripts: { test: "vitest run" } },
      "apps/cli/package.json": { name: "cli", scripts: { typecheck: "tsc" } },
    });
    const d = detect(dir);
    expect(d.projects[0]?.reason).toMatch(/pnpm workspace \(pnpm-workspace\.yaml\) with 3 package\(s\)/);
    expect(d.commands).toEqual({
      build: ["pnpm", "-r", "--if-present", "run", "--config.enable-pre-post-scripts=false", "build"],
      typecheck: ["pnpm", "-r", "--if-present", "run", "--config.enable-pre-post-scripts=false", "typecheck"],
      lint: ["pnpm", "run", "lint"],
      test: ["pnpm", "-r", "--if-present", "run", "--config.enable-pre-post-scripts=false", "test"],
    });
    expect(d.why("test")).toMatch(/no root "test" script; 2 workspace package\(s\) have it \(packages\/a, packages\/b\)/);
  });

  it("Python: pytest, ruff, mypy only when configured, through uv when uv.lock exists", () => {
    const d = detect(
      project({
        "pyproject.toml":
          "[project]\nname = 'x'\n\n[tool.pytest.ini_options]\naddopts = '-q'\n\n[tool.ruff]\nline-length = 100\n\n[tool.mypy]\nstrict = true\n",
        "uv.lock": "",
      }),
    );
    expect(d.commands).toEqual({
      pytest: ["uv", "run", "python3", "-m", "pytest"],
      ruff: ["uv", "run", "ruff", "check", "."],
      mypy: ["uv", "run", "python3", "-m", "mypy", "."],
    });
    expect(d.why("pytest")).toBe("[tool.pytest.ini_options] in pyproject.toml (through uv: uv.lock)");
    const flake = detect(project({ "setup.cfg": "[flake8]\nmax-line-length = 100\n", "requirements.txt": "pytest==8.0\nrequests>=2\n" }));
    expect(flake.commands).toEqual({ pytest: ["python3", "-m", "pytest"], flake8: ["python3", "-m", "flake8"] });
    expect(flake.why("pytest")).toBe("pytest is a declared dependency");
    expect(flake.skipped).toContainEqual({ name: "mypy", reason: "no mypy configuration" });
  });

  it("a Python project with no tool configured is not an empty pass", () => {
    const found = detectGates(project({ "requirements.txt": "requests\n" }));
    expect(found.ok).toBe(false);
    if (!found.ok) expect(found.error.message).toMatch(/pytest is not configured/);
  });

  it("Rust: cargo fmt --check, clippy, test (workspace-wide for a workspace)", () => {
    const d = detect(project({ "Cargo.toml": "[workspace]\nmembers = ['a']\n" }));
    expect(d.commands).toEqual({
      "cargo-fmt": ["cargo", "fmt", "--all", "--check"],
      "cargo-clippy": ["cargo", "clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
      "cargo-test": ["cargo", "test", "--workspace"],
    });
  });

  it("Go: gofmt through an explicit shell line (it exits 0 when files are unformatted), vet, test", () => {
    const d = detect(project({ "go.mod": "module example.com/x\n\ngo 1.22\n" }));
    expect(d.config.gates.find((g) => g.name === "gofmt")).toMatchObject({ shell: true, kind: "lint" });
    expect(d.commands["go-vet"]).toEqual(["go", "vet", "./..."]);
    expect(d.commands["go-test"]).toEqual(["go", "test", "./..."]);
    expect(d.why("gofmt")).toMatch(/exits 0/);
  });

  it("Makefile targets, leaving out kinds another project type covers", () => {
    const alone = detect(project({ Makefile: "build:\n\tcc x.c\ntest: build\n\t./run-tests\nlint:\n\tshellcheck *.sh\nVAR := 1\n" }));
    expect(alone.commands).toEqual({ "make-build": ["make", "build"], "make-lint": ["make", "lint"], "make-test": ["make", "test"] });
    const mixed = detect(project({ Makefile: "test:\n\tnpm test\ncheck:\n\ttrue\nbuild:\n\ttrue\n", "package.json": { scripts: { test: "node --test" } } }));
    expect(mixed.commands).toEqual({ test: ["npm", "run", "test"], "make-build": ["make", "build"] });
    expect(mixed.skipped).toContainEqual({ name: "make-test", reason: "a test gate was already found for this project" });
  });

  it("adds the builtin secret scan and dependency list in a git repository", async () => {
    const dir = project({ "package.json": { scripts: { test: "vitest" } } });
    await initGitRepo(dir, { "README.md": "x\n" });
    const d = detect(dir);
    expect(d.config.gates.map((g) => [g.name, g.builtin, g.required])).toEqual([
      ["test", undefined, true],
      ["secrets", "secret-scan", true],
      ["dependencies", "dependency-changes", false],
    ]);
  });

  it("an empty project is a clear error naming what was looked for", () => {
    const found = detectGates(project({ "notes.txt": "hello" }));
    expect(found.ok).toBe(false);
    if (!found.ok) {
      expect(found.error.code).toBe("OMK_GATES_NOTHING_DETECTED");
      expect(found.error.message).toMatch(/no \.omk\/gates\.yaml and no recognizable project \(looked for package\.json, .*Cargo\.toml, go\.mod, Makefile\)/);
      expect(found.error.fix).toMatch(/\.omk\/gates\.yaml/);
    }
    const noScripts = detectGates(project({ "package.json": { name: "x" } }));
    expect(!noScripts.ok && noScripts.error.message).toMatch(/none of the scripts build, typecheck, lint, test/);
  });
});
