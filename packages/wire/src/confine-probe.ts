/**
 * What the host offers a sandbox: whether bwrap is there and can create the
 * namespaces OMK uses (probeConfinement, run once at start), and the
 * folders an engine must see to start (engineVisiblePaths: its command,
 * its absolute arguments, their packages and node_modules, its PATH).
 */
import path from "node:path";
import { execa } from "execa";
import { err, ok, type Result } from "@omk/core";
import { ConfinementUnavailableError } from "./confine.js";
import { findCommand } from "./internal/find-command.js";
import { exists, real } from "./internal/real-path.js";

export type ProbeResult = { bwrap: string; version: string };

/**
 * Whether this machine can sandbox: bwrap found on PATH (of `env`) and able
 * to create the namespaces OMK uses (one real sandboxed `true`). Run once at
 * start. Failures say what to do: install bubblewrap, enable user namespaces,
 * or pass --unconfined.
 */
export async function probeConfinement(
  env: Record<string, string | undefined> = process.env,
  timeoutMs = 20_000,
): Promise<Result<ProbeResult, ConfinementUnavailableError>> {
  const bwrap = findCommand("bwrap", env);
  if (bwrap === undefined) {
    return err(
      new ConfinementUnavailableError("bwrap_missing", "cannot confine agents: bubblewrap (bwrap) is not on PATH", {
        fix: "install bubblewrap (apt-get install bubblewrap), or pass --unconfined to run agents without a sandbox",
      }),
    );
  }
  const trueCmd = findCommand("true", env) ?? "/bin/true";
  const run = await execa(
    bwrap,
    ["--die-with-parent", "--unshare-all", "--share-net", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--", trueCmd],
    {
      env: { PATH: env["PATH"] ?? "/usr/bin:/bin" },
      extendEnv: false,
      reject: false,
      stdin: "ignore",
      timeout: timeoutMs,
    },
  );
  if (run.exitCode !== 0) {
    const why = `${run.stderr ?? ""}`.trim().split("\n")[0] ?? "";
    return err(
      new ConfinementUnavailableError(
        "namespaces_unavailable",
        `cannot confine agents: ${bwrap} cannot create a sandbox here${why === "" ? ` (exit ${run.exitCode ?? run.signal})` : `: ${why}`}`,
        {
          fix: "enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0), or pass --unconfined",
        },
      ),
    );
  }
  const version = await execa(bwrap, ["--version"], { reject: false, stdin: "ignore", timeout: timeoutMs });
  return ok({ bwrap, version: `${version.stdout ?? ""}`.trim() });
}

/**
 * What an engine must see to start, for `shownReadOnly`: the folder of its
 * command (symbolic links followed: a wrapper and what it points at), of
 * each absolute path among its arguments (an entry script, a scenario
 * file), and each folder on its PATH. Only those inside a hidden folder
 * are bound; the rest are visible read-only already.
 */
export function engineVisiblePaths(command: string, args: readonly string[], env: Record<string, string | undefined>): string[] {
  const out = new Set<string>();
  const show = (file: string) => {
    for (const p of [file, real(file)]) {
      out.add(path.dirname(p));
      for (const dir of packageDirs(path.dirname(p))) out.add(dir);
    }
  };
  const found = findCommand(command, env);
  if (found !== undefined) show(found);
  for (const arg of args) {
    if (!path.isAbsolute(arg) || !exists(arg)) continue;
    show(arg);
  }
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) if (path.isAbsolute(dir)) out.add(dir);
  return [...out];
}

/**
 * What a script in `dir` loads besides its own folder: the package it belongs
 * to (the nearest folder up with a package.json: its dist/ imports ../package.json,
 * ../examples) and every `node_modules` folder on the way up, as Node resolves
 * them. Needed where an ancestor is hidden (a package installed under /tmp,
 * which the sandbox empties): `npm pack`ed CLIs in tests, `npx` caches with TMPDIR=/tmp.
 */
function packageDirs(dir: string): string[] {
  const out: string[] = [];
  let packageRoot: string | undefined;
  for (let at = dir; ; at = path.dirname(at)) {
    if (packageRoot === undefined && exists(path.join(at, "package.json"))) packageRoot = at;
    if (exists(path.join(at, "node_modules"))) out.push(path.join(at, "node_modules"));
    if (path.dirname(at) === at) break;
  }
  if (packageRoot !== undefined && packageRoot !== "/") out.push(packageRoot);
  return out;
}
