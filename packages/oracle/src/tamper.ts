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
import { structureFindings } from "./internal/tamper-structure.js";
import { tokenDiff, resolveValue } from "./internal/tamper-values.js";
import {
  ASSERTION,
  assertsRangeOf,
  COMMENTED,
  COMMENTED_ASSERTION,
  exactSubject,
  GATE_SCRIPT_LINE,
  higherIsLooser,
  isConfigLike,
  isGateConfig,
  isSnapshotFile,
  isTestFile,
  LOCKFILES,
  loosened,
  lowerIsLooser,
  manifestEcosystem,
  numberBound,
  SKIP_RULES,
  testName,
} from "./internal/tamper-rules.js";

const TAMPER_KINDS = [
  "test_deleted",
  "test_removed",
  "test_skipped",
  "test_focused",
  "assertion_removed",
  "assert_commented_out",
  "snapshot_updated",
  "threshold_lowered",
  "assertion_loosened",
  "timeout_weakened",
  "assertion_guarded",
  "assertion_unreachable",
  "expected_replaced",
  "gate_config_edited",
  "lockfile_churn",
] as const;
const TamperKindSchema = z.enum(TAMPER_KINDS);

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

function checkSnapshot(file: FileChange, emit: Emit): void {
  if (file.status === "added" || !isSnapshotFile(file.path)) return;
  const first = firstChange(file);
  emit({
    kind: "snapshot_updated",
    file: file.path,
    ...first,
    message: `the snapshot ${file.path} was ${file.status === "deleted" ? "deleted" : "rewritten"}`,
  });
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

/** The numbers of a line with where they stand. */
const numbersOf = (text: string) => [...text.matchAll(NUMBER)].map((m) => ({ value: Number(m[0]), at: m.index, length: m[0].length }));
const numberTemplate = (text: string) => text.replace(NUMBER, "#").replace(/\s+/gu, " ").trim();

/**
 * A test file's checks made weaker in place (a removed line and an added one
 * of the same hunk): a bound lowered (`>= 0.9` → `>= 0.1`,
 * `toBeGreaterThan(100)` → `(1)`) or raised (`< 50` → `< 500`), a strict
 * assertion made loose (`strictEqual` → `equal`, `toStrictEqual` →
 * `toEqual`, `===` → `==`, `node:assert/strict` → `node:assert`), an exact
 * value turned into a range (`toBe(5)` → `toBeGreaterThan(0)`), and a test
 * timeout raised, set to 0 or removed. Tightening and new tests are not findings.
 */
function checkTestLoosening(file: FileChange, newSource: string, emit: Emit): void {
  if (!isTestFile(file.path) || file.status === "deleted") return;
  const added = newlyAdded(file);
  const used = new Set<ChangedLine>();
  const pairOf = (old: ChangedLine, same: (now: ChangedLine) => boolean) => {
    const now = added.find((l) => l.hunk === old.hunk && !used.has(l) && !COMMENTED.test(l.text) && same(l));
    if (now !== undefined) used.add(now);
    return now;
  };
  const found = (
    kind: "threshold_lowered" | "assertion_loosened" | "timeout_weakened" | "expected_replaced",
    old: ChangedLine,
    now: ChangedLine,
    message: string,
  ) => emit({ kind, file: file.path, line: now.line, side: "new", evidence: `${old.text.trim()} → ${now.text.trim()}`, message });
  const removed = newlyRemoved(file).filter((l) => !COMMENTED.test(l.text));
  const paired = new Set<ChangedLine>();
  for (const old of removed) {
    // Strict to loose: the same line with the strict forms made loose.
    const strict = loosened(old.text);
    if (strict.strict > 0) {
      const now = pairOf(old, (l) => {
        const after = loosened(l.text);
        return after.strict < strict.strict && after.text.trim() === strict.text.trim();
      });
      if (now !== undefined) {
        paired.add(old);
        found("assertion_loosened", old, now, "a strict assertion was made loose (strict to loose equality)");
        continue;
      }
    }
    // An exact value to a range, on the same subject.
    const subject = exactSubject(old.text);
    if (subject !== undefined) {
      const now = pairOf(old, (l) => assertsRangeOf(l.text, subject));
      if (now !== undefined) {
        paired.add(old);
        found("assertion_loosened", old, now, `an assertion of an exact value of ${subject} was turned into a range or a truthiness check`);
        continue;
      }
    }
    // The same line with other numbers: a bound or a timeout moved.
    const before = numbersOf(old.text);
    if (before.length === 0) continue;
    const bounds = before.map((n) => numberBound(old.text, n.at, n.length));
    if (bounds.every((b) => b === undefined)) continue;
    const key = numberTemplate(old.text);
    const now = pairOf(old, (l) => numberTemplate(l.text) === key);
    if (now === undefined) continue;
    paired.add(old);
    const after = numbersOf(now.text);
    for (const [i, n] of before.entries()) {
      const a = after[i]?.value;
      const bound = bounds[i];
      if (a === undefined || bound === undefined || a === n.value) continue;
      if (bound === "timeout" && ((n.value > 0 && a === 0) || (n.value > 0 && a > n.value))) {
        found("timeout_weakened", old, now, a === 0 ? "a test timeout was turned off (0)" : `a test timeout was raised from ${n.value} to ${a}`);
        break;
      }
      if ((bound === "lower_is_looser" && a < n.value) || (bound === "higher_is_looser" && a > n.value)) {
        found("threshold_lowered", old, now, `a bound in a test was loosened from ${n.value} to ${a}`);
        break;
      }
    }
  }
  // A literal bound or expected value replaced by arithmetic or a name: `>= 0.9` → `>= 0.9 - 0.8`, `toBe(42)` → `toBe(expected)`.
  for (const old of removed) {
    if (paired.has(old)) continue;
    for (const now of added) {
      if (now.hunk !== old.hunk || used.has(now) || COMMENTED.test(now.text)) continue;
      const d = tokenDiff(old.text, now.text);
      if (d === undefined) continue;
      const before = resolveValue(d.a, "");
      if (!before.ok) continue;
      const [single] = d.b;
      if (d.b.length === 1 && single !== undefined && (single.kind === "num" || single.kind === "str")) continue;
      const bound = before.literal.kind === "number" ? numberBound(old.text, d.at, d.end - d.at) : undefined;
      const subject = exactSubject(old.text);
      const exact = bound === undefined && subject !== undefined && exactSubject(now.text) === subject && d.at >= old.text.indexOf(subject) + subject.length;
      if (bound === undefined && !exact) continue;
      used.add(now);
      paired.add(old);
      const was = d.a.map((t) => t.text).join(" ");
      const is = d.b.map((t) => t.text).join(" ");
      const after = resolveValue(d.b, newSource);
      if (!after.ok) {
        found(
          "expected_replaced",
          old,
          now,
          `${exact ? "the expected value" : "the bound"} ${was} was replaced by \`${is}\`, which does not resolve to a constant: ${after.why}`,
        );
      } else if (after.literal.kind === "number" && before.literal.kind === "number") {
        const a = after.literal.value;
        const b = before.literal.value;
        if (bound === "timeout" && b > 0 && (a === 0 || a > b)) found("timeout_weakened", old, now, `a test timeout was raised from ${b} to ${a} (\`${is}\`)`);
        else if ((bound === "lower_is_looser" && a < b) || (bound === "higher_is_looser" && a > b))
          found("threshold_lowered", old, now, `a bound in a test was loosened from ${b} to ${a} (\`${is}\`)`);
      }
      break;
    }
  }
  // A timeout that is gone: the line held one and no line of its hunk holds it any more.
  for (const old of removed) {
    if (paired.has(old)) continue;
    const timeout = numbersOf(old.text).find((n) => numberBound(old.text, n.at, n.length) === "timeout");
    if (timeout === undefined) continue;
    const kept = file.added.some((l) => l.hunk === old.hunk && numbersOf(l.text).some((n) => numberBound(l.text, n.at, n.length) === "timeout"));
    if (kept) continue;
    emit({
      kind: "timeout_weakened",
      file: file.path,
      line: old.line,
      side: "old",
      evidence: old.text.trim(),
      message: `a test timeout (${timeout.value}) was removed`,
    });
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
