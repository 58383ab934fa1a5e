// The committed bin files (docs/decisions/first-run.md, section 2): pnpm links them at install
// before any build, so they exist in a fresh clone; each loads its package's build, and without
// one says so with the fix instead of a module-not-found stack trace.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";

afterAll(cleanupTempDirs);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const SHIMS = [
  { pkg: "apps/cli", name: "omk", filter: "omk", built: "dist/bin.js" },
  { pkg: "packages/gates", name: "omk-gates", filter: "@omk/gates", built: "dist/bin.js" },
  { pkg: "packages/wire", name: "omk-scripted-agent", filter: "@omk/wire", built: "dist/scripted-agent.js" },
];

/** A package folder holding only the shim (as in a fresh clone), and optionally a dist file. */
function fakePackage(shim: (typeof SHIMS)[number], distSource?: string): { dir: string; bin: string } {
  const dir = makeTempDir("omk-bin-shim-");
  const bin = path.join(dir, "bin", `${shim.name}.js`);
  mkdirSync(path.dirname(bin));
  copyFileSync(path.join(ROOT, shim.pkg, "bin", `${shim.name}.js`), bin);
  if (distSource !== undefined) {
    mkdirSync(path.join(dir, "dist"));
    writeFileSync(path.join(dir, shim.built), distSource);
  }
  return { dir, bin };
}

describe.each(SHIMS)("the $name bin", (shim) => {
  it("is the committed file package.json's bin names, and is shipped", () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, shim.pkg, "package.json"), "utf8"));
    expect(manifest.bin[shim.name]).toBe(`./bin/${shim.name}.js`);
    expect(manifest.files).toContain("bin");
    expect(readFileSync(path.join(ROOT, shim.pkg, "bin", `${shim.name}.js`), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it("without a build: exit 2, naming the missing file and the fix (that package's own build, which works on a fresh clone)", async () => {
    const { dir, bin } = fakePackage(shim);
    const r = await execa(process.execPath, [bin, "--version"], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim()).toBe(
      `${shim.name}: not built yet (${path.join(dir, shim.built)} is missing) — fix: run \`npx -y pnpm@10 --filter ${shim.filter} build\` in the OMK clone`,
    );
  });

  it("runs the build with the arguments, and its exit code is the command's", async () => {
    const { bin } = fakePackage(shim, "process.stdout.write(JSON.stringify(process.argv.slice(2)));\nprocess.exitCode = 3;\n");
    const r = await execa(process.execPath, [bin, "goal", "list", "--json"], { reject: false });
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual(["goal", "list", "--json"]);
  });

  it("an error inside the build is reported as it is, not as a missing build", async () => {
    const { bin } = fakePackage(shim, 'import "./chunk-gone.js";\n');
    const r = await execa(process.execPath, [bin], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("chunk-gone.js");
    expect(r.stderr).not.toContain("not built yet");
  });
});

it("the real omk bin runs the built CLI (built by global setup)", async () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "apps/cli/package.json"), "utf8"));
  const r = await execa(process.execPath, [path.join(ROOT, "apps/cli/bin/omk.js"), "--version"], { reject: false });
  expect(r.exitCode).toBe(0);
  expect(r.stdout.trim()).toBe(manifest.version);
});
