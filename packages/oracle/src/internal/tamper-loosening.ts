/**
 * Tamper rules over checks made weaker in place: a configured threshold or
 * limit changed the loose way (threshold_lowered), and in a test file a
 * bound lowered or raised, a strict assertion made loose, an exact value
 * turned into a range, a test timeout raised or removed.
 */
import type { ChangedLine, FileChange } from "./diff.js";
import type { Emit } from "../tamper-finding.js";
import { newlyAdded, newlyRemoved } from "./tamper-lines.js";
import { assertsRangeOf, COMMENTED, exactSubject, higherIsLooser, isConfigLike, isTestFile, loosened, lowerIsLooser, numberBound } from "./tamper-rules.js";
import { tokenDiff, resolveValue } from "./tamper-values.js";

/** A number that stands alone (not part of a name like `es2020` or `v8`). */
const NUMBER = /(?<![\w.])-?\d+(?:\.\d+)?(?!\w)/gu;

/** Removed and added lines of one hunk that differ only in their numbers: a setting changed value. */
export function checkThresholds(file: FileChange, emit: Emit): void {
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
export function checkTestLoosening(file: FileChange, newSource: string, emit: Emit): void {
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
