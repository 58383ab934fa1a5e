import path from "node:path";
import { problem, type Problem } from "../errors.js";
import { realpathOrNull } from "./fs.js";
import { git } from "./git.js";

export type RepoInfo = {
  /** Where OMK runs repository-wide commands: the top folder, or the git dir of a bare repository. */
  readonly root: string;
  /** The shared git dir (objects, refs). */
  readonly commonDir: string;
  readonly bare: boolean;
};

export type NotARepository = Problem<"not_a_repository", { readonly repo: string }>;

const cache = new Map<string, RepoInfo>();
const CACHE_LIMIT = 64;

/** Finds the repository `dir` belongs to (remembered per folder: what a repository is does not change). */
export async function openRepo(dir: string): Promise<{ ok: true; value: RepoInfo } | { ok: false; error: NotARepository }> {
  const fail = (detail: string) => ({
    ok: false as const,
    error: problem("not_a_repository", `${dir} is not a git repository${detail}`, "pass the repository's top folder (where `git status` works)", { repo: dir }),
  });
  const real = await realpathOrNull(dir);
  if (real === null) return fail(" (it does not exist)");
  const known = cache.get(real);
  if (known !== undefined && (await realpathOrNull(known.commonDir)) !== null) return { ok: true, value: known };
  // One call for the usual case (a work tree); --show-toplevel fails in a bare repository or a git dir.
  let run = await git(real, ["rev-parse", "--is-bare-repository", "--is-inside-work-tree", "--path-format=absolute", "--git-common-dir", "--show-toplevel"], {
    allow: [128],
  });
  if (run.exitCode !== 0)
    run = await git(real, ["rev-parse", "--is-bare-repository", "--is-inside-work-tree", "--path-format=absolute", "--git-common-dir"], { allow: [128] });
  if (run.exitCode !== 0) return fail(`: ${run.stderr.trim()}`);
  const [bareText, insideText, commonDir = "", top = ""] = run.stdout.trim().split("\n");
  const bare = bareText === "true";
  let info: RepoInfo;
  if (bare) info = { root: commonDir, commonDir, bare };
  else if (insideText !== "true" || top === "") return fail(" work tree (it is a git dir; pass the folder that holds it)");
  else info = { root: path.resolve(top), commonDir, bare };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(real, info);
  return { ok: true, value: info };
}
