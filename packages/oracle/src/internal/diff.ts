import parseDiff from "parse-diff";

/** One changed line: `line` counts in the new file for additions and in the old file for removals. */
export type ChangedLine = { readonly text: string; readonly line: number; readonly hunk: number };

export type FileChange = {
  readonly path: string;
  readonly oldPath: string | null;
  readonly status: "added" | "deleted" | "modified" | "renamed";
  readonly added: readonly ChangedLine[];
  readonly removed: readonly ChangedLine[];
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
    file.chunks.forEach((chunk, hunk) => {
      for (const change of chunk.changes) {
        if (change.type === "add") added.push({ text: change.content.slice(1), line: change.ln, hunk });
        else if (change.type === "del") removed.push({ text: change.content.slice(1), line: change.ln, hunk });
      }
    });
    const status = file.deleted === true || to === null ? "deleted" : file.new === true || from === null ? "added" : from !== to ? "renamed" : "modified";
    return { path: (to ?? from) as string, oldPath: status === "renamed" ? from : null, status, added, removed };
  });
}
