import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

/** The CLI tests run the built binary: build it first (tsup bundles workspace packages from source). */
export async function setup(): Promise<void> {
  const cliDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  await execa(path.join(cliDir, "node_modules", ".bin", "tsup"), [], { cwd: cliDir, env: { ...process.env, NODE_ENV: "production" } });
}
