// The omk-gates command run in process (its `main`), and project files written for it: shared by the tests
// of what the command does around the gates (hooks, --config, where runs go).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { main } from "../src/internal/cli.js";

export async function gatesIn(cwd: string, env: Record<string, string | undefined>, ...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main({ argv: args, cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

export function write(dir: string, files: Record<string, string | object>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), typeof content === "string" ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}
