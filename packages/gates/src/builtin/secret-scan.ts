import parseDiff from "parse-diff";
import picomatch from "picomatch";
import { assignmentRule, PRIVATE_KEY_BEGIN, type SecretRule, TOKEN_RULES } from "../internal/secret-rules.js";
import { createRedactor } from "../redact.js";
import type { SecretFinding } from "../schemas/result.js";

const SCAN_RULES: readonly SecretRule[] = [...TOKEN_RULES, assignmentRule(true)];
/** A line saying this is on purpose (test fixtures, docs): `omk-gates: allow-secret`. */
const ALLOW_PRAGMA = /omk-gates:\s*allow-secret/;
const EXCERPT_CHARS = 160;

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
 * random-looking values. Pure: no IO. Paths matching `ignore` globs and
 * lines carrying `omk-gates: allow-secret` are skipped. The excerpt in a
 * finding has the secret redacted.
 */
export function scanDiffForSecrets(diff: string, options: { ignore?: readonly string[] } = {}): SecretFinding[] {
  const ignored = options.ignore !== undefined && options.ignore.length > 0 ? picomatch([...options.ignore], { dot: true }) : () => false;
  const redactor = createRedactor();
  const findings: SecretFinding[] = [];
  for (const file of parseDiff(diff)) {
    const name = file.to !== undefined && file.to !== "/dev/null" ? file.to : undefined;
    if (name === undefined || ignored(name)) continue;
    for (const chunk of file.chunks) {
      for (const change of chunk.changes) {
        if (change.type !== "add") continue;
        const line = change.content.slice(1);
        if (ALLOW_PRAGMA.test(line)) continue;
        const rule = firstRule(line);
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
