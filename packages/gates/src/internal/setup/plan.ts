/**
 * The install plan: which dependency step a checkout needs, and why. Reads
 * the `setup:` of the gates config when set, else the lockfiles and
 * manifests (npm, pnpm, yarn v1 and berry, a lockless package.json, a Python
 * venv, Go modules, cargo) and says, per step, the command, its inputs (the
 * cache key's files), its products and whether the install can be shared.
 * Pure reading: nothing is run here. See docs/decisions/gates.md
 * ("Dependency setup").
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { CONFIG_FILES, readGatesConfig } from "../../config.js";
import type { GatesConfig, SetupConfig } from "../../schemas/config.js";
import type { SetupPlan, SetupStep } from "../../schemas/setup.js";
import { expandWorkspaces, has, read, readdirSafe, readJson } from "../detect/common.js";

const NPM_QUIET = ["--no-audit", "--no-fund"];

function onPath(bin: string, env: Record<string, string | undefined> = process.env): boolean {
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    try {
      if (statSync(path.join(dir, bin)).isFile()) return true;
    } catch {
      // not here
    }
  }
  return false;
}

function hasDeps(pkg: Record<string, unknown>): boolean {
  return ["dependencies", "devDependencies", "optionalDependencies"].some((f) => {
    const v = pkg[f];
    return v !== null && typeof v === "object" && Object.keys(v as object).length > 0;
  });
}

/** Local dependency specs (file:, link:, workspace:) point outside package.json: such an install cannot be made elsewhere. */
function hasLocalSpecs(pkg: Record<string, unknown>): boolean {
  return ["dependencies", "devDependencies", "optionalDependencies"].some((f) =>
    Object.values((pkg[f] ?? {}) as Record<string, unknown>).some(
      (spec) => typeof spec === "string" && /^(file:|link:|workspace:|portal:|\.{0,2}\/)/.test(spec),
    ),
  );
}

function isWorkspace(root: string, pkg: Record<string, unknown>): boolean {
  return has(root, "pnpm-workspace.yaml") || pkg["workspaces"] !== undefined;
}

/** The Node step: npm ci / pnpm / yarn frozen installs, or npm install when there is no lockfile. */
function nodeStep(root: string, env: Record<string, string | undefined>): { step?: SetupStep; reason: string } {
  const pkg = readJson(root, "package.json");
  if (pkg === undefined) return { reason: "no package.json" };
  const extra = [".npmrc"].filter((f) => has(root, f));
  const workspace = isWorkspace(root, pkg);
  const local = hasLocalSpecs(pkg);
  const manifests = ["package.json", ...(workspace ? expandWorkspaces(root, workspacePatterns(root, pkg)).map((w) => path.join(w, "package.json")) : [])];
  const sharedWhy = workspace
    ? "; a workspace: installed in place (its packages link into node_modules)"
    : local
      ? "; local dependency paths: installed in place"
      : "; shared install, materialised per checkout";
  const shareable = !workspace && !local;
  const products = workspace
    ? ["node_modules", ...expandWorkspaces(root, workspacePatterns(root, pkg)).map((w) => path.join(w, "node_modules"))]
    : ["node_modules"];
  const lock = ["package-lock.json", "npm-shrinkwrap.json"].find((f) => has(root, f));
  if (has(root, "pnpm-lock.yaml")) {
    const major = pnpmMajor(root, pkg);
    const pnpm = onPath("pnpm", env) ? ["pnpm"] : ["npx", "-y", `pnpm@${major}`];
    return {
      step: {
        manager: "pnpm",
        command: [...pnpm, "install", "--frozen-lockfile", "--prefer-offline", "--ignore-scripts"],
        shell: false,
        after: [],
        inputs: [...manifests, "pnpm-lock.yaml", ...(workspace ? ["pnpm-workspace.yaml"] : []), ...extra],
        products,
        shareable,
        lockless: false,
        reason: `pnpm-lock.yaml: frozen pnpm install${onPath("pnpm", env) ? "" : ` (no pnpm on PATH: pnpm@${major} through npx)`}, without lifecycle scripts${sharedWhy}`,
      },
      reason: "pnpm-lock.yaml",
    };
  }
  if (has(root, "yarn.lock")) {
    const berry = !/^# yarn lockfile v1/m.test(read(root, "yarn.lock")?.slice(0, 400) ?? "");
    const yarnPath = /^yarnPath:\s*["']?([^"'\n]+)/m.exec(read(root, ".yarnrc.yml") ?? "")?.[1]?.trim();
    const yarn =
      berry && yarnPath !== undefined
        ? ["node", yarnPath]
        : onPath("yarn", env)
          ? ["yarn"]
          : berry
            ? ["npx", "-y", "@yarnpkg/cli-dist@4"]
            : ["npx", "-y", "yarn@1"];
    const args = berry ? ["install", "--immutable"] : ["install", "--frozen-lockfile", "--prefer-offline", "--ignore-scripts", "--non-interactive"];
    return {
      step: {
        manager: "yarn",
        command: [...yarn, ...args],
        shell: false,
        after: [],
        inputs: [...manifests, "yarn.lock", ...(berry ? [".yarnrc.yml"].filter((f) => has(root, f)) : []), ...extra],
        products: berry ? [...products, ".yarn/install-state.gz", ".pnp.cjs", ".pnp.loader.mjs"] : products,
        // Berry may use Plug'n'Play (.pnp.cjs next to the sources) and its own release file: always in place.
        shareable: shareable && !berry,
        lockless: false,
        reason: `yarn.lock (${berry ? "yarn berry: --immutable, installed in place" : "yarn v1: --frozen-lockfile, without lifecycle scripts"})${berry ? "" : sharedWhy}`,
      },
      reason: "yarn.lock",
    };
  }
  if (lock !== undefined) {
    const lockJson = readJson(root, lock);
    const scripts = JSON.stringify(lockJson?.["packages"] ?? {}).includes('"hasInstallScript":true');
    return {
      step: {
        manager: "npm",
        command: ["npm", "ci", "--prefer-offline", ...NPM_QUIET, "--ignore-scripts"],
        shell: false,
        after: scripts ? [["npm", "rebuild", ...NPM_QUIET]] : [],
        inputs: [...manifests, lock, ...extra],
        products,
        shareable,
        lockless: false,
        reason: `${lock}: npm ci (prefer offline, no audit or fund), the project's own lifecycle scripts not run${scripts ? "; npm rebuild of the dependencies with install scripts (by name)" : ""}${sharedWhy}`,
      },
      reason: lock,
    };
  }
  if (has(root, "bun.lock") || has(root, "bun.lockb")) return { reason: "bun lockfile: bun installs are not set up by OMK (set `setup:` in .omk/gates.yaml)" };
  if (!hasDeps(pkg)) return { reason: "package.json lists no dependencies: nothing to install" };
  return {
    step: {
      manager: "npm",
      command: ["npm", "install", "--no-package-lock", "--no-save", "--prefer-offline", ...NPM_QUIET, "--ignore-scripts"],
      shell: false,
      after: [["npm", "rebuild", ...NPM_QUIET]],
      inputs: [...manifests, ...extra],
      products,
      shareable,
      lockless: true,
      reason: `package.json with dependencies and no lockfile: npm install resolving the ranges now (no lockfile written, package.json not changed; a shared install is re-resolved after a day), the project's own lifecycle scripts not run, npm rebuild of the dependencies with install scripts (by name)${sharedWhy}`,
    },
    reason: "package.json without a lockfile",
  };
}

function workspacePatterns(root: string, pkg: Record<string, unknown>): string[] {
  if (has(root, "pnpm-workspace.yaml")) {
    return [...(read(root, "pnpm-workspace.yaml") ?? "").matchAll(/^\s*-\s*["']?([^"'\n#]+?)["']?\s*$/gm)]
      .map((m) => m[1] as string)
      .filter((p) => !p.startsWith("!"));
  }
  const field = pkg["workspaces"];
  const list = Array.isArray(field) ? field : (field as { packages?: unknown } | undefined)?.packages;
  return Array.isArray(list) ? (list as string[]) : [];
}

function pnpmMajor(root: string, pkg: Record<string, unknown>): string {
  const named = /^pnpm@(\d+)/.exec(typeof pkg["packageManager"] === "string" ? (pkg["packageManager"] as string) : "")?.[1];
  if (named !== undefined) return named;
  const lockVersion = /^lockfileVersion:\s*'?(\d+)/m.exec(read(root, "pnpm-lock.yaml") ?? "")?.[1];
  return lockVersion === "5" ? "7" : lockVersion === "6" ? "8" : "10";
}

function pythonStep(root: string): SetupStep | undefined {
  const reqs = readdirSafe(root)
    .filter((f) => /^requirements.*\.txt$/.test(f))
    .sort();
  const pyproject = has(root, "pyproject.toml");
  if (reqs.length === 0 && !pyproject) return undefined;
  const pip = [".venv/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "--quiet"];
  const install = reqs.length > 0 ? [...pip, ...reqs.flatMap((r) => ["-r", r])] : [...pip, "-e", "."];
  return {
    manager: "python",
    command: ["python3", "-m", "venv", ".venv"],
    shell: false,
    after: [install],
    inputs: reqs.length > 0 ? reqs : ["pyproject.toml"],
    products: [".venv"],
    shareable: false,
    lockless: true,
    reason: `${reqs.length > 0 ? reqs.join(", ") : "pyproject.toml"}: a venv in .venv (pip's cache is shared; a venv is not relocatable, so installed in place), first on the gates' PATH`,
  };
}

function configStep(setup: Exclude<SetupConfig, "none">): SetupStep {
  const shell = typeof setup === "string";
  return {
    manager: "command",
    command: shell ? [setup] : setup,
    shell,
    after: [],
    inputs: [],
    products: [],
    shareable: false,
    lockless: false,
    reason: `setup: in the gates config (${shell ? "run by /bin/sh" : "argv"}, in each checkout)`,
  };
}

/** The config's `setup:` when the caller has no config at hand: read from the checkout (a broken file is ignored here; the gates report it). */
function configuredSetup(root: string): SetupConfig | undefined {
  const file = CONFIG_FILES.map((f) => path.join(root, f)).find((f) => existsSync(f));
  if (file === undefined) return undefined;
  const r = readGatesConfig(file);
  return r.ok ? r.value.setup : undefined;
}

/**
 * The setup a project needs in a fresh checkout, with the reason for each
 * step: `setup:` of the gates config when set (a command, or `none`), else
 * from the lockfile: npm ci, pnpm/yarn frozen installs, npm install with no
 * lockfile written, a Python venv from requirements*.txt or pyproject.toml,
 * `go mod download`, `cargo fetch --locked`. No step: nothing to install.
 */
export function detectSetup(dir: string, config?: Pick<GatesConfig, "setup"> | null, env: Record<string, string | undefined> = process.env): SetupPlan {
  const root = path.resolve(dir);
  const setup = config === undefined ? configuredSetup(root) : (config?.setup ?? undefined);
  if (setup === "none") return { root, source: "config", steps: [], reason: "setup: none in the gates config" };
  if (setup !== undefined) return { root, source: "config", steps: [configStep(setup)], reason: "setup: in the gates config" };
  const steps: SetupStep[] = [];
  const seen: string[] = [];
  const node = nodeStep(root, env);
  if (node.step !== undefined) steps.push(node.step);
  else if (has(root, "package.json")) seen.push(node.reason);
  const python = pythonStep(root);
  if (python !== undefined) steps.push(python);
  if (has(root, "go.mod")) {
    if (onPath("go", env))
      steps.push({
        manager: "go",
        command: ["go", "mod", "download"],
        shell: false,
        after: [],
        inputs: ["go.mod", "go.sum"].filter((f) => has(root, f)),
        products: [],
        shareable: false,
        lockless: false,
        reason: "go.mod: go mod download (into the shared module cache)",
      });
    else seen.push("go.mod, but no go on PATH");
  }
  if (has(root, "Cargo.lock")) {
    steps.push({
      manager: "cargo",
      command: ["cargo", "fetch", "--locked"],
      shell: false,
      after: [],
      inputs: ["Cargo.toml", "Cargo.lock"],
      products: [],
      shareable: false,
      lockless: false,
      reason: "Cargo.lock: cargo fetch --locked (into the shared cargo registry)",
    });
  } else if (has(root, "Cargo.toml")) seen.push("Cargo.toml without Cargo.lock: cargo fetches at build time (a fetch would write a lockfile)");
  const reason = steps.length > 0 ? steps.map((s) => s.reason).join("; ") : seen.length > 0 ? seen.join("; ") : "no manifest or lockfile: nothing to install";
  return { root, source: "detected", steps, reason };
}

/**
 * Whether the dependencies of the project in `dir` look installed: for
 * `omk-gates run` on the user's own tree, which OMK never installs into.
 * Returns the sentence to show when they are missing.
 */
export function missingDependencies(dir: string, config?: Pick<GatesConfig, "setup"> | null): string | undefined {
  const plan = detectSetup(dir, config);
  const missing = plan.steps.filter((s) => s.products.length > 0 && !existsSync(path.join(plan.root, s.products[0] as string)));
  if (missing.length === 0) return undefined;
  return `dependencies are not installed here (${missing.map((s) => `no ${s.products[0]}: ${displayCommand(s)}`).join("; ")}); gates that need them will fail. omk-gates never installs into your tree: run the install first`;
}

/** A step's commands as one line: `npm ci … && npm rebuild …`. */
export const displayCommand = (s: Pick<SetupStep, "command" | "after">) => [s.command, ...s.after].map((c) => c.join(" ")).join(" && ");
