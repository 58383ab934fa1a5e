import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { GateKind } from "../../schemas/config.js";
import { expandWorkspaces, type Found, has, read, readJson } from "./common.js";

type Pm = "pnpm" | "yarn" | "npm" | "bun";

const LOCKFILES: ReadonlyArray<[string, Pm]> = [
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
  ["package-lock.json", "npm"],
  ["npm-shrinkwrap.json", "npm"],
];

/** Scripts that become gates, in this order; the first present name of each kind wins. */
const SCRIPTS: ReadonlyArray<{ kind: GateKind; names: string[] }> = [
  { kind: "build", names: ["build"] },
  { kind: "typecheck", names: ["typecheck", "type-check", "check-types", "types"] },
  { kind: "lint", names: ["lint"] },
  { kind: "test", names: ["test"] },
];

/** npm init's placeholder, which always fails. */
const PLACEHOLDER_TEST = /no test specified/;

/**
 * Commands that only ask the network (the registry's advisories or latest
 * versions): they judge the registry, not the code, and fail offline, so
 * detection never makes a gate of a script that runs nothing else.
 */
const NETWORK_ONLY =
  /^(?:npx\s+(?:-y\s+|--yes\s+)?)?(?:(?:npm|pnpm|yarn)\s+(?:audit|outdated)\b|audit-ci\b|snyk\b|nsp\b|better-npm-audit\b|improved-yarn-audit\b)/;

/** The network-only commands of a script, and whether it runs anything else. */
function networkTools(script: string): { tools: string[]; only: boolean } {
  const parts = script
    .split(/&&|\|\||;/)
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const tools = parts.filter((p) => NETWORK_ONLY.test(p)).map((p) => p.split(/\s+/).slice(0, 2).join(" "));
  return { tools, only: parts.length > 0 && tools.length === parts.length };
}

/**
 * The argv that runs one root script without its pre/post hooks (a
 * `pretest` that lints again or audits over the network is not the test).
 * A script with no hook is run as `<pm> run <script>` (nothing to turn off).
 * With a hook: npm >= 7 `run <script> --ignore-scripts` runs the named
 * script but not pre/post; pnpm runs them unless `enable-pre-post-scripts`
 * is false (its default is true since pnpm 8), and only takes the switch
 * before the script name; yarn 2+ never runs them; yarn 1 always does and has
 * no switch, so its script is run by npm (same node_modules/.bin). bun: as
 * is (not checked). `<pm> run <script>` stays the first three words where
 * the package manager allows it (readers match that shape).
 */
function runScript(pm: Pm, script: string, scripts: Record<string, string>, berry: boolean): { command: string[]; how: string } {
  const hooks = [`pre${script}`, `post${script}`].filter((h) => scripts[h] !== undefined);
  if (pm === "bun") return { command: ["bun", "run", script], how: "run with bun" };
  if (pm === "yarn" && berry) return { command: ["yarn", "run", script], how: "run with yarn; pre/post hooks not run (yarn 2+ never runs them)" };
  if (hooks.length === 0) return { command: [pm, "run", script], how: `run with ${pm}; pre/post hooks not run (it has none)` };
  const left = ` (${hooks.join(", ")} left out)`;
  switch (pm) {
    case "npm":
      return { command: ["npm", "run", script, "--ignore-scripts"], how: `run with npm; pre/post hooks not run${left}` };
    case "pnpm":
      return { command: ["pnpm", "run", "--config.enable-pre-post-scripts=false", script], how: `run with pnpm; pre/post hooks not run${left}` };
    case "yarn":
      return {
        command: ["npm", "run", script, "--ignore-scripts"],
        how: `run with npm, since yarn 1 always runs pre/post hooks; pre/post hooks not run${left}`,
      };
  }
}

function packageManager(dir: string, pkg: Record<string, unknown>): { pm: Pm; reason: string } {
  const found = LOCKFILES.filter(([file]) => has(dir, file));
  if (found.length > 0) {
    const [file, pm] = found[0] as [string, Pm];
    const others = found.slice(1).map(([f]) => f);
    return { pm, reason: `${file}${others.length > 0 ? ` (also ${others.join(", ")}; the first wins)` : ""}` };
  }
  const field = typeof pkg["packageManager"] === "string" ? (pkg["packageManager"] as string) : "";
  const named = /^(pnpm|yarn|npm|bun)@/.exec(field)?.[1] as Pm | undefined;
  if (named !== undefined) return { pm: named, reason: `packageManager field "${field}" (no lockfile)` };
  return { pm: "npm", reason: "no lockfile and no packageManager field: npm" };
}

function scriptsOf(dir: string, rel: string): Record<string, string> {
  const scripts = readJson(dir, path.join(rel, "package.json"))?.["scripts"];
  return scripts !== null && typeof scripts === "object" ? (scripts as Record<string, string>) : {};
}

/**
 * Node: the package manager from the lockfile, and the scripts build,
 * typecheck, lint, test of package.json. In a workspace whose root lacks a
 * script, the script runs in every workspace package that has it.
 */
export function detectNode(dir: string): Found | undefined {
  const pkg = readJson(dir, "package.json");
  if (pkg === undefined) return undefined;
  const { pm, reason: pmReason } = packageManager(dir, pkg);
  let workspaces: string[] = [];
  let wsReason = "";
  if (has(dir, "pnpm-workspace.yaml")) {
    const doc = parseYaml(read(dir, "pnpm-workspace.yaml") ?? "") as { packages?: string[] } | null;
    workspaces = expandWorkspaces(dir, doc?.packages ?? []);
    wsReason = `pnpm workspace (pnpm-workspace.yaml) with ${workspaces.length} package(s)`;
  } else {
    const field = pkg["workspaces"];
    const patterns = Array.isArray(field)
      ? field
      : Array.isArray((field as { packages?: unknown })?.packages)
        ? (field as { packages: string[] }).packages
        : [];
    if (patterns.length > 0) {
      workspaces = expandWorkspaces(dir, patterns as string[]);
      wsReason = `workspaces field with ${workspaces.length} package(s)`;
    }
  }
  const rootScripts = scriptsOf(dir, "");
  const found: Found = {
    project: { type: "node", marker: "package.json", reason: `package.json; package manager ${pm} from ${pmReason}${wsReason === "" ? "" : `; ${wsReason}`}` },
    gates: [],
    skipped: [],
  };
  for (const { kind, names } of SCRIPTS) {
    const atRoot = names.find((n) => rootScripts[n] !== undefined);
    if (atRoot !== undefined) {
      const body = rootScripts[atRoot] ?? "";
      if (kind === "test" && PLACEHOLDER_TEST.test(body)) {
        found.skipped.push({ name: kind, reason: `the "test" script is npm's placeholder (${body})` });
        continue;
      }
      const network = networkTools(body);
      if (network.only) {
        found.skipped.push({
          name: kind,
          reason: `the "${atRoot}" script only runs network tools (${network.tools.join(", ")}): not run by default (they judge the registry, not the code); add a gate to .omk/gates.yaml to run it`,
        });
        continue;
      }
      const run = runScript(pm, atRoot, rootScripts, berryYarn(dir, pkg));
      const also = network.tools.length === 0 ? "" : `; note: it also runs ${network.tools.join(", ")}, which needs the network`;
      found.gates.push({ gate: { name: kind, kind, command: run.command }, reason: `package.json script "${atRoot}", ${run.how}${also}` });
      continue;
    }
    const members = workspaces.filter((ws) => names.some((n) => scriptsOf(dir, ws)[n] !== undefined));
    if (members.length === 0) continue;
    const script = names.find((n) => members.some((ws) => scriptsOf(dir, ws)[n] !== undefined)) as string;
    const command = recursive(pm, script, berryYarn(dir, pkg));
    const hooks = pm === "npm" || pm === "pnpm" || (pm === "yarn" && berryYarn(dir, pkg)) ? "; pre/post hooks not run" : "";
    found.gates.push({
      gate: { name: kind, kind, command },
      reason: `no root "${script}" script; ${members.length} workspace package(s) have it (${members.slice(0, 5).join(", ")}${members.length > 5 ? ", …" : ""})${hooks}`,
    });
  }
  if (found.gates.length === 0) found.skipped.push({ name: "node", reason: "package.json has none of the scripts build, typecheck, lint, test" });
  return found;
}

/** Yarn 2+ (berry): a .yarnrc.yml, or a packageManager field naming yarn@2 or later. */
function berryYarn(dir: string, pkg: Record<string, unknown>): boolean {
  if (has(dir, ".yarnrc.yml")) return true;
  const major = /^yarn@(\d+)/.exec(typeof pkg["packageManager"] === "string" ? (pkg["packageManager"] as string) : "")?.[1];
  return major !== undefined && Number(major) >= 2;
}

function recursive(pm: Pm, script: string, berry: boolean): string[] {
  switch (pm) {
    case "pnpm":
      return ["pnpm", "-r", "--if-present", "run", "--config.enable-pre-post-scripts=false", script];
    case "npm":
      return ["npm", "run", script, "--workspaces", "--if-present", "--ignore-scripts"];
    case "yarn":
      return berry ? ["yarn", "workspaces", "foreach", "-A", "run", script] : ["yarn", "workspaces", "run", script];
    case "bun":
      return ["bun", "run", "--filter", "*", script];
  }
}
