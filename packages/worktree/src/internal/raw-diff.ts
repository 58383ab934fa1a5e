// `git diff-tree --raw -z` into ChangedFile values (symlink targets are filled in by the caller).
import type { ChangedFile, ChangeStatus, FileKind } from "../schemas.js";
import { splitNul } from "./git.js";

const ABSENT_MODE = /^0+$/;
const ABSENT_SHA = /^0+$/;

function kindOfMode(mode: string): FileKind {
  if (mode === "120000") return "symlink";
  if (mode === "160000") return "submodule";
  if (mode === "100755") return "executable";
  return "file";
}

/** Parses NUL-separated raw diff output (`:old new oldSha newSha STATUS\0path\0[path\0]`). */
export function parseRawDiff(text: string): ChangedFile[] {
  const fields = splitNul(text);
  const files: ChangedFile[] = [];
  let i = 0;
  while (i < fields.length) {
    const header = fields[i++] as string;
    if (!header.startsWith(":")) continue;
    const [oldModeRaw = "", newModeRaw = "", oldShaRaw = "", newShaRaw = "", statusRaw = ""] = header.slice(1).split(" ");
    const letter = statusRaw.charAt(0) as ChangeStatus | "U" | "X";
    const score = statusRaw.length > 1 ? Number(statusRaw.slice(1)) : null;
    const twoPaths = letter === "R" || letter === "C";
    const first = fields[i++] ?? "";
    const second = twoPaths ? (fields[i++] ?? "") : null;
    if (letter === "U" || letter === "X") continue; // unmerged/unknown never occur between two trees
    const oldMode = ABSENT_MODE.test(oldModeRaw) ? null : oldModeRaw;
    const newMode = ABSENT_MODE.test(newModeRaw) ? null : newModeRaw;
    const oldKind = oldMode === null ? null : kindOfMode(oldMode);
    const newKind = newMode === null ? null : kindOfMode(newMode);
    files.push({
      status: letter,
      path: second ?? first,
      oldPath: twoPaths ? first : null,
      similarity: twoPaths && score !== null && Number.isFinite(score) ? score : null,
      oldMode,
      newMode,
      kind: newKind ?? oldKind ?? "file",
      oldKind,
      modeChanged: oldMode !== null && newMode !== null && oldMode !== newMode,
      symlinkTarget: null,
      oldSha: ABSENT_SHA.test(oldShaRaw) ? null : oldShaRaw,
      newSha: ABSENT_SHA.test(newShaRaw) ? null : newShaRaw,
    });
  }
  return files;
}
