import path from "node:path";
import picomatch from "picomatch";
import { dependencyChanges, isDependencyFile } from "../builtin/dependencies.js";
import { diffFiles, scanDiffForSecrets } from "../builtin/secret-scan.js";
import type { KnownSecret } from "@omk/core";
import type { Gate } from "../schemas/config.js";
import { diffAgainst, fileAtRevision, readTextFile, resolveCommit } from "./git.js";
import type { BuiltinOutcome, Sinks } from "./gate-context.js";

export type DiffBase = { ref: string; commit: string | null };

/**
 * The builtin gates over the change from `base` to the working tree: the
 * secret scan (fails on any finding) and the dependency list (passes; it
 * lists what a review must justify). The diff is computed once per run.
 */
export function createBuiltinRunner(toplevel: string | null, baseRef: string, exclude: readonly string[] = [], known: readonly KnownSecret[] = []) {
  let diff: Promise<{ base: DiffBase; text: string }> | undefined;
  const load = () => {
    if (toplevel === null) return Promise.reject(new Error("builtin gates need a git repository"));
    diff ??= (async () => {
      const commit = await resolveCommit(toplevel, baseRef);
      return { base: { ref: baseRef, commit }, text: await diffAgainst(toplevel, commit, exclude) };
    })();
    return diff;
  };

  const run = async (gate: Gate, sinks: Sinks): Promise<BuiltinOutcome> => {
    let loaded: { base: DiffBase; text: string };
    try {
      loaded = await load();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      sinks.stderr.note(`omk-gates: ${message}\n`);
      return { outcome: "error", error: message };
    }
    const { base, text } = loaded;
    const ignored = gate.ignore.length > 0 ? picomatch(gate.ignore, { dot: true }) : () => false;
    if (gate.builtin === "secret-scan") {
      const findings = scanDiffForSecrets(text, { ignore: gate.ignore, known });
      sinks.stdout.note(`secret scan of the change from ${base.ref} (${base.commit?.slice(0, 12)}) to the working tree: ${findings.length} finding(s)\n`);
      for (const f of findings) sinks.stdout.note(`${f.file}:${f.line}: ${f.rule}: ${f.excerpt}\n`);
      return { outcome: findings.length === 0 ? "passed" : "failed", findings };
    }
    const files = diffFiles(text).filter((f) => isDependencyFile(f.path) && !ignored(f.path));
    const versions = await Promise.all(
      files.map(async (f) => ({
        path: f.path,
        before: f.status === "added" || base.commit === null ? null : await fileAtRevision(toplevel as string, base.commit, f.path),
        after: f.status === "deleted" ? null : (readTextFile(path.join(toplevel as string, f.path)) ?? null),
      })),
    );
    const dependencies = dependencyChanges(versions);
    sinks.stdout.note(`dependencies changed from ${base.ref} (${base.commit?.slice(0, 12)}) to the working tree: ${dependencies.length}\n`);
    for (const d of dependencies)
      sinks.stdout.note(
        `${d.change} ${d.ecosystem} ${d.name} ${d.from ?? ""}${d.from !== null && d.to !== null ? " -> " : ""}${d.to ?? ""} (${d.file}, ${d.section})\n`,
      );
    const notes = dependencies.length > 0 ? [`${dependencies.length} dependency change(s): a review must give the rationale`] : [];
    return { outcome: "passed", dependencies, notes };
  };

  /** What the builtins diffed against (null outside git; commit null when the ref did not resolve). */
  const base = async (): Promise<DiffBase | null> => {
    if (toplevel === null) return null;
    try {
      return (await load()).base;
    } catch {
      return { ref: baseRef, commit: null };
    }
  };
  return { run, base };
}
