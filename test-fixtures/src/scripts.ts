import { createRequire } from "node:module";
import { execa, type ResultPromise } from "execa";

const require = createRequire(import.meta.url);

/**
 * Node flags that let a child process run a TypeScript file and resolve
 * workspace packages to their source (the `@omk/source` condition).
 */
export function tsxLoaderArgs(): string[] {
  return ["--conditions=@omk/source", "--import", require.resolve("tsx")];
}

/** Start a TypeScript script as a real child process. */
export function spawnTsScript(
  file: string,
  args: string[] = [],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ResultPromise<{ reject: false; env: NodeJS.ProcessEnv }> {
  return execa(process.execPath, [...tsxLoaderArgs(), file, ...args], {
    reject: false,
    env: options.env ?? {},
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
}

async function _runTsScript(file: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  return await spawnTsScript(file, args, options);
}

/** The pid of a process that has already exited (for stale-lock tests). */
export async function deadPid(): Promise<number> {
  const child = execa(process.execPath, ["-e", "0"]);
  const pid = child.pid as number;
  await child;
  return pid;
}
