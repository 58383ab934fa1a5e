// Slow: builds @omk/gates, packs it with pnpm and installs the tarball from the npm registry
// into a project outside the workspace, then runs the bin and the library there.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, listFiles, makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";

afterAll(cleanupTempDirs);

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PNPM_LOCK = "/tmp/pnpm.lock";

/** Newest modification time (ms) of the files under `dir`. */
function newest(dir: string): number {
  return Math.max(0, ...listFiles(dir).map((f) => statSync(f).mtimeMs));
}

/** dist/ was built after every source it is built from was last changed (the build takes ~15 s, so it is skipped then). */
function distIsFresh(): boolean {
  const built = ["index.js", "index.d.ts", "bin.js"].map((f) => path.join(PKG, "dist", f));
  if (!built.every((f) => existsSync(f))) return false;
  const sources = Math.max(
    newest(path.join(PKG, "src")),
    ...["package.json", "tsup.config.ts", "../../tooling/tsup.base.ts"].map((f) => statSync(path.join(PKG, f)).mtimeMs),
  );
  return Math.min(...built.map((f) => statSync(f).mtimeMs)) > sources;
}

/**
 * pnpm through npx. On this machine pnpm runs are serialized with `flock /tmp/pnpm.lock`;
 * inside a package script (`pnpm test` may itself hold that lock) taking it again would
 * deadlock, so the lock is taken only outside one, and given up after a wait. `pack`
 * reads the workspace and writes only the tarball, so running it unlocked is safe.
 */
async function pnpm(args: string[], cwd: string) {
  const direct = () => execa("npx", ["-y", "pnpm@10", ...args], { cwd });
  const insideScript = process.env["npm_lifecycle_event"] !== undefined;
  const hasFlock = existsSync(PNPM_LOCK) && (await execa("flock", ["--version"], { reject: false })).exitCode === 0;
  if (insideScript || !hasFlock) return direct();
  const locked = await execa("flock", ["-E", "75", "-w", "60", PNPM_LOCK, "npx", "-y", "pnpm@10", ...args], { cwd, reject: false });
  if (locked.exitCode === 75) return direct();
  if (locked.exitCode !== 0) throw new Error(`pnpm ${args.join(" ")} failed: ${locked.stderr}`);
  return locked;
}

describe("@omk/gates from a packed tarball, outside the workspace", () => {
  it("installs from the registry and runs detect and run through npx, and imports as a library", { timeout: 240_000 }, async () => {
    if (!distIsFresh()) await execa(path.join(PKG, "node_modules", ".bin", "tsup"), ["--silent"], { cwd: PKG });
    const dest = makeTempDir("gates-pack-");
    await pnpm(["pack", "--pack-destination", dest], PKG);
    const tarball = path.join(dest, `omk-gates-${JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8")).version}.tgz`);
    expect(existsSync(tarball)).toBe(true);
    // @omk/gates depends on @omk/git (the one git runner) and @omk/core (the base), published with it: packed and installed alongside, as the registry would serve them.
    const siblings: string[] = [];
    for (const sibling of ["git", "core"]) {
      const dir = path.resolve(PKG, "..", sibling);
      if (!existsSync(path.join(dir, "dist", "index.js")) || newest(path.join(dir, "src")) > statSync(path.join(dir, "dist", "index.js")).mtimeMs) {
        await execa(path.join(dir, "node_modules", ".bin", "tsup"), ["--silent"], { cwd: dir });
      }
      await pnpm(["pack", "--pack-destination", dest], dir);
      const siblingTarball = path.join(dest, `omk-${sibling}-${JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version}.tgz`);
      expect(existsSync(siblingTarball)).toBe(true);
      siblings.push(siblingTarball);
    }

    const project = makeTempDir("gates-consumer-");
    expect(project.startsWith(path.resolve(PKG, "../.."))).toBe(false);
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module", scripts: { test: "node -e \"console.log('consumer tests pass')\"" } }, null, 2),
    );
    writeFileSync(
      path.join(project, "package-lock.json"),
      JSON.stringify({ name: "consumer", lockfileVersion: 3, requires: true, packages: { "": { name: "consumer" } } }),
    );
    await execa("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...siblings, tarball], { cwd: project });

    const installed = readFileSync(path.join(project, "node_modules", "@omk", "gates", "package.json"), "utf8");
    expect(installed).not.toMatch(/workspace:|catalog:/);
    expect(existsSync(path.join(project, "node_modules", "execa"))).toBe(true);

    const detect = await execa("npx", ["--no-install", "omk-gates", "detect", "--json"], { cwd: project, reject: false });
    expect(detect.exitCode, detect.stderr).toBe(0);
    const detection = JSON.parse(detect.stdout) as { config: { gates: Array<{ name: string; command: string[] }> } };
    expect(detection.config.gates).toEqual([expect.objectContaining({ name: "test", command: ["npm", "run", "test"] })]);

    const run = await execa("npx", ["--no-install", "omk-gates", "run", "--json", "--out", "gates-out"], { cwd: project, reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      verdict: string;
      tool: { version: string };
      gates: Array<{ name: string; outcome: string; tail: { stdout: string[] } }>;
    };
    expect(report.verdict).toBe("passed");
    expect(report.gates[0]).toMatchObject({ name: "test", outcome: "passed" });
    expect(report.gates[0]?.tail.stdout).toContain("consumer tests pass");

    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module", scripts: { test: 'node -e "process.exit(3)"' } }),
    );
    const failing = await execa("npx", ["--no-install", "omk-gates", "run", "--quiet"], { cwd: project, reject: false });
    expect(failing.exitCode).toBe(1);

    const lib = await execa(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        "import { detectGates, GatesConfigSchema, TOOL_NAME } from '@omk/gates'; const d = detectGates('.'); console.log(TOOL_NAME, d.ok, GatesConfigSchema.safeParse({ gates: [] }).success);",
      ],
      { cwd: project },
    );
    expect(lib.stdout).toBe("@omk/gates true false");
    expect(existsSync(path.join(project, "node_modules", "@omk", "gates", "dist", "index.d.ts"))).toBe(true);
  });
});
