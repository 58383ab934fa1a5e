import { closeSync, openSync, readSync, realpathSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";

/**
 * Which `kimi` a command is. Two different programs install a `kimi` binary:
 * Kimi Code 2.x (npm `@moonshot-ai/kimi-code`, Node) speaks ACP through
 * `kimi acp` and has no `--wire`; the Python kimi CLI (`kimi-cli`) speaks
 * Kimi Wire through `kimi --wire`.
 */
export type KimiBinary = { kind: "kimi-code" | "kimi-cli"; speaks: "acp" | "kimi-wire"; description: string };

export const KIMI_CODE: KimiBinary = {
  kind: "kimi-code",
  speaks: "acp",
  description: "Kimi Code 2.x (npm @moonshot-ai/kimi-code), which speaks ACP through `kimi acp`",
};
const KIMI_CLI: KimiBinary = {
  kind: "kimi-cli",
  speaks: "kimi-wire",
  description: "the Python kimi CLI (kimi-cli), which speaks Kimi Wire through `kimi --wire`",
};

function firstBytes(file: string, n = 256): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const buf = Buffer.alloc(n);
    const read = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, read).toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Tells the two apart without running anything: the file the command
 * resolves to (or, for `node ENTRY`, the entry) inside the
 * `@moonshot-ai/kimi-code` package, or a Python script. Undefined when the
 * path says nothing (a wrapper script, say).
 */
export function kimiBinaryFromPath(commandPath: string, args: readonly string[] = []): KimiBinary | undefined {
  let file = commandPath;
  if (/^node(\d+)?(\.exe)?$/.test(path.basename(commandPath)) && args[0] !== undefined && !args[0].startsWith("-")) file = args[0];
  let real = file;
  try {
    real = realpathSync(file);
  } catch {
    // as given
  }
  if (real.split(path.sep).join("/").includes("/@moonshot-ai/kimi-code/")) return KIMI_CODE;
  const head = firstBytes(real);
  if (head.startsWith("#!") && /python/.test(head.split("\n")[0] ?? "")) return KIMI_CLI;
  return undefined;
}

/** kimiBinaryFromPath, else what `kimi --help` lists: an `acp` command (Kimi Code) or a `--wire` option (Python CLI). */
export async function identifyKimi(
  commandPath: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 15_000,
): Promise<KimiBinary | undefined> {
  const fromPath = kimiBinaryFromPath(commandPath, args);
  if (fromPath !== undefined) return fromPath;
  const help = await execa(commandPath, [...args, "--help"], { env, extendEnv: false, reject: false, timeout: timeoutMs, stdin: "ignore" });
  const text = `${help.stdout ?? ""}\n${help.stderr ?? ""}`;
  if (/--wire\b/.test(text)) return KIMI_CLI;
  if (/^\s+acp\b/m.test(text) || /kimi-code/i.test(text)) return KIMI_CODE;
  return undefined;
}
