/**
 * The review checks no engine can waive: tampering with tests or gates, new
 * or changed dependencies nobody justified, secrets added by the change, and
 * writes outside a task's write set. Pure over the diff and the inputs,
 * except `readDependencyChanges`, which reads manifests from git.
 */
import type { KnownSecret } from "@omk/core";
import { type DependencyChange, dependencyChanges, diffFiles, isDependencyFile, type ManifestVersions, scanDiffForSecrets } from "@omk/gates";
import { detectTampering, type TamperSources, tamperSourcePaths } from "@omk/oracle";
import type { Task } from "@omk/state";
import { fileAt } from "@omk/worktree";
import type { ReviewFinding, ReviewScopeViolation } from "./types.js";

const at = (file: string | undefined, line: number | null | undefined) =>
  file === undefined ? "" : line === null || line === undefined ? ` (${file})` : ` (${file}:${line})`;

/**
 * Tamper findings of @omk/oracle: each one blocks. `sources` (readTamperSources)
 * gives the structural rules whole test files, so an `if` or a `return` added
 * far from the assertions it hides is seen.
 */
export function tamperFindings(diff: string, sources?: TamperSources): ReviewFinding[] {
  return detectTampering(diff, sources === undefined ? {} : { sources }).findings.map((f) => ({
    source: "tamper",
    severity: "blocker",
    message: `${f.kind}: ${f.message}`,
    file: f.file,
    ...(f.line !== null ? { line: f.line } : {}),
    waivable: false,
  }));
}

/**
 * Secret-scan hits on the added lines: each one blocks. Token shapes, and the
 * literal values the run's redactor knows (`known`: knownSecretValues of the
 * run's env and secrets), which no pragma allows. The secret itself is never
 * repeated, only the rule and the place.
 */
export function secretFindings(diff: string, known: readonly KnownSecret[] = []): ReviewFinding[] {
  return scanDiffForSecrets(diff, { known }).map((f) => ({
    source: "secret",
    severity: "blocker",
    message:
      f.rule === "known-value"
        ? `a secret value of this run's environment or engine configuration was added${at(f.file, f.line)}: remove it from the change and rotate it`
        : `a secret (${f.rule}) was added${at(f.file, f.line)}: remove it from the change and rotate it; mark a deliberate fixture with "omk-gates: allow-secret"`,
    file: f.file,
    line: f.line,
    waivable: false,
  }));
}

/**
 * Every scope violation of a task blocks. The words say what happened: a
 * refused write "tried to write" (nothing was written); a write found in the
 * captured diff afterwards "wrote".
 */
export function scopeFindings(violations: readonly ReviewScopeViolation[]): ReviewFinding[] {
  return violations.map((v): ReviewFinding => {
    if (v.kind === "known_secret") {
      // The task runner found a secret the run knows in the captured change; the attempt never reached the integration branch.
      const message = `task ${v.taskId} wrote a secret value of this run's environment or engine configuration into ${v.path}: the attempt was never integrated; rotate the secret`;
      return { source: "secret", severity: "blocker", message, file: v.path, waivable: false };
    }
    if (v.kind === "unscreened_content") {
      // The task runner could not read the file whole to screen it for the run's secrets (over the screen's caps): never a silent pass.
      const message = `task ${v.taskId} wrote ${v.path}, too large to screen for the secrets of this run's environment or engine configuration: the attempt was never integrated`;
      return { source: "secret", severity: "blocker", message, file: v.path, waivable: false };
    }
    if (v.kind === "secret_in_output") {
      // The task runner found a secret the run knows in the session's output (task-runner.ts outputLeak): its message names the variable, never the value.
      const message = `${v.message ?? `task ${v.taskId} put a secret of this run's environment or engine configuration into its session output`}: the attempt was never integrated; rotate the secret`;
      return { source: "secret", severity: "blocker", message, waivable: false };
    }
    const message =
      v.atWrite === true
        ? `task ${v.taskId} tried to write outside its write set (${v.kind}): ${v.path} (refused: nothing was written)`
        : `task ${v.taskId} wrote outside its write set (${v.kind}): ${v.path}`;
    return { source: "scope", severity: "blocker", message, file: v.path, waivable: false };
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `text` names the package `name` as a whole word (`zod` is not named by `zodiac`; `left-pad.` is named by "use left-pad."). */
export function namesPackage(text: string, name: string): boolean {
  if (name.trim() === "") return false;
  return new RegExp(`(?<![\\w@/.-])${escapeRegExp(name)}(?![\\w/-])`, "iu").test(text);
}

/** The texts that can justify a dependency: the given rationale plus every task's title and description. */
export function rationaleTexts(rationale: readonly string[], tasks: readonly Task[]): string[] {
  return [...rationale, ...tasks.map((t) => `${t.title}\n${t.description}`)];
}

/**
 * New or changed dependencies of a manifest (lockfile entries follow their
 * manifest; a lockfile changed alone is tamper's `lockfile_churn`) that no
 * rationale names: each one blocks. Removals need no rationale.
 */
export function dependencyFindings(changes: readonly DependencyChange[], rationale: readonly string[]): ReviewFinding[] {
  const out: ReviewFinding[] = [];
  for (const c of changes) {
    if (c.change === "removed" || c.section === "lockfile") continue;
    if (rationale.some((text) => namesPackage(text, c.name))) continue;
    const what =
      c.section === "unparsed"
        ? `the manifest ${c.file} changed and could not be parsed`
        : c.change === "added"
          ? `new ${c.ecosystem} dependency ${c.name}${c.to !== null && c.to !== "" ? ` ${c.to}` : ""} (${c.section} of ${c.file})`
          : `${c.ecosystem} dependency ${c.name} changed from ${c.from ?? "?"} to ${c.to ?? "?"} (${c.section} of ${c.file})`;
    out.push({
      source: "dependency",
      severity: "blocker",
      message: `${what} has no rationale: no plan decision or task description names ${c.name}; justify it in the plan or remove it`,
      file: c.file,
      waivable: false,
    });
  }
  return out;
}

/** Both sides of each changed test file, read from git at the base and the head commit, for tamperFindings. */
export async function readTamperSources(repo: string, baseCommit: string, headCommit: string, diff: string): Promise<TamperSources> {
  const paths = tamperSourcePaths(diff);
  const texts = new Map<string, string | null>();
  // Eight git processes at a time: a change may touch hundreds of test files.
  for (let i = 0; i < paths.length; i += 8) {
    const read = await Promise.all(
      paths.slice(i, i + 8).map(async (p) => ({ ...p, text: await fileAt(repo, p.side === "old" ? baseCommit : headCommit, p.file) })),
    );
    for (const r of read) texts.set(`${r.side}:${r.file}`, r.text);
  }
  return (file, side) => texts.get(`${side}:${file}`) ?? undefined;
}

/** Manifests and lockfiles the diff touches, read at the base and the head commit, compared by @omk/gates. */
export async function readDependencyChanges(repo: string, baseCommit: string, headCommit: string, diff: string): Promise<DependencyChange[]> {
  const files = diffFiles(diff).filter((f) => isDependencyFile(f.path));
  const versions: ManifestVersions[] = await Promise.all(
    files.map(async (f) => ({ path: f.path, before: await fileAt(repo, baseCommit, f.path), after: await fileAt(repo, headCommit, f.path) })),
  );
  return dependencyChanges(versions);
}
