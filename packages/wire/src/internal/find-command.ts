import { accessSync, constants } from "node:fs";
import path from "node:path";

/** The absolute path of a command on PATH (or the command itself when it has a slash and is executable). */
export function findCommand(command: string, env: Record<string, string | undefined> = process.env): string | undefined {
  const executable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes("/")) return executable(command) ? path.resolve(command) : undefined;
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, command);
    if (executable(file)) return file;
  }
  return undefined;
}
