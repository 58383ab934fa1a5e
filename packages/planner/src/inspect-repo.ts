/**
 * Repository inspection, the planner's one IO edge besides writing
 * artifacts: walks the working tree (not .git, dependencies, build output or
 * caches; symlinks are not followed) and reads manifests and lockfiles.
 *   languages        by file extension, most files first
 *   package manager  by lockfile at the root (pnpm, yarn, npm, bun, poetry,
 *                    uv, pipenv, cargo, go, bundler, composer), else by manifest
 *   test frameworks  by config files and declared dependencies
 *   size             files and bytes
 *   folders          top-level folders by files; which hold source, tests, docs
 */
import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { type RepoInspection, RepoInspectionSchema } from "./inspection.js";

const SKIP = new Set([
  ".git",
  "node_modules",
  "dist",
  "build",
  "out",
  "target",
  "coverage",
  ".turbo",
  ".next",
  ".nuxt",
  ".venv",
  "venv",
  "__pycache__",
  ".mypy_cache",
  ".pytest_cache",
  ".tox",
  "vendor",
  ".idea",
  ".vscode",
  ".cache",
  ".gradle",
  ".omk",
]);

const LANGUAGES: Readonly<Record<string, string>> = {
  ".ts": "TypeScript",
  ".tsx": "TypeScript",
  ".mts": "TypeScript",
  ".cts": "TypeScript",
  ".js": "JavaScript",
  ".jsx": "JavaScript",
  ".mjs": "JavaScript",
  ".cjs": "JavaScript",
  ".py": "Python",
  ".go": "Go",
  ".rs": "Rust",
  ".java": "Java",
  ".kt": "Kotlin",
  ".kts": "Kotlin",
  ".rb": "Ruby",
  ".php": "PHP",
  ".cs": "C#",
  ".c": "C",
  ".h": "C",
  ".cpp": "C++",
  ".cc": "C++",
  ".hpp": "C++",
  ".cxx": "C++",
  ".swift": "Swift",
  ".scala": "Scala",
  ".sh": "Shell",
  ".bash": "Shell",
  ".vue": "Vue",
  ".svelte": "Svelte",
  ".ex": "Elixir",
  ".exs": "Elixir",
};

const LOCKFILES: ReadonlyArray<[string, string]> = [
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["package-lock.json", "npm"],
  ["bun.lockb", "bun"],
  ["bun.lock", "bun"],
  ["poetry.lock", "poetry"],
  ["uv.lock", "uv"],
  ["Pipfile.lock", "pipenv"],
  ["Cargo.lock", "cargo"],
  ["go.sum", "go"],
  ["Gemfile.lock", "bundler"],
  ["composer.lock", "composer"],
];
const MANIFESTS: ReadonlyArray<[string, string]> = [
  ["package.json", "npm"],
  ["pyproject.toml", "pip"],
  ["requirements.txt", "pip"],
  ["Pipfile", "pipenv"],
  ["Cargo.toml", "cargo"],
  ["go.mod", "go"],
  ["Gemfile", "bundler"],
  ["composer.json", "composer"],
  ["pom.xml", "maven"],
  ["build.gradle", "gradle"],
  ["build.gradle.kts", "gradle"],
];
const TEST_DIRS = new Set(["test", "tests", "__tests__", "spec", "specs"]);
const DOCS_DIRS = new Set(["docs", "doc", "documentation"]);
const TEST_FILE = /(?:\.(?:test|spec)\.[cm]?[jt]sx?|_test\.go|_test\.py|_spec\.rb)$|^test_[^/]*\.py$/u;
/** A project's one test file at the root, as tape and node:test projects often have it (`tape test.js`, `node test.js`). */
const ROOT_TEST_FILE = /^tests?\.[cm]?[jt]sx?$/u;
const JS_FRAMEWORKS = ["vitest", "jest", "mocha", "ava", "@playwright/test", "cypress"];

type Walk = { files: string[]; bytes: number; truncated: boolean };

function walk(root: string, maxFiles: number): Walk {
  const out: Walk = { files: [], bytes: 0, truncated: false };
  const queue = [""];
  for (let next = 0; next < queue.length; next++) {
    const rel = queue[next] as string;
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name)) queue.push(child);
      } else if (entry.isFile()) {
        if (out.files.length >= maxFiles) {
          out.truncated = true;
          return out;
        }
        out.files.push(child);
        try {
          out.bytes += statSync(path.join(root, child)).size;
        } catch {
          // vanished while walking: counted as a file of unknown size
        }
      }
    }
  }
  return out;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function testFrameworks(root: string, files: readonly string[]): string[] {
  const found = new Set<string>();
  const names = new Set(files.map((f) => path.posix.basename(f)));
  for (const manifest of files.filter((f) => path.posix.basename(f) === "package.json" && f.split("/").length <= 3)) {
    const pkg = readJson(path.join(root, manifest));
    const deps = { ...(pkg?.["dependencies"] as object | undefined), ...(pkg?.["devDependencies"] as object | undefined) };
    for (const name of JS_FRAMEWORKS) if (name in deps) found.add(name === "@playwright/test" ? "playwright" : name);
    const scripts = JSON.stringify(pkg?.["scripts"] ?? {});
    if (/node (?:--[\w-]+ )*--test\b/u.test(scripts)) found.add("node:test");
  }
  for (const name of names) {
    const m = /^(vitest|jest|playwright)\.config\./u.exec(name) ?? /^\.(mocha)rc/u.exec(name);
    if (m !== null) found.add(m[1] as string);
  }
  if (
    names.has("pytest.ini") ||
    names.has("conftest.py") ||
    /\[tool\.pytest|\bpytest\b/u.test(readText(path.join(root, "pyproject.toml")) + readText(path.join(root, "requirements.txt")))
  ) {
    found.add("pytest");
  }
  if (files.some((f) => f.endsWith("_test.go"))) found.add("go test");
  if (names.has("Cargo.toml")) found.add("cargo test");
  if (names.has(".rspec") || /\brspec\b/u.test(readText(path.join(root, "Gemfile")))) found.add("rspec");
  if (!found.has("pytest") && files.some((f) => /(?:^|\/)test_[^/]*\.py$/u.test(f) && /\bimport unittest\b/u.test(readText(path.join(root, f)))))
    found.add("unittest");
  if (found.size === 0 && files.filter((f) => /\.test\.[cm]?js$/u.test(f)).some((f) => /from ["']node:test["']/u.test(readText(path.join(root, f)))))
    found.add("node:test");
  return [...found].sort();
}

/** Reads the facts of the repository at `root` (a working tree). */
export function inspectRepository(root: string, options: { maxFiles?: number } = {}): RepoInspection {
  const { files, bytes, truncated } = walk(root, options.maxFiles ?? 50_000);
  const languages = new Map<string, number>();
  const top = new Map<string, number>();
  const sourceTop = new Map<string, number>();
  const testFolders = new Set<string>();
  const testPatterns = new Set<string>();
  let rootSources = 0;
  for (const file of files) {
    const parts = file.split("/");
    if (parts.length > 1) top.set(parts[0] as string, (top.get(parts[0] as string) ?? 0) + 1);
    const language = LANGUAGES[path.posix.extname(file)];
    const testDirIndex = parts.slice(0, -1).findIndex((p) => TEST_DIRS.has(p));
    const rootTest = parts.length === 1 && ROOT_TEST_FILE.test(file);
    const isTest = testDirIndex !== -1 || TEST_FILE.test(path.posix.basename(file)) || rootTest;
    if (testDirIndex !== -1 && testDirIndex < 3) testFolders.add(`${parts.slice(0, testDirIndex + 1).join("/")}/`);
    else if (rootTest) testPatterns.add(file);
    else if (isTest && language !== undefined) {
      const suffix = /((?:\.(?:test|spec))?\.[a-z]+|_test\.[a-z]+)$/u.exec(path.posix.basename(file))?.[1] ?? "";
      testPatterns.add(parts.length > 1 ? `${parts[0]}/**/*${suffix}` : `*${suffix}`);
    }
    if (language === undefined) continue;
    languages.set(language, (languages.get(language) ?? 0) + 1);
    if (isTest || DOCS_DIRS.has(parts[0] as string)) continue;
    if (parts.length === 1) rootSources++;
    else sourceTop.set(parts[0] as string, (sourceTop.get(parts[0] as string) ?? 0) + 1);
  }
  const byCount = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const rootNames = new Set(files.filter((f) => !f.includes("/")));
  const lock = LOCKFILES.find(([name]) => rootNames.has(name));
  const manifest = MANIFESTS.find(([name]) => rootNames.has(name));
  const sourceFolders = byCount(sourceTop).map(([name]) => `${name}/`);
  const sourceFiles = [...sourceTop.values()].reduce((a, b) => a + b, 0) + rootSources;
  const rootSourceFiles = [...rootNames]
    .filter((name) => LANGUAGES[path.posix.extname(name)] !== undefined && !TEST_FILE.test(name) && !ROOT_TEST_FILE.test(name))
    .sort();
  return RepoInspectionSchema.parse({
    files: files.length,
    bytes,
    truncated,
    languages: byCount(languages).map(([name, count]) => ({ name, files: count })),
    packageManager: lock?.[1] ?? manifest?.[1] ?? null,
    manifests: files.filter((f) => f.split("/").length <= 3 && MANIFESTS.some(([name]) => path.posix.basename(f) === name)).sort(),
    lockfiles: LOCKFILES.filter(([name]) => rootNames.has(name)).map(([name]) => name),
    testFrameworks: testFrameworks(root, files),
    testFolders: [...testFolders].sort(),
    testPatterns: [...testPatterns].sort(),
    // Source files at the root are named one by one (a few), or the whole repository stands in for them.
    sourceFolders: rootSources === 0 ? sourceFolders : rootSources > 20 ? ["."] : [...sourceFolders, ...rootSourceFiles],
    docsFolders: [
      ...[...top.keys()].filter((name) => DOCS_DIRS.has(name)).map((name) => `${name}/`),
      ...[...rootNames].filter((name) => /\.mdx?$/iu.test(name)).sort(),
    ],
    mainFolders: byCount(top)
      .slice(0, 10)
      .map(([name, count]) => ({ path: `${name}/`, files: count })),
    empty: sourceFiles === 0,
  });
}
