// Shared setup for this package's tests: a bare remote, a clone of it as the user's main checkout, a state dir.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gitIn, initBareRepo, initGitRepo, ISOLATED_GIT_ENV, makeTempDir } from "@omk/test-fixtures";
import { taskWorktreeDir } from "../src/index.js";

// The package must work where no git identity or config exists (CI): hide the machine's.
Object.assign(process.env, ISOLATED_GIT_ENV);

export const GOAL = "01jgoal0000000000000000000";

export type Fixture = { readonly repo: string; readonly remote: string; readonly stateDir: string; readonly base: string; dir: (task: string) => string };

export const BASE_FILES: Record<string, string> = {
  "README.md": "# fixture\n",
  "src/app.ts": "export const app = 1;\n",
  "src/util.ts": "export const util = 1;\n",
  "docs/guide.md": "line 1\nline 2\nline 3\n",
  "scripts/run.sh": "#!/bin/sh\necho run\n",
  ".gitignore": "ignored/\n",
};

/** A main checkout (clone of a bare remote) with BASE_FILES committed and pushed. */
export async function setup(files: Record<string, string> = BASE_FILES): Promise<Fixture> {
  const root = makeTempDir("omk-wt-");
  const seed = path.join(root, "seed");
  const remote = await initBareRepo(path.join(root, "remote.git"));
  const flat: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) if (!name.includes("/")) flat[name] = content;
  await initGitRepo(seed, flat);
  for (const [name, content] of Object.entries(files)) {
    if (!name.includes("/")) continue;
    const file = path.join(seed, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  await gitIn(seed, "add", "-A");
  await gitIn(seed, "commit", "-q", "-m", "base");
  await gitIn(seed, "push", "-q", remote, "main");
  const repo = path.join(root, "main");
  await gitIn(root, "clone", "-q", remote, repo);
  const base = await gitIn(repo, "rev-parse", "HEAD");
  const stateDir = path.join(root, "state");
  return { repo, remote, stateDir, base, dir: (task) => taskWorktreeDir(stateDir, GOAL, task) };
}

/** A value or a thrown error with the problem's message (tests read better than `if (!r.ok)` everywhere). */
export function must<T>(result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}
