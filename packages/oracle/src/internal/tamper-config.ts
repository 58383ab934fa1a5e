/**
 * Tamper rules outside the tests: the gate or CI configuration (or a
 * package.json script that gates run) edited, and a lockfile changed with
 * no manifest of its ecosystem changed at or above it.
 */
import path from "node:path";
import type { FileChange } from "./diff.js";
import type { Emit } from "../tamper-finding.js";
import { firstChange } from "./tamper-lines.js";
import { GATE_SCRIPT_LINE, isGateConfig, LOCKFILES, manifestEcosystem } from "./tamper-rules.js";

export function checkGateConfig(file: FileChange, emit: Emit): void {
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

export function checkLockfiles(files: readonly FileChange[], emit: Emit): void {
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
