/**
 * A gate's command and where it runs: its outcome from the process's end
 * (passed, failed, timed out, error), its tool's `--version` (probed under
 * the same confinement as the gate), and the check that its cwd stays
 * inside the project root, symlinks resolved.
 */
import { realpathSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import type { ConfineCommand } from "../confine.js";
import { pathOutOfCheckout } from "../schemas/config.js";
import type { GateOutcome } from "../schemas/result.js";
import type { ProcessOutcome } from "./process.js";

export function classify(p: ProcessOutcome): GateOutcome {
  if (p.spawnError !== undefined) return "error";
  if (p.timedOut) return "timed_out";
  if (p.aborted) return "error";
  return p.exitCode === 0 ? "passed" : "failed";
}

export async function toolVersion(
  file: string,
  cwd: string,
  env: Record<string, string>,
  confine: ConfineCommand | undefined,
  root: string,
): Promise<string | undefined> {
  // The tool may be the tree's own program (./run-tests): its version probe is a gate command like any other.
  const boxed = confine?.({ argv: [file, "--version"], cwd, root, purpose: "gate", writable: [], env });
  try {
    const [cmd, ...args] = (boxed?.argv ?? [file, "--version"]) as [string, ...string[]];
    const r = await execa(cmd, args, { cwd, env: { ...(boxed?.env ?? env) }, extendEnv: false, reject: false, timeout: 5000, stdin: "ignore" });
    return firstLine(r);
  } finally {
    boxed?.dispose?.();
  }
}

function firstLine(r: { stdout?: unknown; exitCode?: number | undefined }): string | undefined {
  const line = String(r.stdout ?? "")
    .split("\n")[0]
    ?.trim();
  return r.exitCode === 0 && line !== undefined && line !== "" ? line : undefined;
}

/**
 * Why a gate's cwd is outside the project root, or undefined when it is
 * inside: the config loader refuses `..` and absolute paths, and here the
 * directory is resolved through its symlinks (a link inside the checkout
 * that points out is refused at run time; API callers skip the loader).
 */
export function cwdOutside(root: string, cwd: string): string | undefined {
  const lexical = pathOutOfCheckout(cwd);
  if (lexical !== undefined) return `cwd ${cwd} ${lexical}: a gate runs inside the project root ${root}`;
  let real: string;
  let realRoot: string;
  try {
    real = realpathSync(path.resolve(root, cwd));
    realRoot = realpathSync(root);
  } catch (e) {
    return `cwd ${cwd} cannot be resolved under ${root}: ${e instanceof Error ? e.message : String(e)}`;
  }
  const rel = path.relative(realRoot, real);
  if (rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    return `cwd ${cwd} resolves to ${real} through a symlink, outside the project root ${realRoot}: point the gate at a directory inside the project`;
  }
  return undefined;
}
