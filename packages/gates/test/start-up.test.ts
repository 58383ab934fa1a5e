// Issue 15, cold start: `omk-gates --version` and `--help` do no work beyond printing. The built bin.js
// answers them from modules of their own (the version, the usage text) before the gate runner (execa,
// yaml, zod, @omk/git) loads; the answers are main's. Speed itself is the benchmark's (bench/cold-start).
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { listFiles, startUpClosure, staticImports } from "@omk/test-fixtures";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/internal/cli.js";

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(PKG, "dist", "bin.js");

/** dist/bin.js was built after every source it is built from was last changed (else it is built here). */
function binIsFresh(): boolean {
  if (!existsSync(BIN)) return false;
  const sources = Math.max(
    ...listFiles(path.join(PKG, "src")).map((f) => statSync(f).mtimeMs),
    ...["package.json", "tsup.config.ts", "../../tooling/tsup.base.ts"].map((f) => statSync(path.join(PKG, f)).mtimeMs),
  );
  return statSync(BIN).mtimeMs > sources;
}

async function inProcess(argv: string[]) {
  let stdout = "";
  const code = await main({ argv, cwd: PKG, env: {}, stdout: (t) => (stdout += t), stderr: () => {} });
  return { code, stdout };
}

describe("omk-gates cold start (built bin)", () => {
  beforeAll(async () => {
    if (!binIsFresh()) await execa(path.join(PKG, "node_modules", ".bin", "tsup"), ["--silent"], { cwd: PKG });
  }, 300_000);

  it("bin.js loads only the version and the usage text before answering: no package, no gate runner", () => {
    const modules: string[] = [];
    for (const file of startUpClosure(BIN)) {
      expect(staticImports(file).bare, path.basename(file)).toEqual([]);
      // esbuild marks each bundled module with a `// <path>` comment.
      modules.push(...[...readFileSync(file, "utf8").matchAll(/^\/\/ (\S+)$/gm)].map((m) => m[1] as string));
    }
    expect(modules.sort()).toEqual(["package.json", "src/bin.ts", "src/internal/usage.ts", "src/internal/version.ts"]);
  });

  it("--version, -v, --help, -h and help print what main prints, exit 0; other arguments still reach main", async () => {
    const pkgVersion = (JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8")) as { version: string }).version;
    for (const [argv, same] of [
      [["--version"], ["--version"]],
      [["-v"], ["--version"]],
      [["--help"], ["--help"]],
      [["-h"], ["--help"]],
      [["help"], ["help"]],
    ] as const) {
      const run = await execa(process.execPath, [BIN, ...argv], { reject: false, stripFinalNewline: false });
      const expected = await inProcess([...same]);
      expect(run.exitCode, argv.join(" ")).toBe(0);
      expect(run.stdout, argv.join(" ")).toBe(expected.stdout);
      expect(run.stderr, argv.join(" ")).toBe("");
    }
    expect((await inProcess(["--version"])).stdout).toBe(`${pkgVersion}\n`);
    // Not a lone flag: main answers (a usage error here), so the fast path takes nothing else.
    const other = await execa(process.execPath, [BIN, "--version", "--bogus"], { reject: false });
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toMatch(/^omk-gates: /);
  });
});
