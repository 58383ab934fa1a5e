/**
 * What the planner knows about a repository, as data. `inspectRepository`
 * (inspect-repo.ts) reads it from disk; everything else in the planner takes
 * it as a value, so tests and the controller can pass any repository facts.
 */
import type { GateDescriptor } from "@omk/state";
import { z } from "zod";

export const RepoInspectionSchema = z.object({
  files: z.number().int().nonnegative().describe("files counted (generated and vendored folders skipped)"),
  bytes: z.number().int().nonnegative(),
  truncated: z.boolean().describe("true when the walk stopped at its file limit"),
  languages: z.array(z.object({ name: z.string().min(1), files: z.number().int().positive() })).describe("source languages, most files first"),
  packageManager: z.string().nullable(),
  manifests: z.array(z.string()).describe("package manifests, repository-relative"),
  lockfiles: z.array(z.string()).describe("lockfiles at the root"),
  testFrameworks: z.array(z.string()),
  testFolders: z.array(z.string()).describe('folders that hold tests, as scope entries ("test/")'),
  testPatterns: z.array(z.string()).describe('globs of tests kept next to the code ("src/**/*.test.ts")'),
  sourceFolders: z.array(z.string()).describe('top-level folders that hold source files ("src/"), most files first'),
  docsFolders: z.array(z.string()).describe('folders and top-level files of documentation ("docs/", "README.md")'),
  mainFolders: z.array(z.object({ path: z.string(), files: z.number().int().nonnegative() })).describe("top-level folders, most files first"),
  empty: z.boolean().describe("no source file at all"),
});
export type RepoInspection = z.infer<typeof RepoInspectionSchema>;

/** The facts of an empty repository (a greenfield goal in a new folder). */
export const EMPTY_INSPECTION: RepoInspection = {
  files: 0,
  bytes: 0,
  truncated: false,
  languages: [],
  packageManager: null,
  manifests: [],
  lockfiles: [],
  testFrameworks: [],
  testFolders: [],
  testPatterns: [],
  sourceFolders: [],
  docsFolders: [],
  mainFolders: [],
  empty: true,
};

const FRAMEWORK_COMMANDS: ReadonlyArray<[string, string[]]> = [
  ["vitest", ["npx", "vitest", "run"]],
  ["jest", ["npx", "jest"]],
  ["mocha", ["npx", "mocha"]],
  ["ava", ["npx", "ava"]],
  ["node:test", ["node", "--test"]],
  ["pytest", ["python", "-m", "pytest"]],
  ["unittest", ["python", "-m", "unittest"]],
  ["go test", ["go", "test", "./..."]],
  ["cargo test", ["cargo", "test"]],
  ["rspec", ["bundle", "exec", "rspec"]],
];

const LANGUAGE_DEFAULTS: ReadonlyArray<[RegExp, string[]]> = [
  [/\b(typescript|javascript|node(\.js)?|ts|js|react|vue|svelte)\b/iu, ["npx", "vitest", "run"]],
  [/\bpython\b/iu, ["python", "-m", "pytest"]],
  [/\b(?:in|with|using|written in) go\b|\bgolang\b|^go$/imu, ["go", "test", "./..."]],
  [/\brust\b/iu, ["cargo", "test"]],
  [/\bruby\b/iu, ["bundle", "exec", "rspec"]],
];

/**
 * The command that runs the project's tests: a test gate's command, else the
 * detected framework's, else (for a new project) the usual runner of the
 * language the goal names. The gate runner adds the JUnit reporter.
 */
export function testCommandFor(input: { inspection: RepoInspection | null; gates: readonly GateDescriptor[]; goalText: string }): string[] | null {
  const gate = input.gates.find((g) => g.kind === "test" && g.required) ?? input.gates.find((g) => g.kind === "test");
  if (gate !== undefined) return [...gate.command];
  for (const framework of input.inspection?.testFrameworks ?? []) {
    const known = FRAMEWORK_COMMANDS.find(([name]) => name === framework);
    if (known !== undefined) return [...known[1]];
  }
  const languages = [...(input.inspection?.languages.map((l) => l.name) ?? []), input.goalText].join("\n");
  const byLanguage = LANGUAGE_DEFAULTS.find(([re]) => re.test(languages));
  return byLanguage === undefined ? null : [...byLanguage[1]];
}

/** The build command, when a build gate exists (the greenfield smoke check runs it). */
export function buildCommandFor(gates: readonly GateDescriptor[]): string[] | null {
  const gate = gates.find((g) => g.kind === "build");
  return gate === undefined ? null : [...gate.command];
}

/** One line per fact, for prompts and the technical plan. */
export function describeInspection(inspection: RepoInspection | null): string[] {
  if (inspection === null) return ["repository: not inspected"];
  if (inspection.empty && inspection.files === 0) return ["repository: empty"];
  const list = (items: readonly string[]) => (items.length === 0 ? "none found" : items.join(", "));
  return [
    `languages: ${list(inspection.languages.map((l) => `${l.name} (${l.files} files)`))}`,
    `package manager: ${inspection.packageManager ?? "none found"}`,
    `test frameworks: ${list(inspection.testFrameworks)}`,
    `size: ${inspection.files} files, ${inspection.bytes} bytes${inspection.truncated ? " (walk stopped at its limit)" : ""}`,
    `main folders: ${list(inspection.mainFolders.map((f) => `${f.path} (${f.files})`))}`,
    `source folders: ${list(inspection.sourceFolders)}`,
    `tests: ${list([...inspection.testFolders, ...inspection.testPatterns])}`,
    `docs: ${list(inspection.docsFolders)}`,
  ];
}
