// `git merge-tree --write-tree -z --name-only`: the merge result without touching any checkout or ref.
// No strategy options are ever passed: a conflict is reported, never resolved by picking a side.
import { git } from "./git.js";

export type MergeTreeResult =
  | { readonly clean: true; readonly tree: string }
  | { readonly clean: false; readonly files: string[]; readonly messages: string[] };

/** Parses the -z output of a conflicted merge: tree, conflicted names, empty field, then messages. */
export function parseMergeTreeConflict(text: string): { files: string[]; messages: string[] } {
  const fields = text.split("\0");
  const files = new Set<string>();
  const messages: string[] = [];
  let i = 1; // fields[0] is the tree
  while (i < fields.length && fields[i] !== "") files.add(fields[i++] as string);
  i++; // the empty field ending the conflicted file list
  while (i < fields.length) {
    const count = Number(fields[i]);
    if (!Number.isInteger(count) || count < 0) break;
    const paths = fields.slice(i + 1, i + 1 + count);
    const type = fields[i + 1 + count] ?? "";
    const message = (fields[i + 2 + count] ?? "").trim();
    i += count + 3;
    if (type.startsWith("CONFLICT")) {
      for (const p of paths) files.add(p);
      messages.push(message);
    }
  }
  return { files: [...files].sort(), messages };
}

export async function mergeTree(cwd: string, ours: string, theirs: string): Promise<MergeTreeResult> {
  const run = await git(cwd, ["merge-tree", "--write-tree", "-z", "--name-only", ours, theirs], { allow: [1] });
  if (run.exitCode === 0) return { clean: true, tree: run.stdout.split("\0")[0]?.trim() ?? "" };
  return { clean: false, ...parseMergeTreeConflict(run.stdout) };
}
