// No source outside @omk/git spawns git itself: every git command goes through the one runner
// (docs/decisions/git.md). The scan is proven able to fail on each way of spawning git.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Ways a source could start git without the runner: a process API with "git" as the program, a shell line starting with git, a git library. */
const DIRECT_GIT: readonly RegExp[] = [
  /\b(execa|execaSync|execaNode|execFile|execFileSync|spawn|spawnSync|fork)\s*\(\s*["'`]git["'`]/,
  /\b(exec|execSync|execaCommand|execaCommandSync)\s*\(\s*["'`]git\s/,
  /\$(\([^)]*\))?`git\s/,
  /from\s+["'](simple-git|isomorphic-git|nodegit|dugite)["']/,
  /require\(\s*["'](simple-git|isomorphic-git|nodegit|dugite)["']\s*\)/,
];

const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;

/** Non-test TypeScript/JavaScript sources of the workspace's packages and apps (their src/ folders). */
export function productionSources(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== "fixtures") walk(full);
      } else if (/\.[cm]?[jt]sx?$/.test(entry.name) && !TEST_FILE.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        files.push(full);
      }
    }
  };
  for (const group of ["packages", "apps"]) {
    let names: string[] = [];
    try {
      names = readdirSync(path.join(root, group));
    } catch {
      continue;
    }
    for (const name of names) {
      if (group === "packages" && name === "git") continue; // the runner itself
      const src = path.join(root, group, name, "src");
      try {
        walk(src);
      } catch {
        // a package without src/
      }
    }
  }
  return files;
}

/** `file:line: text` for every line of `text` that spawns git directly. */
export function directGitCalls(file: string, text: string): string[] {
  const found: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (DIRECT_GIT.some((re) => re.test(line))) found.push(`${file}:${i + 1}: ${line.trim()}`);
  });
  return found;
}

describe("every git command goes through @omk/git", () => {
  it("no production source outside packages/git spawns git itself", () => {
    const files = productionSources(ROOT);
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.flatMap((f) => directGitCalls(path.relative(ROOT, f), readFileSync(f, "utf8")));
    expect(offenders, "use git()/gitSync() from @omk/git (or the package's wrapper over it)").toEqual([]);
  });

  it("the scan catches each way of spawning git (it can fail)", () => {
    const bad = [
      'const r = await execa("git", ["status"], { cwd });',
      "execFileSync('git', ['rev-parse', 'HEAD'])",
      "const child = spawn(`git`, args);",
      'execSync("git status --porcelain")',
      "await $`git add --all`;",
      "await $({ cwd })`git commit -m x`;",
      'import { simpleGit } from "simple-git";',
      'const g = require("isomorphic-git");',
    ];
    for (const line of bad) expect(directGitCalls("fixture.ts", line), line).toHaveLength(1);
    const fine = [
      'const r = await git(cwd, ["status"]);',
      'execa("gitleaks", ["detect"])',
      'spawn(process.execPath, ["-e", "git"])',
      '// execa is not used for "git" here',
    ];
    for (const line of fine) expect(directGitCalls("fixture.ts", line), line).toEqual([]);
  });
});
