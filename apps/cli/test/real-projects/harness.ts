// The world of the real-projects suite: a real third-party npm project (its published tarball,
// which includes its tests, fetched by tooling/fetch-corpus.mjs into $OMK_CORPUS_DIR) made into a
// git repository as its user has it: the files, the lockfile, a .gitignore for node_modules, one
// commit, and its dependencies installed from the lockfile (from the warm cache). No .omk/ config.
// `omk` is the built binary (a snapshot of apps/cli/dist, as the e2e tests run it); `omk-gates` is
// the built bin of @omk/gates.
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type GatesReport, GatesReportSchema } from "@omk/gates";
import { type Proof, ProofSchema } from "@omk/state";
import { makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { stringify } from "yaml";
import { z } from "zod";
import { omkBin } from "../e2e/helpers.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, "../../../..");
const MANIFEST_FILE = path.join(REPO_ROOT, "test-fixtures", "corpus", "projects.json");
const GATES_BIN = path.join(REPO_ROOT, "packages", "gates", "dist", "bin.js");

/** The tag the oracle's bugfix criterion looks for in a test case's name. */
export const REGRESSION_TAG = "[oracle:regression-test]";

const CorpusProjectSchema = z.object({
  slug: z.string().min(1),
  name: z.string().min(1),
  version: z.string().min(1),
  integrity: z.string().startsWith("sha512-"),
  packageManager: z.enum(["npm", "pnpm"]),
  runner: z.string().min(1),
  /** Dependencies held at an older version inside the published range in the lockfile (tooling/fetch-corpus.mjs). */
  lockPins: z.record(z.string(), z.string()).optional(),
  /**
   * Files the project's repository has and its tarball leaves out, without which a script of the
   * project fails on HEAD (path → lines). Written by the suite, not the project's own: kept to the
   * least that makes the script run (docs/decisions/real-projects.md).
   */
  repoFiles: z.record(z.string(), z.array(z.string())).optional(),
  covers: z.array(z.string()).min(1),
  regression: z.object({
    file: z.string().min(1),
    search: z.string().min(1),
    replace: z.string(),
    /** Names of the test cases the regression makes fail (and no other). */
    newlyFailing: z.array(z.string().min(1)).min(1),
  }),
  goal: z.string().min(1),
  regressionTest: z.object({ file: z.string().min(1), append: z.array(z.string()).min(1) }),
});
type CorpusProject = z.infer<typeof CorpusProjectSchema>;

export const CorpusManifestSchema = z.object({ resolvedBefore: z.string(), projects: z.array(CorpusProjectSchema).min(8) });

const CorpusIndexSchema = z.object({
  pnpm: z.string(),
  projects: z.record(z.string(), z.object({ dir: z.string(), packageManager: z.enum(["npm", "pnpm"]), lockfile: z.string(), version: z.string() })),
});

export function corpusManifest(): z.infer<typeof CorpusManifestSchema> {
  return CorpusManifestSchema.parse(JSON.parse(readFileSync(MANIFEST_FILE, "utf8")));
}

function corpusProject(slug: string): CorpusProject {
  const found = corpusManifest().projects.find((p) => p.slug === slug);
  if (found === undefined) throw new Error(`${MANIFEST_FILE} has no project ${slug}`);
  return found;
}

/** $OMK_CORPUS_DIR/corpus.json (tooling/fetch-corpus.mjs). Missing: the suite fails, it never skips. */
export function corpusIndex(): z.infer<typeof CorpusIndexSchema> {
  const dir = process.env["OMK_CORPUS_DIR"] ?? path.join(os.homedir(), ".cache", "omk-corpus");
  const file = path.join(dir, "corpus.json");
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`node tooling/fetch-corpus.mjs "$OMK_CORPUS_DIR"\` first`);
  return CorpusIndexSchema.parse(JSON.parse(readFileSync(file, "utf8")));
}

export type Run = { exitCode: number; stdout: string; stderr: string; ms: number };

export function describeRun(what: string, run: Run): string {
  const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max / 2)}\n[…]\n${text.slice(-max / 2)}`);
  return `${what}: exit ${run.exitCode} after ${run.ms} ms\n--- stdout\n${cut(run.stdout, 12_000)}\n--- stderr\n${cut(run.stderr, 4000)}`;
}

export type ProjectWorld = {
  project: CorpusProject;
  base: string;
  repo: string;
  stateDir: string;
  /** Where omk-gates writes its runs (outside the repository). */
  gatesOut: string;
  env: Record<string, string>;
  /** The project's files as fetched (before any change), by path. */
  original: (file: string) => string;
  git: (...args: string[]) => Promise<string>;
  gates: (...args: string[]) => Promise<Run>;
  omk: (...args: string[]) => Promise<Run>;
};

async function timed(command: string, args: readonly string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<Run> {
  const started = Date.now();
  const r = await execa(command, args, { cwd, env, reject: false, stdin: "ignore", timeout: timeoutMs, killSignal: "SIGKILL" });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), ms: Date.now() - started };
}

/**
 * The user's repository: the fetched project copied out of the cache, with a .gitignore for
 * node_modules, committed with its lockfile, and its dependencies installed from the lockfile as
 * the user installed them (offline first, from the cache fetch-corpus warmed; install scripts off).
 */
export async function projectWorld(slug: string): Promise<ProjectWorld> {
  const project = corpusProject(slug);
  const index = corpusIndex();
  const cached = index.projects[slug];
  if (cached === undefined || cached.version !== project.version)
    throw new Error(`the corpus cache has no ${project.name}@${project.version}: re-run tooling/fetch-corpus.mjs`);
  if (!existsSync(GATES_BIN)) throw new Error(`${GATES_BIN} is missing: build first (pnpm --filter "omk..." build)`);
  const base = makeTempDir(`omk-corpus-${slug}-`);
  const repo = path.join(base, slug);
  const stateDir = path.join(base, "state");
  const gatesOut = path.join(base, "gates-out");
  cpSync(cached.dir, repo, { recursive: true, filter: (src) => !src.split(path.sep).includes("node_modules") });
  const gitignore = path.join(repo, ".gitignore");
  if (!existsSync(gitignore)) writeFileSync(gitignore, "node_modules/\n");
  for (const [file, lines] of Object.entries(project.repoFiles ?? {})) {
    if (existsSync(path.join(repo, file))) throw new Error(`${project.name}@${project.version} publishes ${file}: drop it from repoFiles`);
    writeFileSync(path.join(repo, file), `${lines.join("\n")}\n`);
  }
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    // pnpm, as the user of a pnpm project has it on PATH.
    PATH: [path.dirname(index.pnpm), process.env["PATH"] ?? "/usr/bin:/bin"].join(path.delimiter),
    OMK_STATE_DIR: stateDir,
    NO_COLOR: "1",
    CI: "true",
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    GIT_AUTHOR_NAME: "Corpus User",
    GIT_AUTHOR_EMAIL: "user@example.invalid",
    GIT_COMMITTER_NAME: "Corpus User",
    GIT_COMMITTER_EMAIL: "user@example.invalid",
  };
  const git = async (...args: string[]) => {
    const r = await execa("git", args, { cwd: repo, env, stdin: "ignore" });
    return String(r.stdout).trim();
  };
  await git("init", "-q", "-b", "main");
  await git("add", "-A");
  await git("commit", "-q", "-m", `${project.name}@${project.version} as published`);
  const install =
    project.packageManager === "npm"
      ? await timed("npm", ["ci", "--prefer-offline", "--ignore-scripts"], repo, env, 300_000)
      : await timed(index.pnpm, ["install", "--frozen-lockfile", "--prefer-offline", "--ignore-scripts"], repo, env, 300_000);
  if (install.exitCode !== 0) throw new Error(describeRun(`installing ${project.name}'s dependencies`, install));
  const originals = new Map<string, string>();
  const original = (file: string) => {
    let text = originals.get(file);
    if (text === undefined) {
      text = readFileSync(path.join(cached.dir, file), "utf8");
      originals.set(file, text);
    }
    return text;
  };
  const bin = await omkBin();
  return {
    project,
    base,
    repo,
    stateDir,
    gatesOut,
    env,
    original,
    git,
    gates: (...args) => timed(process.execPath, [GATES_BIN, ...args], repo, env, 600_000),
    omk: (...args) => timed(process.execPath, [bin, ...args], repo, env, 900_000),
  };
}

/** The project's file with one exact, unique search replaced (the planted regression). */
export function planted(text: string, search: string, replace: string, file: string): string {
  const parts = text.split(search);
  if (parts.length !== 2) throw new Error(`the regression's search text occurs ${parts.length - 1} times in ${file}, not once`);
  return parts.join(replace);
}

/** Plants the project's regression in the working tree and commits it as the user's last change. */
export async function plantRegression(w: ProjectWorld): Promise<void> {
  const { file, search, replace } = w.project.regression;
  writeFileSync(path.join(w.repo, file), planted(w.original(file), search, replace, file));
  await w.git("commit", "-q", "-am", `refactor ${file}`);
}

export function parseReport(run: Run): GatesReport {
  return GatesReportSchema.parse(JSON.parse(run.stdout));
}

/** A JUnit-style case id ("suite::name", "suite > name", "suite name") is the case named `name`. */
export function caseIs(id: string, name: string): boolean {
  return id === name || id.endsWith(`::${name}`) || id.endsWith(` > ${name}`) || id.endsWith(` ${name}`);
}

/**
 * The script book a good agent's sessions follow for the bugfix plan (write-tests → implement →
 * review): the tester appends a regression test tagged for the oracle to the project's own test
 * file (so the project's test script runs it: red on the base), the implementer restores the
 * function, the reviewers pass the change.
 */
export function fixBook(w: ProjectWorld): string {
  const { regression, regressionTest } = w.project;
  const testFile = w.original(regressionTest.file);
  const withTest = `${testFile.replace(/\n*$/u, "\n")}${regressionTest.append.join("\n")}\n`;
  const review = (what: string) => ({
    turns: [{ steps: [{ message: `${what}\n\n\`\`\`json\n${JSON.stringify({ verdict: "passed", findings: [] })}\n\`\`\`` }] }],
  });
  const book = {
    version: 1,
    sessions: {
      "task:write-tests": {
        turns: [
          {
            steps: [
              { read: { path: regressionTest.file } },
              { write: { path: regressionTest.file, content: withTest } },
              { usage: { inputUncached: 1800, output: 400 } },
              { message: `Added a regression test tagged ${REGRESSION_TAG} to ${regressionTest.file}; it fails on the current code.` },
            ],
          },
        ],
      },
      "task:implement": {
        turns: [
          {
            steps: [
              { read: { path: regression.file } },
              { write: { path: regression.file, content: w.original(regression.file) } },
              { usage: { inputUncached: 2000, output: 500 } },
              { message: `Fixed the cause in ${regression.file}; the regression test passes.` },
            ],
          },
        ],
      },
      "review:reviewer": review("The fix restores the function and the regression test covers it."),
      "review:security-reviewer": review("No security impact."),
    },
  };
  const file = path.join(w.base, "fix-book.yaml");
  writeFileSync(file, stringify(book));
  return file;
}

export function goalIdOf(stdout: string): string {
  const m = /^goal (\S+)$/mu.exec(stdout);
  if (m?.[1] === undefined) throw new Error(`no "goal <id>" line in the output:\n${stdout}`);
  return m[1];
}

export function proofOf(w: ProjectWorld, goalId: string): Proof {
  return ProofSchema.parse(JSON.parse(readFileSync(path.join(w.stateDir, "goals", goalId, "proof.json"), "utf8")));
}
