/**
 * Tamper detection over a unified diff (base → head): changes that make
 * checks pass without making the code right. Each finding is typed, names a
 * file, a line (in the new file for added lines, in the old file for removed
 * ones) and the evidence, for the review phase. Lines that were only moved
 * (the same text removed and added in the file) are not findings.
 */
import path from "node:path";
import { z } from "zod";
import { type ChangedLine, type FileChange, readDiff } from "./internal/diff.js";
import {
  ASSERTION,
  COMMENTED,
  GATE_SCRIPT_LINE,
  higherIsLooser,
  isConfigLike,
  isGateConfig,
  isSnapshotFile,
  isTestFile,
  LOCKFILES,
  lowerIsLooser,
  manifestEcosystem,
  SKIP_RULES,
  testName,
} from "./internal/tamper-rules.js";

export const TAMPER_KINDS = [
  "test_deleted",
  "test_removed",
  "test_skipped",
  "test_focused",
  "assertion_removed",
  "assert_commented_out",
  "snapshot_updated",
  "threshold_lowered",
  "gate_config_edited",
  "lockfile_churn",
] as const;
export const TamperKindSchema = z.enum(TAMPER_KINDS);
export type TamperKind = z.infer<typeof TamperKindSchema>;

export const TamperFindingSchema = z.object({
  kind: TamperKindSchema,
  file: z.string().min(1),
  line: z.number().int().positive().nullable(),
  side: z.enum(["old", "new"]).nullable().describe("which file `line` counts in: old for removed lines, new for added ones"),
  evidence: z.string(),
  message: z.string().min(1),
});
export type TamperFinding = z.infer<typeof TamperFindingSchema>;

export type TamperReport = { readonly files: number; readonly findings: readonly TamperFinding[] };

type Emit = (finding: TamperFinding) => void;

const trimmed = (lines: readonly ChangedLine[]) => new Set(lines.map((l) => l.text.trim()));

/** Added lines whose text is not merely moved from elsewhere in the file. */
function newlyAdded(file: FileChange): ChangedLine[] {
  const removed = trimmed(file.removed);
  return file.added.filter((l) => !removed.has(l.text.trim()));
}

function newlyRemoved(file: FileChange): ChangedLine[] {
  const added = trimmed(file.added);
  return file.removed.filter((l) => !added.has(l.text.trim()));
}

function firstChange(file: FileChange): { line: number | null; side: "old" | "new" | null; evidence: string } {
  const added = file.added[0];
  if (added !== undefined) return { line: added.line, side: "new", evidence: added.text.trim() };
  const removed = file.removed[0];
  if (removed !== undefined) return { line: removed.line, side: "old", evidence: removed.text.trim() };
  return { line: null, side: null, evidence: `${file.status} (no text lines)` };
}

function checkTests(file: FileChange, emit: Emit): void {
  if (file.status === "deleted" && isTestFile(file.path)) {
    const names = file.removed.map((l) => testName(l.text, file.path)).filter((n) => n !== undefined);
    emit({
      kind: "test_deleted",
      file: file.path,
      line: file.removed[0]?.line ?? null,
      side: file.removed.length > 0 ? "old" : null,
      evidence: names.length > 0 ? `deleted with its tests: ${names.slice(0, 5).join(", ")}` : `deleted (${file.removed.length} lines)`,
      message: `the test file ${file.path} was deleted`,
    });
    return;
  }
  if (file.status === "renamed" && file.oldPath !== null && isTestFile(file.oldPath) && !isTestFile(file.path)) {
    emit({
      kind: "test_deleted",
      file: file.oldPath,
      line: null,
      side: null,
      evidence: `renamed to ${file.path}`,
      message: `the test file ${file.oldPath} was renamed to ${file.path}, which no test runner picks up`,
    });
  }
  for (const line of newlyAdded(file)) {
    const rule = SKIP_RULES.find((r) => r.files(file.path) && r.pattern.test(line.text));
    if (rule !== undefined && !COMMENTED.test(line.text)) {
      emit({
        kind: rule.kind,
        file: file.path,
        line: line.line,
        side: "new",
        evidence: line.text.trim(),
        message: rule.kind === "test_focused" ? "a focus marker (.only, fit) makes the runner skip every other test" : "a test was skipped or marked as todo",
      });
    }
  }
  if (!isTestFile(file.path) || file.status === "deleted") return;
  // Tests whose declarations are gone (a multiset: the same name re-added elsewhere in the file is a move).
  const addedNames = new Map<string, number>();
  for (const l of file.added) {
    const name = testName(l.text, file.path);
    if (name !== undefined) addedNames.set(name, (addedNames.get(name) ?? 0) + 1);
  }
  for (const l of file.removed) {
    const name = testName(l.text, file.path);
    if (name === undefined) continue;
    const left = addedNames.get(name) ?? 0;
    if (left > 0) {
      addedNames.set(name, left - 1);
      continue;
    }
    emit({ kind: "test_removed", file: file.path, line: l.line, side: "old", evidence: l.text.trim(), message: `the test "${name}" was removed` });
  }
  for (const l of newlyAdded(file)) {
    const comment = COMMENTED.exec(l.text);
    if (comment !== null && ASSERTION.test(l.text.slice(comment[0].length))) {
      emit({ kind: "assert_commented_out", file: file.path, line: l.line, side: "new", evidence: l.text.trim(), message: "an assertion was commented out" });
    }
  }
  const isAssertion = (l: ChangedLine) => ASSERTION.test(l.text) && !COMMENTED.test(l.text);
  const net = file.removed.filter(isAssertion).length - file.added.filter(isAssertion).length;
  if (net > 0) {
    for (const l of newlyRemoved(file).filter(isAssertion)) {
      emit({
        kind: "assertion_removed",
        file: file.path,
        line: l.line,
        side: "old",
        evidence: l.text.trim(),
        message: `an assertion was removed (the file has ${net} assertion line(s) fewer)`,
      });
    }
  }
}

function checkSnapshot(file: FileChange, emit: Emit): void {
  if (file.status === "added" || !isSnapshotFile(file.path)) return;
  const first = firstChange(file);
  emit({ kind: "snapshot_updated", file: file.path, ...first, message: `the snapshot ${file.path} was ${file.status === "deleted" ? "deleted" : "rewritten"}` });
}

/** A number that stands alone (not part of a name like `es2020` or `v8`). */
const NUMBER = /(?<![\w.])-?\d+(?:\.\d+)?(?!\w)/gu;

/** Removed and added lines of one hunk that differ only in their numbers: a setting changed value. */
function checkThresholds(file: FileChange, emit: Emit): void {
  if (!isConfigLike(file.path) || file.status === "deleted") return;
  const template = (text: string) => text.replace(NUMBER, "#").replace(/\s+/gu, " ").trim();
  const used = new Set<ChangedLine>();
  for (const old of file.removed) {
    const key = template(old.text);
    const before = old.text.match(NUMBER);
    if (before === null) continue;
    const name = old.text.slice(0, old.text.search(NUMBER));
    const lower = lowerIsLooser(name);
    const higher = higherIsLooser(name);
    if (!lower && !higher) continue;
    const now = file.added.find((l) => l.hunk === old.hunk && !used.has(l) && template(l.text) === key);
    if (now === undefined) continue;
    used.add(now);
    const after = now.text.match(NUMBER) ?? [];
    const loosened = before.some((b, i) => {
      const a = after[i];
      if (a === undefined) return false;
      return higher ? Number(a) > Number(b) : Number(a) < Number(b);
    });
    if (loosened) {
      emit({
        kind: "threshold_lowered",
        file: file.path,
        line: now.line,
        side: "new",
        evidence: `${old.text.trim()} → ${now.text.trim()}`,
        message: higher ? "a limit was raised, which lets more through" : "a threshold or coverage limit was lowered",
      });
    }
  }
}

function checkGateConfig(file: FileChange, emit: Emit): void {
  if (isGateConfig(file.path) || (file.oldPath !== null && isGateConfig(file.oldPath))) {
    emit({ kind: "gate_config_edited", file: file.path, ...firstChange(file), message: `the gate or CI configuration ${file.path} was ${file.status}` });
    return;
  }
  if (path.posix.basename(file.path) !== "package.json") return;
  const script = [...file.added.map((l) => ({ l, side: "new" as const })), ...file.removed.map((l) => ({ l, side: "old" as const }))].find(({ l }) =>
    GATE_SCRIPT_LINE.test(l.text),
  );
  if (script !== undefined) {
    emit({
      kind: "gate_config_edited",
      file: file.path,
      line: script.l.line,
      side: script.side,
      evidence: script.l.text.trim(),
      message: "a package.json script that gates run (test, lint, typecheck, build, ...) was changed",
    });
  }
}

function checkLockfiles(files: readonly FileChange[], emit: Emit): void {
  const manifests = files.flatMap((f) => {
    const ecosystem = manifestEcosystem(f.path);
    return ecosystem === undefined ? [] : [{ dir: path.posix.dirname(f.path), ecosystem }];
  });
  for (const file of files) {
    const ecosystem = LOCKFILES[path.posix.basename(file.path)];
    if (ecosystem === undefined) continue;
    const dir = path.posix.dirname(file.path);
    const within = (other: string) => dir === "." || other === dir || other.startsWith(`${dir}/`);
    if (manifests.some((m) => m.ecosystem === ecosystem && within(m.dir))) continue;
    const first = firstChange(file);
    emit({
      kind: "lockfile_churn",
      file: file.path,
      ...first,
      evidence: `${file.status}, +${file.added.length} −${file.removed.length} lines; first: ${first.evidence}`,
      message: `the lockfile ${file.path} changed, but no ${ecosystem} manifest at or below ${dir} did`,
    });
  }
}

/** Finds tampering in a unified diff; an empty diff has no findings. */
export function detectTampering(diff: string): TamperReport {
  const files = readDiff(diff);
  const findings: TamperFinding[] = [];
  const emit: Emit = (finding) => findings.push(finding);
  for (const file of files) {
    checkTests(file, emit);
    checkSnapshot(file, emit);
    checkThresholds(file, emit);
    checkGateConfig(file, emit);
  }
  checkLockfiles(files, emit);
  return { files: files.length, findings };
}
