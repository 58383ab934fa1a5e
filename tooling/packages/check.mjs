#!/usr/bin/env node
// Checks every published package as it would be published: `pnpm pack` each one (after the build),
// then, on the tarball (docs/decisions/publishing.md):
//   - metadata: description, keywords, license MIT, repository (with this package's directory), homepage,
//     bugs, engines.node, type module; no workspace:/catalog: range left;
//   - files: README.md, LICENSE (the repository's MIT text), no source map, no sourceMappingURL comment,
//     no TypeScript source (only .d.ts), every path named by exports/main/types/bin shipped, no
//     export condition other than types/import/default (the workspace's @omk/source must not leak);
//   - dependencies = the bare imports of dist/**/*.js and dist/**/*.d.ts (a missing one and an unused one
//     are both errors; node builtins aside);
//   - publint (suggestions included) and @arethetypeswrong/cli with the esm-only profile.
// Usage: node tooling/packages/check.mjs [--keep]   (--keep leaves the tarballs and prints their folder)
//        node tooling/packages/check.mjs --self-test   (the check reports each fault of a package made to have them all)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { packAll, readTarball, root } from "./published.mjs";

const require = createRequire(import.meta.url);
const LICENSE = readFileSync(path.join(root, "LICENSE"), "utf8");
const BUILTINS = new Set(builtinModules);
const ALLOWED_CONDITIONS = new Set(["types", "import", "default"]);

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`), undefined for relative, absolute and builtins. */
function packageOf(specifier) {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:") || specifier.startsWith("data:")) return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  return BUILTINS.has(name) || BUILTINS.has(specifier) ? undefined : name;
}

/**
 * Specifiers a module loads: static imports and re-exports, import(), require() and import types (TypeScript's
 * own scanner, so strings and comments are never mistaken for imports), plus the two runtime loads it does not
 * see: `createRequire(...)("x")` (@omk/oracle loads typescript so) and esbuild's `__require("x")`.
 * `require.resolve("x")` is not a load (wire resolves tsx only when running from source) and is not counted.
 */
function importsOf(text) {
  const found = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  for (const m of text.matchAll(/\bcreateRequire[\w$]*\((?:[^()]|\([^()]*\))*\)\(\s*(["'])([^"']+)\1\s*\)/g)) found.push(m[2]);
  for (const m of text.matchAll(/\b__require[\w$]*\(\s*(["'])([^"']+)\1\s*\)/g)) found.push(m[2]);
  return found;
}

/** Every string leaf of an exports map with the condition path that leads to it. */
function exportTargets(value, trail = []) {
  if (typeof value === "string") return [{ target: value, trail }];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, v]) => exportTargets(v, [...trail, key]));
}

function checkTarball(pkg) {
  const problems = [];
  const files = readTarball(pkg.tarball);
  const manifestBuf = files.get("package.json");
  if (manifestBuf === undefined) return { problems: ["the tarball has no package.json"], files };
  const m = JSON.parse(manifestBuf.toString("utf8"));

  // Metadata.
  for (const key of ["description", "homepage", "license", "engines", "repository", "bugs", "keywords"])
    if (m[key] === undefined) problems.push(`package.json has no "${key}"`);
  if (m.license !== "MIT") problems.push(`license is ${JSON.stringify(m.license)}, not "MIT"`);
  if (m.type !== "module") problems.push('"type" is not "module" (the packages are ESM only)');
  if (typeof m.engines?.node !== "string") problems.push("engines.node is missing");
  if (m.repository?.directory !== pkg.dir) problems.push(`repository.directory is ${JSON.stringify(m.repository?.directory)}, not "${pkg.dir}"`);
  if (!Array.isArray(m.keywords) || m.keywords.length === 0) problems.push("keywords are empty");
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [name, range] of Object.entries(m[field] ?? {}))
      if (/^(workspace|catalog|link|file):/.test(range)) problems.push(`${field}.${name} is "${range}" in the packed manifest`);
  }

  // Files.
  if (!files.has("README.md")) problems.push("no README.md");
  else if (m.exports !== undefined && !/\bESM only\b/i.test(files.get("README.md").toString("utf8")))
    problems.push("the README does not say the package is ESM only");
  if (!files.has("LICENSE")) problems.push("no LICENSE");
  else if (files.get("LICENSE").toString("utf8") !== LICENSE) problems.push("LICENSE differs from the repository's LICENSE");
  for (const [file, body] of files) {
    if (file.endsWith(".map")) problems.push(`ships a source map: ${file}`);
    if (/\.(m|c)?js$/.test(file) && /^\/\/# sourceMappingURL=/m.test(body.toString("utf8"))) problems.push(`${file} has a sourceMappingURL comment`);
    if (/\.(m|c)?tsx?$/.test(file) && !/\.d\.(m|c)?ts$/.test(file)) problems.push(`ships TypeScript source: ${file}`);
  }
  const named = [];
  for (const { target, trail } of exportTargets(m.exports)) {
    named.push({ field: `exports${trail.map((t) => `[${JSON.stringify(t)}]`).join("")}`, target });
    for (const condition of trail.filter((t) => !t.startsWith(".")))
      if (!ALLOWED_CONDITIONS.has(condition))
        problems.push(`exports has the condition "${condition}" (${trail.join(" > ")}): only ${[...ALLOWED_CONDITIONS].join(", ")} are published`);
  }
  for (const field of ["main", "types", "typings", "module"]) if (typeof m[field] === "string") named.push({ field, target: m[field] });
  const bins = typeof m.bin === "string" ? { [m.name]: m.bin } : (m.bin ?? {});
  for (const [name, target] of Object.entries(bins)) {
    named.push({ field: `bin.${name}`, target });
    const body = files.get(path.posix.normalize(target));
    if (body !== undefined && !body.toString("utf8").startsWith("#!/usr/bin/env node"))
      problems.push(`bin ${name} (${target}) does not start with #!/usr/bin/env node`);
  }
  for (const { field, target } of named)
    if (!files.has(path.posix.normalize(target))) problems.push(`${field} points at ${target}, which is not in the tarball`);

  // Dependencies = what dist imports.
  const declared = new Set([...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {})]);
  const used = new Map(); // package -> first file importing it
  for (const [file, body] of files) {
    if (!file.startsWith("dist/") || !/\.(m|c)?js$|\.d\.(m|c)?ts$/.test(file)) continue;
    for (const specifier of importsOf(body.toString("utf8"))) {
      if (specifier.startsWith(".")) {
        const target = path.posix.join(path.posix.dirname(file), specifier);
        const candidates = [target, target.replace(/\.js$/, ".d.ts"), `${target}.js`, `${target}.d.ts`];
        if (!candidates.some((c) => files.has(c))) problems.push(`${file} imports ${specifier}, which is not in the tarball`);
        continue;
      }
      const name = packageOf(specifier);
      if (name !== undefined && name !== m.name && !used.has(name)) used.set(name, file);
    }
  }
  for (const [name, file] of used)
    if (!declared.has(name)) problems.push(`${file} imports ${name}, which is not in dependencies (add it, or bundle it and say so)`);
  for (const name of declared) if (!used.has(name)) problems.push(`dependencies lists ${name}, which nothing in dist/ imports (bundled or unused: remove it)`);
  return { problems, files, manifest: m, used: [...used.keys()].sort() };
}

/**
 * The one publint finding accepted: the omk CLI ships the demo's example project (examples/demo/repo, copied
 * out and run by `omk demo`), whose own package.json has an "exports" field. It is a file the demo copies,
 * not a nested package of omk; nothing resolves through it inside node_modules.
 */
function allowedPublint(pkg, message) {
  return (
    pkg.name === "omk" &&
    message.code === "NESTED_PACKAGE_JSON_FIELD_IGNORED" &&
    /(^|\/)examples\/demo\/repo\/package\.json$/.test(message.args?.filePath ?? "")
  );
}

function publint(pkg, files) {
  return import("publint").then(async ({ publint }) => {
    const { formatMessage } = await import("publint/utils");
    // publint reads the files it is given (the packed ones), with paths under a virtual package root.
    const packFiles = [...files].map(([name, body]) => ({ name: `/pkg/${name}`, data: new Uint8Array(body) }));
    const pkgJson = JSON.parse(files.get("package.json").toString("utf8"));
    const { messages } = await publint({ pkgDir: "/pkg", level: "suggestion", strict: true, pack: { files: packFiles } });
    return messages
      .filter((message) => !allowedPublint(pkg, message))
      .map((message) => `publint ${message.type}: ${formatMessage(message, pkgJson) ?? message.code}`);
  });
}

function attw(pkg, m) {
  // A package with no entry point to import (the omk CLI: a bin only) has no types to check.
  if (m.exports === undefined && m.types === undefined && m.main === undefined) return [];
  const bin = path.join(path.dirname(require.resolve("@arethetypeswrong/cli/package.json")), "dist", "index.js");
  const run = spawnSync(process.execPath, [bin, pkg.tarball, "--profile", "esm-only", "--format", "ascii", "--no-color"], { encoding: "utf8" });
  if (run.status === 0) return [];
  return [`attw (esm-only) failed (exit ${run.status}):\n${`${run.stdout}${run.stderr}`.trim().replace(/^/gm, "    ")}`];
}

/**
 * The check must fail where it should: a package made here with every fault it looks for, packed with npm,
 * must be reported for each one. Run by CI before the real check (`--self-test`).
 */
async function selfTest() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omk-pack-selftest-"));
  try {
    const pkgDir = path.join(dir, "bad");
    mkdirSync(path.join(pkgDir, "dist"), { recursive: true });
    const manifest = {
      name: "@omk/bad",
      version: "1.0.0",
      description: "a package with every fault check.mjs looks for",
      type: "module",
      license: "ISC",
      exports: { ".": { "@omk/source": "./src/index.ts", types: "./dist/index.d.ts", default: "./dist/index.js" } },
      bin: { bad: "./dist/bin.js" },
      files: ["dist", "src"],
      dependencies: { yaml: "^2.0.0", "@omk/state": "workspace:*" },
    };
    writeFileSync(path.join(pkgDir, "package.json"), JSON.stringify(manifest, null, 2));
    writeFileSync(
      path.join(pkgDir, "dist", "index.js"),
      'import { z } from "zod";\nimport "node:fs";\nimport "./missing.js";\nconst ts = createRequire(import.meta.url)("typescript");\nexport const s = z.string();\n//# sourceMappingURL=index.js.map\n',
    );
    writeFileSync(path.join(pkgDir, "dist", "index.js.map"), "{}");
    writeFileSync(path.join(pkgDir, "dist", "bin.js"), 'console.log("no shebang");\n');
    mkdirSync(path.join(pkgDir, "src"));
    writeFileSync(path.join(pkgDir, "src", "index.ts"), "export const s = 1;\n");
    const packed = spawnSync("npm", ["pack", "--pack-destination", dir], { cwd: pkgDir, encoding: "utf8" });
    if (packed.status !== 0) throw new Error(`npm pack of the self-test package failed: ${packed.stderr}`);
    const pkg = { name: "@omk/bad", dir: "packages/bad", tarball: path.join(dir, "omk-bad-1.0.0.tgz") };
    const { problems } = checkTarball(pkg);
    const expected = [
      'no "homepage"',
      'no "repository"',
      'license is "ISC"',
      "engines.node is missing",
      'dependencies.@omk/state is "workspace:*"',
      "no README.md",
      "no LICENSE",
      "ships a source map: dist/index.js.map",
      "dist/index.js has a sourceMappingURL comment",
      "ships TypeScript source: src/index.ts",
      'the condition "@omk/source"',
      "points at ./dist/index.d.ts, which is not in the tarball",
      "bin bad (./dist/bin.js) does not start with #!/usr/bin/env node",
      "imports ./missing.js, which is not in the tarball",
      "imports zod, which is not in dependencies",
      "imports typescript, which is not in dependencies",
      "dependencies lists yaml, which nothing in dist/ imports",
    ];
    const missed = expected.filter((text) => !problems.some((p) => p.includes(text)));
    const attwProblems = attw(pkg, manifest);
    if (attwProblems.length === 0) missed.push("attw: the missing dist/index.d.ts");
    if (missed.length > 0) {
      process.stdout.write(
        `FAIL self-test: the check did not report:\n${missed.map((m) => `  - ${m}`).join("\n")}\nit reported:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`,
      );
      return false;
    }
    process.stdout.write(`ok   self-test: a package with ${expected.length + 1} faults is reported for each\n`);
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (process.argv.includes("--self-test")) {
    process.exitCode = (await selfTest()) ? 0 : 1;
    return;
  }
  const keep = process.argv.includes("--keep");
  const dest = mkdtempSync(path.join(os.tmpdir(), "omk-pack-"));
  let failed = 0;
  try {
    const packed = packAll(dest);
    for (const pkg of packed) {
      const { problems, files, manifest, used } = checkTarball(pkg);
      if (manifest !== undefined) {
        problems.push(...(await publint(pkg, files)));
        problems.push(...attw(pkg, manifest));
      }
      const size = statSync(pkg.tarball).size;
      const unpacked = [...files.values()].reduce((sum, b) => sum + b.length, 0);
      const summary = `${pkg.name}: ${(size / 1024).toFixed(1)} kB packed, ${(unpacked / 1024).toFixed(1)} kB unpacked, ${files.size} files; imports ${used?.join(", ") || "nothing"}`;
      if (problems.length === 0) process.stdout.write(`ok   ${summary}\n`);
      else {
        failed += 1;
        process.stdout.write(`FAIL ${summary}\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
      }
    }
    process.stdout.write(`\n${packed.length - failed} of ${packed.length} packages ready to publish\n`);
  } finally {
    if (keep) process.stdout.write(`tarballs kept in ${dest}\n`);
    else rmSync(dest, { recursive: true, force: true });
  }
  process.exitCode = failed === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
