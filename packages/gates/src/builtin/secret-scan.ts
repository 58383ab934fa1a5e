import parseDiff from "parse-diff";
import picomatch from "picomatch";
import { assignmentRule, createRedactor, type KnownSecret, PRIVATE_KEY_BEGIN, type SecretRule, TOKEN_RULES } from "@omk/core";
import type { SecretFinding } from "../schemas/result.js";

const SCAN_RULES: readonly SecretRule[] = [...TOKEN_RULES, assignmentRule(true)];
/** A line saying this is on purpose (test fixtures, docs): `omk-gates: allow-secret`. */
const ALLOW_PRAGMA = /omk-gates:\s*allow-secret/;
const EXCERPT_CHARS = 160;
/** A known value shorter than this is not matched in a change (a short value hits ordinary code). */
const MIN_KNOWN_VALUE = 8;

/** Paths of files named in a unified diff, as they are after the change (deleted files by their old path). */
export function diffFiles(diff: string): Array<{ path: string; status: "added" | "modified" | "deleted" }> {
  return parseDiff(diff).map((file) => {
    const to = file.to === "/dev/null" ? undefined : file.to;
    const from = file.from === "/dev/null" ? undefined : file.from;
    return { path: (to ?? from ?? "") as string, status: file.new === true ? "added" : file.deleted === true ? "deleted" : "modified" };
  });
}

/**
 * The secret scan of a change: every ADDED line of a unified diff is checked
 * for token shapes, private key blocks and keyword assignments with
 * random-looking values, and for the literal values in `known` (the
 * values the run's redactor knows: knownSecretValues), rule `known-value`.
 * Pure: no IO. Paths matching `ignore` globs and lines carrying
 * `omk-gates: allow-secret` are skipped for the shape rules; a known value
 * is a real secret, found wherever it is (8+ chars). The excerpt in a
 * finding has the secret redacted; the value is never in a finding.
 */
export function scanDiffForSecrets(diff: string, options: { ignore?: readonly string[]; known?: readonly KnownSecret[] } = {}): SecretFinding[] {
  const ignored = options.ignore !== undefined && options.ignore.length > 0 ? picomatch([...options.ignore], { dot: true }) : () => false;
  const known = (options.known ?? []).map((k) => k.value).filter((v) => v.length >= MIN_KNOWN_VALUE);
  const redactor = createRedactor({ values: known });
  const findings: SecretFinding[] = [];
  for (const file of parseDiff(diff)) {
    const name = file.to !== undefined && file.to !== "/dev/null" ? file.to : undefined;
    if (name === undefined) continue;
    const skipShapes = ignored(name);
    for (const chunk of file.chunks) {
      for (const change of chunk.changes) {
        if (change.type !== "add") continue;
        const line = change.content.slice(1);
        const rule = known.some((v) => line.includes(v)) ? "known-value" : skipShapes || ALLOW_PRAGMA.test(line) ? undefined : firstRule(line);
        if (rule === undefined) continue;
        const excerpt = redactor.redact(line).trim();
        findings.push({ rule, file: name, line: change.ln, excerpt: excerpt.length > EXCERPT_CHARS ? `${excerpt.slice(0, EXCERPT_CHARS)}…` : excerpt });
      }
    }
  }
  return findings;
}

function firstRule(line: string): string | undefined {
  if (PRIVATE_KEY_BEGIN.test(line)) return "private-key";
  for (const rule of SCAN_RULES) {
    rule.pattern.lastIndex = 0;
    for (const match of line.matchAll(rule.pattern)) {
      const secret = rule.group === undefined ? match[0] : match[rule.group];
      if (secret === undefined || secret === "") continue;
      if (rule.accept === undefined || rule.accept(secret)) return rule.id;
    }
  }
  return undefined;
}
