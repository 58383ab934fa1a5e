import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

/** The built binary of apps/cli. */
export const omkBinPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../apps/cli/dist/bin.js");

export type OmkRun = { exitCode: number; stdout: string; stderr: string; json: () => unknown };

/** Run the built `omk` binary as a real process, with its state under `stateDir`. */
export async function runOmk(args: string[], options: { stateDir: string; cwd?: string; env?: NodeJS.ProcessEnv }): Promise<OmkRun> {
  const result = await execa(process.execPath, [omkBinPath, ...args], {
    reject: false,
    cwd: options.cwd ?? options.stateDir,
    env: { OMK_STATE_DIR: options.stateDir, NO_COLOR: "1", CI: "true", ...options.env },
    stdin: "ignore",
  });
  const stdout = String(result.stdout);
  return {
    exitCode: result.exitCode ?? -1,
    stdout,
    stderr: String(result.stderr),
    json: () => JSON.parse(stdout),
  };
}
