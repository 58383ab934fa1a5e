/**
 * What every tamper rule reads a changed file with: the finding sink, the
 * added and removed lines that were not merely moved within the file, and
 * the first change of a file (for findings about the file as a whole).
 */
import type { ChangedLine, FileChange } from "./diff.js";

const trimmed = (lines: readonly ChangedLine[]) => new Set(lines.map((l) => l.text.trim()));

/** Added lines whose text is not merely moved from elsewhere in the file. */
export function newlyAdded(file: FileChange): ChangedLine[] {
  const removed = trimmed(file.removed);
  return file.added.filter((l) => !removed.has(l.text.trim()));
}

export function newlyRemoved(file: FileChange): ChangedLine[] {
  const added = trimmed(file.added);
  return file.removed.filter((l) => !added.has(l.text.trim()));
}

export function firstChange(file: FileChange): { line: number | null; side: "old" | "new" | null; evidence: string } {
  const added = file.added[0];
  if (added !== undefined) return { line: added.line, side: "new", evidence: added.text.trim() };
  const removed = file.removed[0];
  if (removed !== undefined) return { line: removed.line, side: "old", evidence: removed.text.trim() };
  return { line: null, side: null, evidence: `${file.status} (no text lines)` };
}
