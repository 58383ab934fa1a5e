/**
 * What a killed run leaves behind, removed when a goal starts or resumes
 * (under its controller lock, so no run of this goal is using any of it):
 * - temporary checkouts (`<tmp>/omk-*-XXXXXX/tree`: overlay, proof-verify)
 *   whose owner process is dead (any goal's: they are registered nowhere);
 * - the goal's evidence checkouts (`<state root>/checkouts/<goal>/_evidence/`);
 * - what older OMK versions registered in the user's repository: `git
 *   worktree add`s in temporary folders and the goal's old `checkouts/`
 *   (removed), the goal's old task worktrees in `goals/<goal>/worktrees/`
 *   (removed when clean: their commits are on their branches; a dirty one
 *   is kept and named), and registrations whose folder is gone (prune);
 * - engine session HOMEs (`<goal>/.../engine/home` and `engine/xdg`: copied
 *   login files, what the engine wrote) a killed session did not remove.
 */
import { type Dirent, existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { removeSessionHome } from "@omk/wire";
import { sweepGoalCheckouts } from "@omk/worktree";

export type LeftoverSweep = {
  /** Folders removed (and registrations dropped). */
  readonly removed: readonly string[];
  /** Old task worktrees holding uncommitted work, left in place. */
  readonly kept: readonly string[];
};

/** `tmpDir`: where temporary checkouts go (default os.tmpdir()). The checkouts are @omk/worktree's sweepGoalCheckouts; the session HOMEs are swept here. */
export async function sweepLeftoverCheckouts(repo: string, goalDir: string, tmpDir?: string): Promise<LeftoverSweep> {
  const homes = sweepSessionHomes(goalDir);
  const swept = await sweepGoalCheckouts(repo, goalDir, tmpDir);
  return { removed: [...swept.removed, ...homes], kept: swept.kept };
}

/**
 * Session HOMEs a killed session left in the goal's folder: every
 * `engine/home` and `engine/xdg` of a session run folder (`runs/<task>/<n>/`,
 * `reviews/<r>/[attempt-<n>/]`, `plan/sessions/<n>/`, `intake/session/`,
 * `rounds/<r>/`), looked for up to 5 levels deep, symbolic links not followed.
 */
function sweepSessionHomes(goalDir: string, depth = 5): string[] {
  const removed: string[] = [];
  const walk = (dir: string, left: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const child = path.join(dir, entry.name);
      if (entry.name === "engine" && (existsSync(path.join(child, "home")) || existsSync(path.join(child, "xdg")))) {
        removeSessionHome(child);
        removed.push(path.join(child, "home"));
      } else if (left > 0) walk(child, left - 1);
    }
  };
  walk(goalDir, depth);
  return removed;
}
