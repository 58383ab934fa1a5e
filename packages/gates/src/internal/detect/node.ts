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
    const patterns = Array.isArray(field) ? field : Array.isArray((field as { packages?: unknown })?.packages) ? (field as { packages: string[] }).packages : [];
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
      if (kind === "test" && PLACEHOLDER_TEST.test(rootScripts[atRoot] ?? "")) {
        found.skipped.push({ name: kind, reason: `the "test" script is npm's placeholder (${rootScripts[atRoot]})` });
        continue;
      }
      found.gates.push({ gate: { name: kind, kind, command: [pm, "run", atRoot] }, reason: `package.json script "${atRoot}", run with ${pm}` });
      continue;
    }
    const members = workspaces.filter((ws) => names.some((n) => scriptsOf(dir, ws)[n] !== undefined));
    if (members.length === 0) continue;
    const script = names.find((n) => members.some((ws) => scriptsOf(dir, ws)[n] !== undefined)) as string;
    const command = recursive(pm, script, has(dir, ".yarnrc.yml"));
    found.gates.push({ gate: { name: kind, kind, command }, reason: `no root "${script}" script; ${members.length} workspace package(s) have it (${members.slice(0, 5).join(", ")}${members.length > 5 ? ", …" : ""})` });
  }
  if (found.gates.length === 0) found.skipped.push({ name: "node", reason: "package.json has none of the scripts build, typecheck, lint, test" });
  return found;
}

function recursive(pm: Pm, script: string, berry: boolean): string[] {
  switch (pm) {
    case "pnpm":
      return ["pnpm", "-r", "--if-present", "run", script];
    case "npm":
      return ["npm", "run", script, "--workspaces", "--if-present"];
    case "yarn":
      return berry ? ["yarn", "workspaces", "foreach", "-A", "run", script] : ["yarn", "workspaces", "run", script];
    case "bun":
      return ["bun", "run", "--filter", "*", script];
  }
}
