import parseDiff from "parse-diff";

/** One changed line: `line` counts in the new file for additions and in the old file for removals. */
export type ChangedLine = { readonly text: string; readonly line: number; readonly hunk: number };

export type FileChange = {
  readonly path: string;
  readonly oldPath: string | null;
  readonly status: "added" | "deleted" | "modified" | "renamed";
  readonly added: readonly ChangedLine[];
  readonly removed: readonly ChangedLine[];
  /** Each hunk's old and new text (context lines included): what the diff shows of both sides. */
  readonly hunks: readonly { readonly old: string; readonly new: string; readonly newStart: number }[];
};

const stripPrefix = (p: string | undefined): string | null => {
  if (p === undefined || p === "/dev/null") return null;
  return p;
};

/** A unified diff (as `git diff` prints it) as a list of file changes. */
export function readDiff(text: string): FileChange[] {
  return parseDiff(text).map((file) => {
    const from = stripPrefix(file.from);
    const to = stripPrefix(file.to);
    const added: ChangedLine[] = [];
    const removed: ChangedLine[] = [];
    const hunks: { old: string; new: string; newStart: number }[] = [];
    file.chunks.forEach((chunk, hunk) => {
      const before: string[] = [];
      const after: string[] = [];
      for (const change of chunk.changes) {
        const text = change.content.slice(1);
        if (change.type === "add") added.push({ text, line: change.ln, hunk });
        else if (change.type === "del") removed.push({ text, line: change.ln, hunk });
        if (change.type !== "add") before.push(text);
        if (change.type !== "del") after.push(text);
      }
      hunks.push({ old: before.join("\n"), new: after.join("\n"), newStart: chunk.newStart });
    });
    const status = file.deleted === true || to === null ? "deleted" : file.new === true || from === null ? "added" : from !== to ? "renamed" : "modified";
    return { path: (to ?? from) as string, oldPath: status === "renamed" ? from : null, status, added, removed, hunks };
  });
}
