/**
 * Tamper rules over whole tests: a test file deleted, tests removed,
 * skipped or focused, assertions removed or commented out, and a snapshot
 * rewritten or deleted.
 */
import type { ChangedLine, FileChange } from "./diff.js";
import type { Emit } from "../tamper-finding.js";
import { newlyAdded, newlyRemoved, firstChange } from "./tamper-lines.js";
import { ASSERTION, COMMENTED, COMMENTED_ASSERTION, isSnapshotFile, isTestFile, SKIP_RULES, testName } from "./tamper-rules.js";

export function checkTests(file: FileChange, emit: Emit): void {
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
    if (comment !== null && COMMENTED_ASSERTION.test(l.text.slice(comment[0].length).trim())) {
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

export function checkSnapshot(file: FileChange, emit: Emit): void {
  if (file.status === "added" || !isSnapshotFile(file.path)) return;
  const first = firstChange(file);
  emit({
    kind: "snapshot_updated",
    file: file.path,
    ...first,
    message: `the snapshot ${file.path} was ${file.status === "deleted" ? "deleted" : "rewritten"}`,
  });
}
