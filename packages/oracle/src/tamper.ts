/**
 * Tamper detection over a unified diff (base → head): changes that make
 * checks pass without making the code right. Each finding is typed, names a
 * file, a line (in the new file for added lines, in the old file for removed
 * ones) and the evidence, for the review phase. Lines that were only moved
 * (the same text removed and added in the file) are not findings. The rules
 * are in internal/: tamper-tests.ts, tamper-loosening.ts, tamper-config.ts,
 * tamper-structure.ts (with tamper-rules.ts and tamper-values.ts).
 */
import { type FileChange, readDiff } from "./internal/diff.js";
import { checkGateConfig, checkLockfiles } from "./internal/tamper-config.js";
import { checkTestLoosening, checkThresholds } from "./internal/tamper-loosening.js";
import { isTestFile } from "./internal/tamper-rules.js";
import { structureFindings } from "./internal/tamper-structure.js";
import { checkSnapshot, checkTests } from "./internal/tamper-tests.js";
import type { Emit, TamperFinding } from "./tamper-finding.js";

export type TamperReport = { readonly files: number; readonly findings: readonly TamperFinding[] };

/**
 * A changed file's whole text on one side of the diff, when the caller has
 * it (the review reads both sides from git): the structural rules then see
 * whole test bodies. Without it they read what the diff's hunks show.
 */
export type TamperSources = (file: string, side: "old" | "new") => string | undefined;

export type TamperOptions = { readonly sources?: TamperSources };

/**
 * The sources `detectTampering` would read for `diff`: both sides of each
 * changed test file (the old side by its old name after a rename). The
 * review reads them from git and passes them back as `sources`.
 */
export function tamperSourcePaths(diff: string): Array<{ readonly file: string; readonly side: "old" | "new" }> {
  return readDiff(diff)
    .filter((f) => isTestFile(f.path) && (f.status === "modified" || f.status === "renamed"))
    .flatMap((f) => [
      { file: f.oldPath ?? f.path, side: "old" as const },
      { file: f.path, side: "new" as const },
    ]);
}

/** The structural rules (tamper-structure.ts) over a changed test file: whole sources when given, else hunk by hunk. */
function checkStructure(file: FileChange, sources: TamperSources | undefined, emit: Emit): void {
  if (!isTestFile(file.path) || (file.status !== "modified" && file.status !== "renamed")) return;
  const before = sources?.(file.oldPath ?? file.path, "old");
  const after = sources?.(file.path, "new");
  const pieces = before !== undefined && after !== undefined ? [{ old: before, new: after, newStart: 1 }] : file.hunks.filter((h) => h.old !== h.new);
  for (const piece of pieces) {
    for (const f of structureFindings(piece.old, piece.new, file.path)) {
      emit({ kind: f.kind, file: file.path, line: piece.newStart + f.line - 1, side: "new", evidence: f.evidence, message: f.message });
    }
  }
}

/** Finds tampering in a unified diff; an empty diff has no findings. */
export function detectTampering(diff: string, options: TamperOptions = {}): TamperReport {
  const files = readDiff(diff);
  const findings: TamperFinding[] = [];
  const seen = new Set<string>();
  const emit: Emit = (finding) => {
    // Two rules that see the same thing (a `//` comment-out, line by line and structurally) report it once.
    const key = `${finding.kind}\u0000${finding.file}\u0000${finding.line}\u0000${finding.side}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(finding);
  };
  for (const file of files) {
    checkTests(file, emit);
    checkSnapshot(file, emit);
    checkThresholds(file, emit);
    const newSource = options.sources?.(file.path, "new") ?? file.hunks.map((h) => h.new).join("\n");
    checkTestLoosening(file, newSource, emit);
    checkStructure(file, options.sources, emit);
    checkGateConfig(file, emit);
  }
  checkLockfiles(files, emit);
  return { files: files.length, findings };
}
