import { sha256 } from "@omk/core";
import { realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Where a standalone `omk-gates run/compare` keeps its logs and report when
 * no `--out` is given: never inside the project (nothing is written into the
 * user's repository but what they ask for). The state dir omk itself uses
 * (`$OMK_STATE_DIR`, else `$XDG_STATE_HOME/omk`, else `~/.local/state/omk`),
 * under `gates-runs/<project dir name>-<12 hex of the path's sha256>/`, so
 * two checkouts of one project never share a folder.
 */
export function defaultRunsDir(root: string, env: Readonly<Record<string, string | undefined>>, home: string = os.homedir()): string {
  const explicit = env["OMK_STATE_DIR"];
  const xdg = env["XDG_STATE_HOME"];
  const state =
    explicit !== undefined && explicit.trim() !== ""
      ? path.resolve(explicit)
      : xdg !== undefined && path.isAbsolute(xdg)
        ? path.join(xdg, "omk")
        : path.join(home, ".local", "state", "omk");
  let real = path.resolve(root);
  try {
    real = realpathSync(real);
  } catch {
    // a root that does not exist yet keeps its resolved path
  }
  const name = path.basename(real).replace(/[^A-Za-z0-9._-]/g, "_") || "root";
  return path.join(state, "gates-runs", `${name}-${sha256(real).slice(0, 12)}`);
}
