// The content screen of a capture: every object a fetch of the task branch
// would bring into the user's repository (`rev-list --objects <head> --not
// <base>`: the blobs of every added or modified file in every commit, the
// trees that name them, the commit messages) is read whole with
// `cat-file --batch` (raw bytes: no textconv, no filters, no diff cap, binary
// or not) and given to the caller's matcher. An object or a change too large
// to read within the caps is a finding itself, never a silent pass.
import { git as runGit } from "@omk/git";
import { GitCommandError } from "../errors.js";
import type { ChangedFile } from "../schemas.js";

/** What must not leave the task's checkout, looked for in each object's whole content. */
export type ContentScreen = {
  /** What `text` holds that must not leave (e.g. `$DEPLOY_TOKEN (base64)`), never the value itself; empty when nothing. */
  readonly find: (text: string) => readonly string[];
  /** An object larger than this is not read: a `too_large` finding (default DEFAULT_SCREEN_OBJECT_BYTES). */
  readonly maxObjectBytes?: number;
  /** Reading stops past this many bytes in all: a `too_large` finding naming the first object left unread (default DEFAULT_SCREEN_TOTAL_BYTES). */
  readonly maxTotalBytes?: number;
};

export type ScreenFinding = {
  /** The file (as the change names it), or `(a file or folder name)`, `(a commit message)`, `(a file in an earlier commit)`; never the matched value. */
  readonly path: string;
  readonly reason: "matched" | "too_large";
  /** What matched (the screen's words), or why the object was not read. */
  readonly detail: string;
};

const DEFAULT_SCREEN_OBJECT_BYTES = 32 * 1024 * 1024;
const DEFAULT_SCREEN_TOTAL_BYTES = 256 * 1024 * 1024;
/** Objects are read in batches of about this many bytes (one git process each). */
const BATCH_BYTES = 32 * 1024 * 1024;

type ObjectInfo = { readonly sha: string; readonly type: string; readonly size: number };

async function run(cwd: string, args: readonly string[], input: string, maxBuffer: number): Promise<Uint8Array> {
  const result = await runGit(cwd, args, { input, encoding: "buffer", maxBuffer });
  if (result.exitCode !== 0 || result.truncated || result.bytes === undefined) {
    throw new GitCommandError(args, cwd, result.exitCode, result.truncated ? "output cut at the buffer limit" : result.stderr.trim() || "failed", result);
  }
  return result.bytes;
}

/** The objects reachable from `head` and not from `base`, with type and size. */
async function objectsOf(cwd: string, base: string, head: string): Promise<ObjectInfo[]> {
  const listed = await runGit(cwd, ["rev-list", "--objects", "--no-object-names", head, "--not", base]);
  if (listed.exitCode !== 0) throw new GitCommandError(["rev-list", "--objects", head, "--not", base], cwd, listed.exitCode, listed.stderr.trim(), listed);
  const shas = [...new Set(listed.stdout.split("\n").filter((line) => /^[0-9a-f]{40,64}$/.test(line)))];
  if (shas.length === 0) return [];
  const checked = Buffer.from(
    await run(cwd, ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"], `${shas.join("\n")}\n`, 64 * 1024 * 1024),
  ).toString("utf8");
  return checked
    .split("\n")
    .map((line) => /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ sha: m[1] as string, type: m[2] as string, size: Number(m[3]) }));
}

/** Reads whole objects (`cat-file --batch`), calling `each` with their bytes in order. */
async function readObjects(cwd: string, objects: readonly ObjectInfo[], each: (info: ObjectInfo, content: Buffer) => void): Promise<void> {
  for (let i = 0; i < objects.length; ) {
    const batch: ObjectInfo[] = [];
    let bytes = 0;
    while (i < objects.length && (batch.length === 0 || bytes + (objects[i] as ObjectInfo).size <= BATCH_BYTES)) {
      const next = objects[i++] as ObjectInfo;
      batch.push(next);
      bytes += next.size;
    }
    const out = Buffer.from(await run(cwd, ["cat-file", "--batch"], `${batch.map((o) => o.sha).join("\n")}\n`, bytes + batch.length * 200 + 1024));
    let at = 0;
    for (const info of batch) {
      const eol = out.indexOf(0x0a, at);
      const header = out.subarray(at, eol).toString("utf8");
      const size = Number(header.split(" ")[2]);
      if (eol < 0 || !header.startsWith(info.sha) || !Number.isFinite(size))
        throw new GitCommandError(["cat-file", "--batch"], cwd, 0, `unexpected output for ${info.sha}: ${header.slice(0, 120)}`);
      each(info, out.subarray(eol + 1, eol + 1 + size));
      at = eol + 1 + size + 1;
    }
  }
}

/**
 * Screens what a fetch of `head` would bring over `base` (see the top of this
 * file). `files` (the change, base to head) names the blobs; a blob that only
 * an intermediate commit holds is `(a file in an earlier commit)`. A file
 * whose own name matches is named `(a file or folder name)`, so no finding
 * ever spells the value.
 */
export async function screenChange(cwd: string, base: string, head: string, files: readonly ChangedFile[], screen: ContentScreen): Promise<ScreenFinding[]> {
  const names = new Map<string, string>();
  for (const file of files) if (file.newSha !== null && !names.has(file.newSha)) names.set(file.newSha, file.path);
  const nameOf = (info: ObjectInfo): string => {
    if (info.type === "commit") return "(a commit message)";
    if (info.type === "tree") return "(a file or folder name)";
    const name = names.get(info.sha);
    if (name === undefined) return "(a file in an earlier commit)";
    return screen.find(name).length > 0 ? "(a file or folder name)" : name;
  };
  const maxObject = screen.maxObjectBytes ?? DEFAULT_SCREEN_OBJECT_BYTES;
  const maxTotal = screen.maxTotalBytes ?? DEFAULT_SCREEN_TOTAL_BYTES;
  const findings: ScreenFinding[] = [];
  const toRead: ObjectInfo[] = [];
  let total = 0;
  for (const info of await objectsOf(cwd, base, head)) {
    if (info.size > maxObject) {
      findings.push({
        path: nameOf(info),
        reason: "too_large",
        detail: `${info.size} bytes, over the ${maxObject}-byte limit of what is read whole to look for secrets`,
      });
      continue;
    }
    if (total + info.size > maxTotal) {
      findings.push({
        path: nameOf(info),
        reason: "too_large",
        detail: `the change is over the ${maxTotal}-byte limit of what is read whole to look for secrets; this and later objects were not read`,
      });
      break;
    }
    total += info.size;
    toRead.push(info);
  }
  await readObjects(cwd, toRead, (info, content) => {
    // UTF-8: every ASCII byte of a binary file decodes to itself, so a value is found in binary content too.
    const found = screen.find(content.toString("utf8"));
    if (found.length > 0) findings.push({ path: nameOf(info), reason: "matched", detail: found.join(", ") });
  });
  return findings;
}
