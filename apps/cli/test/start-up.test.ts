// Issue 15, cold start: `omk --version` does no work beyond printing, and `omk --help` loads commander and
// the command tree but no command, no @omk package, no zod. Checked on the built binary: its version is
// package.json's, and the bundle's start-up chunks (what bin.js, then main, import statically) hold none of
// the heavy modules. Speed itself is the benchmark's (bench/cold-start), never a test's.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, makeTempDir, omkBinPath, runOmk, startUpClosure, staticImports } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/main.js";

afterAll(cleanupTempDirs);

const cliDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.dirname(omkBinPath);
const pkgVersion = (JSON.parse(readFileSync(path.join(cliDir, "package.json"), "utf8")) as { version: string }).version;

/** The chunk bin.js loads for everything but --version: the one its dynamic import names. */
function mainChunk(): string {
  const match = /await import\(['"](\.\/main-[^'"]+\.js)['"]\)/.exec(readFileSync(omkBinPath, "utf8"));
  if (match === null) throw new Error("bin.js has no dynamic import of the main chunk");
  return path.resolve(dist, match[1] as string);
}

describe("cold start of the built omk", () => {
  it("--version and -v print package.json's version and exit 0; -V is not an option (exit 2)", async () => {
    const stateDir = makeTempDir();
    expect((await runOmk(["-V"], { stateDir })).exitCode).toBe(2);
    for (const flag of ["--version", "-v"]) {
      const r = await runOmk([flag], { stateDir });
      expect(r.exitCode, `${flag}: ${r.stderr}`).toBe(0);
      expect(r.stdout, flag).toBe(pkgVersion); // execa drops the final newline
      expect(r.stderr, flag).toBe("");
    }
  });

  it("-v is the version only as the only argument: elsewhere an unknown option (exit 2), with main() called directly too", async () => {
    const stateDir = makeTempDir();
    for (const argv of [
      ["goal", "run", "x", "-v"],
      ["--bogus", "-v"],
      ["goal", "status", "-v"],
      ["-v", "goal", "list"],
    ]) {
      const r = await runOmk(argv, { stateDir });
      expect(r.exitCode, argv.join(" ")).toBe(2);
      expect(r.stdout, argv.join(" ")).not.toBe(pkgVersion);
      expect(r.stderr, argv.join(" ")).toMatch(/^omk: unknown option '(-v|--bogus)'/);
    }
    const out: string[] = [];
    const io = (argv: string[]) => ({
      argv,
      stdout: (t: string) => out.push(t),
      stderr: () => {},
      env: { ...process.env, OMK_STATE_DIR: stateDir },
      cwd: stateDir,
    });
    expect(await main(io(["-v"]))).toBe(0);
    expect(out.join("")).toBe(`${pkgVersion}\n`);
    out.length = 0;
    expect(await main(io(["goal", "run", "x", "-v"]))).toBe(2);
    expect(out.join("")).toBe("");
  }, 60_000);

  it("--version with its reader gone ends quietly with exit 0", async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [omkBinPath, "--version"], { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.destroy();
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
  });

  it("bin.js loads only the version before answering --version: no package, no commander", () => {
    const closure = startUpClosure(omkBinPath);
    for (const file of closure) {
      // node:module is the require shim of the bundle's banner (tsup.config.ts); nothing else from outside.
      expect(staticImports(file).bare, path.basename(file)).toEqual(["node:module"]);
      // esbuild marks each bundled module with a `// <path>` comment: only bin.ts and version.ts (and package.json's version).
      const modules = [...readFileSync(file, "utf8").matchAll(/^\/\/ (\S+)$/gm)].map((m) => m[1] as string);
      for (const m of modules) expect(["src/bin.ts", "src/version.ts", "package.json"], `${path.basename(file)} bundles ${m}`).toContain(m);
    }
  });

  it("--help loads commander and main but no command module, no @omk package, no zod", () => {
    const closure = startUpClosure(mainChunk());
    const modules: string[] = [];
    for (const file of closure) {
      // Only node builtins are imported from outside the bundle (commander is bundled).
      for (const bare of staticImports(file).bare) expect(bare, `${path.basename(file)} imports ${bare}`).toMatch(/^(node:)?[a-z_/]+$/);
      modules.push(...[...readFileSync(file, "utf8").matchAll(/^\/\/ (\S+)$/gm)].map((m) => m[1] as string));
    }
    expect(modules).toContain("src/main.ts");
    expect(modules.some((m) => m.includes("/commander/"))).toBe(true);
    const heavy = modules.filter(
      (m) => m.includes("packages/") || m.includes("/zod/") || m.startsWith("src/commands/") || m === "src/context.ts" || m === "src/errors.ts",
    );
    expect(heavy).toEqual([]);
  });

  it("--help and goal --help still print the command tree; a command still runs (loaded on use)", async () => {
    const stateDir = makeTempDir();
    const help = await runOmk(["--help"], { stateDir });
    expect(help.exitCode, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: omk/);
    const goalHelp = await runOmk(["goal", "--help"], { stateDir });
    expect(goalHelp.exitCode, goalHelp.stderr).toBe(0);
    expect(goalHelp.stdout).toMatch(/^Usage: omk goal/);
    const list = await runOmk(["goal", "list", "--json"], { stateDir });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.json()).toEqual([]);
    // Error rendering is loaded on use too: a command's failure still prints its one line with the fix.
    const missing = await runOmk(["goal", "status", "01m9830rhvw4gr38fq0309vz12"], { stateDir });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^omk: .*fix: /);
  });
});
