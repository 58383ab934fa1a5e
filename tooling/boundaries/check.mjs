#!/usr/bin/env node
/**
 * Dependency boundary check (docs/decisions/boundaries.md).
 *
 *   node tooling/boundaries/check.mjs [--root DIR]
 *
 * Cruises the `src/` and `test/` folders of every workspace package with
 * dependency-cruiser and checks the rules of architecture.md ("Packages and
 * the direction of dependencies"). Prints one line per violation (file,
 * imported module, rule, fix). Exit 0 when clean, 1 on violations, 2 when
 * the check itself could not run.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cruise } from "dependency-cruiser";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";

/**
 * THE table: one line per package. `level`: a package may import only
 * packages on a lower level. `only`: a narrower list of @omk packages it may
 * import. `testHelper`: may be imported from test files only. A package that
 * does not exist yet is simply absent from the tree; a workspace package
 * missing here is a violation until it gets its line. `base`: the one
 * package below all others: every package may import it (whatever its
 * `only`), and it imports no @omk package and no third-party package.
 */
const PACKAGES = {
  "@omk/core": { level: -2, base: true },
  "@omk/git": { level: -1 },
  "@omk/state": { level: 0 },
  "@omk/gates": { level: 0 },
  "@omk/wire": { level: 0 },
  "@omk/worktree": { level: 1, only: ["@omk/git", "@omk/state"] },
  "@omk/planner": { level: 1, only: ["@omk/git", "@omk/state"] },
  "@omk/oracle": { level: 1, only: ["@omk/git", "@omk/state"] },
  "@omk/github": { level: 1, only: ["@omk/git", "@omk/state"] },
  "@omk/config": { level: 1, only: ["@omk/git", "@omk/state", "@omk/wire"] },
  "@omk/scheduler": { level: 2, only: ["@omk/git", "@omk/state"] },
  "@omk/proof": { level: 2, only: ["@omk/gates", "@omk/oracle", "@omk/state", "@omk/wire", "@omk/worktree"] },
  "@omk/sessions": { level: 3, only: ["@omk/oracle", "@omk/proof", "@omk/scheduler", "@omk/state", "@omk/wire", "@omk/worktree"] },
  "@omk/review": { level: 4, only: ["@omk/gates", "@omk/oracle", "@omk/planner", "@omk/proof", "@omk/sessions", "@omk/state", "@omk/worktree"] },
  "@omk/controller": { level: 5 },
  omk: { level: 6 },
  "@omk/test-fixtures": { testHelper: true },
};

/**
 * Modules a package's own code (not its tests) may not import at all, with
 * the fix. @omk/controller and @omk/proof spawn no process: git is @omk/worktree's, commands
 * run through @omk/gates (docs/decisions/worktree.md).
 */
const FORBIDDEN_IMPORTS = {
  "@omk/controller": {
    modules: ["@omk/git", "execa", "node:child_process", "child_process"],
    fix: "@omk/controller spawns no process itself: ask @omk/worktree for git (checkouts, commits, diffs, cleanup) and @omk/gates for commands (runGates, runArgv)",
  },
  "@omk/sessions": {
    modules: ["@omk/git", "execa", "node:child_process", "child_process"],
    fix: "@omk/sessions spawns no process itself: engines start through @omk/wire, git is @omk/worktree's",
  },
  "@omk/review": {
    modules: ["@omk/git", "execa", "node:child_process", "child_process"],
    fix: "@omk/review spawns no process itself: ask @omk/worktree for git (checkouts, diffs) and @omk/sessions for engine sessions",
  },
  "@omk/proof": {
    modules: ["@omk/git", "execa", "node:child_process", "child_process"],
    fix: "@omk/proof spawns no process itself: ask @omk/worktree for git (checkouts, diffs) and @omk/gates for commands (runGates, runArgv)",
  },
};

/** Used when the root has no pnpm-workspace.yaml (the guard fixture). */
const DEFAULT_WORKSPACE_GLOBS = ["packages/*", "apps/*", "test-fixtures"];
/** Folders cruised inside each package. */
const SCANNED_FOLDERS = ["src", "test"];
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;
/** How workspace packages resolve: through their exports map, to source. */
const CONDITION_NAMES = ["@omk/source", "import", "node", "default"];

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const options = { root: REPO_ROOT };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--root" && argv[i + 1] !== undefined) {
      options.root = path.resolve(argv[++i]);
    } else if (arg.startsWith("--root=")) {
      options.root = path.resolve(arg.slice("--root=".length));
    } else if (arg === "--help" || arg === "-h") {
      console.log("usage: node tooling/boundaries/check.mjs [--root DIR]");
      process.exit(0);
    } else {
      throw new UsageError(`unknown argument ${JSON.stringify(arg)}; usage: check.mjs [--root DIR]`);
    }
  }
  return options;
}

class UsageError extends Error {}

// ---------------------------------------------------------------- workspace

function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** The `packages:` globs of pnpm-workspace.yaml (only `dir` and `dir/*` forms). */
function workspaceGlobs(root) {
  const file = path.join(root, "pnpm-workspace.yaml");
  if (!existsSync(file)) return DEFAULT_WORKSPACE_GLOBS;
  const globs = [];
  let inPackages = false;
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    if (/^packages:\s*$/.test(line)) {
      inPackages = true;
      continue;
    }
    if (!inPackages) continue;
    const item = /^\s+-\s+["']?([^"'#]+?)["']?\s*(#.*)?$/.exec(line);
    if (item?.[1] !== undefined) globs.push(item[1]);
    else if (/^\S/.test(line)) inPackages = false;
  }
  return globs;
}

/** Every workspace package: name, dir (root-relative, posix), manifest. */
function findPackages(root) {
  const dirs = [];
  for (const glob of workspaceGlobs(root)) {
    if (glob.startsWith("!")) continue;
    if (glob.endsWith("/*")) {
      const parent = glob.slice(0, -2);
      const abs = path.join(root, parent);
      if (!existsSync(abs)) continue;
      for (const entry of readdirSync(abs, { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
      }
    } else if (!glob.includes("*")) {
      dirs.push(glob.replace(/\/$/, ""));
    }
  }
  const packages = [];
  for (const dir of dirs) {
    const manifestFile = path.join(root, dir, "package.json");
    if (!existsSync(manifestFile)) continue;
    const manifest = readJson(manifestFile);
    if (typeof manifest.name !== "string") continue;
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.devDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ]);
    const runtime = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ];
    packages.push({ name: manifest.name, dir, declared, runtime, rule: PACKAGES[manifest.name], isApp: dir.startsWith("apps/") });
  }
  return packages;
}

// ---------------------------------------------------------------- rules

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const underAny = (dirs) => `^(${dirs.map(escapeRe).join("|")})/`;
const levelName = (p) => (p.rule?.level === undefined ? p.name : `${p.name} (L${p.rule.level})`);

/**
 * Never cruised: installed packages, and fixture data of tests (a
 * `fixtures/` folder inside a package). dist/ is not excluded: it is never
 * scanned, and a relative import into another package's dist/ must still be
 * reported; nor is an unresolved specifier like "@omk/x/fixtures/y.js".
 */
function excludeFor(packages) {
  const dirs = underAny(packages.map((p) => p.dir));
  // Two patterns, no nested repetition: dependency-cruiser refuses unsafe regexes.
  return ["(^|/)node_modules/", `${dirs}fixtures/`, `${dirs}.*/fixtures/`];
}

/** May package `from` import workspace package `to` (by level and `only`)? */
function levelAllows(from, to) {
  if (from.rule?.level === undefined || to.rule?.level === undefined) return true;
  if (to.rule.level >= from.rule.level) return false;
  return from.rule.only === undefined || from.rule.only.includes(to.name) || to.rule.base === true;
}

/** The fix printed for a rule of the rule set (dependency-cruiser's violations do not carry a rule's comment). */
const RULE_FIXES = new Map();
const CONTROLLER_LAYER_FIXES = new Map([
  [
    "controller-driver-on-top",
    "only the driver (run-goal.ts, driver/) and index.ts import the driver; a phase returns a Step and the driver acts on it: move what you need below the phases (internal/) or return it in the Step",
  ],
  [
    "controller-phases-below-driver",
    "only the driver and the phases import phases/; move what both need below the phases (e.g. internal/run-records.ts) and import it from there",
  ],
]);

/**
 * Inside @omk/controller, imports run one way: the driver (run-goal.ts,
 * driver/) -> the phases (phases/) -> everything else (internal/, schemas/,
 * followups.ts, ...). index.ts, the package's door, may import
 * any of them (docs/decisions/controller.md, "The driver").
 */
function controllerLayers(packages) {
  for (const [name, fix] of CONTROLLER_LAYER_FIXES) RULE_FIXES.set(name, fix);
  const controller = packages.find((p) => p.name === "@omk/controller");
  if (controller === undefined) return [];
  const src = `^${escapeRe(controller.dir)}/src/`;
  return [
    {
      name: "controller-driver-on-top",
      severity: "error",
      comment: CONTROLLER_LAYER_FIXES.get("controller-driver-on-top"),
      from: { path: src, pathNot: `${src}(index\\.ts|run-goal\\.ts|driver/)` },
      to: { path: `${src}(run-goal\\.ts|driver/)` },
    },
    {
      name: "controller-phases-below-driver",
      severity: "error",
      comment: CONTROLLER_LAYER_FIXES.get("controller-phases-below-driver"),
      from: { path: src, pathNot: `${src}(index\\.ts|run-goal\\.ts|driver/|phases/)` },
      to: { path: `${src}phases/` },
    },
  ];
}

/** The dependency-cruiser rule set, generated from PACKAGES and the tree. */
function buildRuleSet(packages) {
  const forbidden = [
    { name: "no-cycle", severity: "error", from: {}, to: { circular: true } },
    // Unresolved workspace-package specifiers are judged by specifierFindings.
    {
      name: "unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, pathNot: `^(@omk/|${packages.map((p) => escapeRe(p.name)).join("|")})($|/)` },
    },
  ];
  const layered = packages.filter((p) => p.rule?.level !== undefined && !p.isApp);
  for (const from of packages.filter((p) => p.rule?.level !== undefined)) {
    const banned = layered.filter((to) => to !== from && !levelAllows(from, to)).map((to) => to.dir);
    if (banned.length > 0) {
      forbidden.push({ name: `level:${from.name}`, severity: "error", from: { path: underAny([from.dir]) }, to: { path: underAny(banned) } });
    }
  }
  forbidden.push(...controllerLayers(packages));
  for (const app of packages.filter((p) => p.isApp)) {
    forbidden.push({ name: "no-import-app", severity: "error", from: { pathNot: underAny([app.dir]) }, to: { path: underAny([app.dir]) } });
  }
  const helpers = packages.filter((p) => p.rule?.testHelper);
  if (helpers.length > 0) {
    const testFiles = [`${underAny(packages.map((p) => p.dir)).slice(0, -1)}/test/`, TEST_FILE.source];
    forbidden.push({
      name: "test-helper-in-tests-only",
      severity: "error",
      from: { pathNot: [...testFiles, underAny(helpers.map((p) => p.dir))] },
      to: { path: underAny(helpers.map((p) => p.dir)) },
    });
  }
  return { forbidden };
}

// ---------------------------------------------------------------- cruise

/**
 * A folder with `@omk/<x>` symlinks to every workspace package, added to
 * the resolver's module folders: packages resolve through their exports map
 * whether or not they are declared or installed (the guard fixture has no
 * node_modules), so an undeclared import is reported as undeclared, not as
 * unresolvable.
 */
function linkWorkspace(root, packages) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omk-boundaries-"));
  for (const p of packages) {
    const link = path.join(dir, ...p.name.split("/"));
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.join(root, p.dir), link, "dir");
  }
  return dir;
}

async function cruiseTree(root, packages) {
  const targets = packages.flatMap((p) => SCANNED_FOLDERS.map((f) => `${p.dir}/${f}`)).filter((t) => existsSync(path.join(root, t)));
  if (targets.length === 0) return { modules: [], violations: [] };
  const localTsConfig = path.join(root, "tooling", "tsconfig.base.json");
  const tsConfigFile = existsSync(localTsConfig) ? localTsConfig : path.join(REPO_ROOT, "tooling", "tsconfig.base.json");
  const linked = linkWorkspace(root, packages);
  const cwd = process.cwd();
  try {
    process.chdir(root);
    const result = await cruise(
      targets,
      {
        baseDir: root,
        validate: true,
        ruleSet: buildRuleSet(packages),
        exclude: { path: excludeFor(packages) },
        doNotFollow: { path: "(^|/)node_modules/" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: tsConfigFile },
        outputType: "json",
      },
      {
        modules: [linked, "node_modules", "node_modules/@types"],
        exportsFields: ["exports"],
        conditionNames: CONDITION_NAMES,
        mainFields: ["module", "main", "types", "typings"],
      },
      { tsConfig: extractTSConfig(tsConfigFile) },
    );
    const output = typeof result.output === "string" ? JSON.parse(result.output) : result.output;
    return { modules: output.modules, violations: output.summary.violations };
  } finally {
    process.chdir(cwd);
    rmSync(linked, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- findings

function ownerOf(packages, file) {
  let best;
  for (const p of packages) {
    if ((file === p.dir || file.startsWith(`${p.dir}/`)) && (best === undefined || p.dir.length > best.dir.length)) best = p;
  }
  return best;
}

function isTestFile(pkg, file) {
  return pkg.rule?.testHelper === true || file.startsWith(`${pkg.dir}/test/`) || TEST_FILE.test(file);
}

/** "@omk/state/src/x.js" -> { name: "@omk/state", subpath: "src/x.js" } */
function splitSpecifier(specifier) {
  const parts = specifier.split("/");
  const n = specifier.startsWith("@") ? 2 : 1;
  return { name: parts.slice(0, n).join("/"), subpath: parts.slice(n).join("/") };
}

function levelFix(from, to) {
  if (from.rule.base === true) {
    return `${from.name} is the base (L${from.rule.level}) and may import no @omk package; move the code it needs into ${from.name} itself or have the caller pass it in as data`;
  }
  if (from.rule.level === -1) {
    return `${from.name} is L-1 and may import only @omk/core (the base); move the shared code into ${from.name} itself or have the caller pass it in as data`;
  }
  if (from.rule.level === 0) {
    return `${from.name} is L0 and may import only @omk/core and @omk/git (it must stay usable alone); move the shared code into ${from.name} itself or have the caller pass it in as data`;
  }
  if (to.rule.level >= from.rule.level) {
    return `${levelName(from)} may not import ${levelName(to)}: dependencies point down only; move the code both need into a lower package (shared rules belong in @omk/state) or have ${to.name} pass it in as data`;
  }
  return `${levelName(from)} may import only ${from.rule.only.join(", ")} among @omk packages; move the shared rule into @omk/state, or reach ${to.name} through a port that @omk/controller fills in`;
}

/** Violations reported by dependency-cruiser's rule set, with a fix each. */
function ruleFindings(packages, modules, violations) {
  const findings = [];
  const seenCycles = new Set();
  const specifierOf = (from, to) => modules.find((m) => m.source === from)?.dependencies.find((d) => d.resolved === to)?.module ?? to;
  for (const v of violations) {
    const rule = v.rule.name;
    const specifier = specifierOf(v.from, v.to);
    if (rule.startsWith("level:")) {
      const from = ownerOf(packages, v.from);
      const to = ownerOf(packages, v.to);
      findings.push({ rule: "level", file: v.from, specifier, fix: levelFix(from, to) });
    } else if (rule === "no-import-app") {
      const app = ownerOf(packages, v.to);
      findings.push({
        rule,
        file: v.from,
        specifier,
        fix: `nothing imports ${app.name} (${app.dir}), the composition root; move the code into the package that owns it and let ${app.name} import that`,
      });
    } else if (rule === "test-helper-in-tests-only") {
      const helper = ownerOf(packages, v.to);
      findings.push({
        rule,
        file: v.from,
        specifier,
        fix: `${helper.name} is for tests only; import it from *.test.ts or test/ files, or move the code into the package`,
      });
    } else if (rule === "no-cycle") {
      const members = [v.from, ...(v.cycle ?? []).map((c) => c.name ?? c)];
      const key = [...new Set(members)].sort().join("\n");
      if (seenCycles.has(key)) continue;
      seenCycles.add(key);
      findings.push({
        rule,
        file: v.from,
        specifier,
        fix: `import cycle ${members.join(" -> ")}; move what both sides need into a module that imports neither`,
      });
    } else if (rule === "unresolvable") {
      findings.push({
        rule,
        file: v.from,
        specifier,
        fix: "the import does not resolve, so its boundaries cannot be checked; fix the path (TS imports end in .js) or install dependencies",
      });
    } else {
      findings.push({ rule, file: v.from, specifier, fix: RULE_FIXES.get(rule) ?? v.rule.comment ?? "see docs/decisions/boundaries.md" });
    }
  }
  return findings;
}

/** Rules about how an import is written: deep, relative, undeclared, self. */
function specifierFindings(packages, modules) {
  const findings = [];
  const byName = new Map(packages.map((p) => [p.name, p]));
  for (const m of modules) {
    const owner = ownerOf(packages, m.source);
    if (owner === undefined || m.source.includes("node_modules/")) continue;
    for (const d of m.dependencies) {
      if (d.coreModule) continue;
      const spec = d.module;
      const found = (rule, fix) => findings.push({ rule, file: m.source, specifier: spec, fix });
      if (spec.startsWith(".") || path.isAbsolute(spec)) {
        if (d.couldNotResolve || ownerOf(packages, d.resolved) === owner) continue;
        const target = ownerOf(packages, d.resolved);
        if (target !== undefined) {
          found(
            "no-relative-escape",
            `a relative import may not reach into ${target.name} (${target.dir}); import "${target.name}" (its exports map is the only door) and declare it in ${owner.dir}/package.json`,
          );
        } else {
          found(
            "no-relative-escape",
            `a relative import may not leave ${owner.dir} (it reaches ${d.resolved}); move the file into the package or get it from a package that exports it`,
          );
        }
        continue;
      }
      const { name, subpath } = splitSpecifier(spec);
      const target = byName.get(name);
      if (target === undefined) {
        if (name.startsWith("@omk/"))
          found(
            "unknown-package",
            `${name} is not a package of this workspace; fix the name or create the package (and give it a line in tooling/boundaries/check.mjs)`,
          );
        continue;
      }
      if (target.isApp && target !== owner) {
        found(
          "no-import-app",
          `nothing imports ${target.name} (${target.dir}), the composition root; move the code into the package that owns it and let ${target.name} import that`,
        );
        continue;
      }
      if (subpath === "" && d.couldNotResolve) {
        found(
          "unresolvable",
          `"${name}" does not resolve through its exports map, so its boundaries cannot be checked; give ${target.dir}/package.json an exports "." entry with "@omk/source": "./src/index.ts" (and create that file)`,
        );
        continue;
      }
      if (subpath !== "") {
        found(
          "no-deep-import",
          `import the bare name "${name}" only: its exports map is the only door; if the code you need is not exported, export it from ${target.dir}/src/index.ts`,
        );
        continue;
      }
      if (target === owner) {
        if (!isTestFile(owner, m.source)) found("no-self-import", `a package does not import itself by name; import the file relatively (e.g. "./x.js")`);
        continue;
      }
      if (!owner.declared.has(name)) {
        const field = target.rule?.testHelper || isTestFile(owner, m.source) ? "devDependencies" : "dependencies";
        found("undeclared-dependency", `${owner.name} does not declare ${name}; add "${name}": "workspace:*" to ${field} in ${owner.dir}/package.json`);
      }
    }
  }
  return findings;
}

/**
 * Imports FORBIDDEN_IMPORTS bans from a package's non-test files under
 * src/. Read from the source text: dependency-cruiser drops what resolves
 * into node_modules (the exclude above), so `execa` would never be seen.
 */
const IMPORTED = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g;
const SOURCE_FILE = /\.[cm]?[jt]sx?$/;

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "fixtures" ? [] : sourceFiles(file);
    return SOURCE_FILE.test(e.name) && !e.name.endsWith(".d.ts") ? [file] : [];
  });
}

function forbiddenImportFindings(root, packages) {
  const findings = [];
  for (const owner of packages) {
    const banned = FORBIDDEN_IMPORTS[owner.name];
    if (banned === undefined) continue;
    for (const file of sourceFiles(path.join(root, owner.dir, "src"))) {
      const rel = path.relative(root, file).split(path.sep).join("/");
      if (isTestFile(owner, rel)) continue;
      for (const [, spec] of readFileSync(file, "utf8").matchAll(IMPORTED)) {
        const name = spec.startsWith("node:") ? spec : splitSpecifier(spec).name;
        if (banned.modules.includes(name)) findings.push({ rule: "forbidden-import", file: rel, specifier: spec, fix: banned.fix });
      }
    }
  }
  return findings;
}

/** Workspace packages without a line in PACKAGES. */
function tableFindings(packages) {
  return packages
    .filter((p) => p.rule === undefined)
    .map((p) => ({
      rule: "unlisted-package",
      file: `${p.dir}/package.json`,
      what: `package "${p.name}"`,
      fix: `${p.name} has no level; add one line for it to PACKAGES in tooling/boundaries/check.mjs (see docs/decisions/boundaries.md)`,
    }));
}

/**
 * The base package depends on nothing: no runtime dependency in its manifest
 * (third-party or @omk). tooling/packages/check.mjs then holds its built
 * code to that (every bare import of dist/ must be a declared dependency).
 */
function baseFindings(packages) {
  return packages
    .filter((p) => p.rule?.base === true)
    .flatMap((p) =>
      p.runtime.map((name) => ({
        rule: "base-no-dependency",
        file: `${p.dir}/package.json`,
        what: `depends on "${name}"`,
        fix: `${p.name} is the base and depends on nothing but node's builtins; write the code with node: modules, or move it into the package that needs ${name}`,
      })),
    );
}

// ---------------------------------------------------------------- main

async function main() {
  const { root } = parseArgs(process.argv.slice(2));
  if (!existsSync(root)) throw new UsageError(`--root ${root} does not exist`);
  const packages = findPackages(root);
  if (packages.length === 0) throw new UsageError(`no workspace packages under ${root}; pass the repository root with --root`);
  const { modules, violations } = await cruiseTree(root, packages);
  const findings = [
    ...tableFindings(packages),
    ...baseFindings(packages),
    ...ruleFindings(packages, modules, violations),
    ...specifierFindings(packages, modules),
    ...forbiddenImportFindings(root, packages),
  ];
  const display = (file) => path.relative(process.cwd(), path.join(root, file)) || file;
  // One line per file, import and rule (a rule of the rule set and one of
  // specifierFindings may both see the same import).
  const unique = new Set();
  for (const f of findings.sort((a, b) => a.file.localeCompare(b.file) || a.rule.localeCompare(b.rule))) {
    const key = `${f.file}\0${f.specifier}\0${f.rule}`;
    if (unique.has(key)) continue;
    unique.add(key);
    console.log(`${display(f.file)}: ${f.what ?? `imports "${f.specifier}"`} [${f.rule}] ${f.fix}`);
  }
  const scanned = packages.flatMap((p) => SCANNED_FOLDERS.map((f) => `${p.dir}/${f}/`));
  const files = modules.filter((m) => scanned.some((dir) => m.source.startsWith(dir))).length;
  const n = unique.size;
  console.log(`boundaries: ${files} files checked, ${n} violation${n === 1 ? "" : "s"}`);
  return n === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`boundaries: the check could not run: ${error instanceof UsageError ? error.message : (error?.stack ?? error)}`);
    process.exitCode = 2;
  },
);
