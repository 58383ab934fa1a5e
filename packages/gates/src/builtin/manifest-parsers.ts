import { parse as parseYaml } from "yaml";
import type { DependencyChange } from "../schemas/result.js";

/** One declared or locked dependency: `section` tells where (dependencies, devDependencies, lockfile…). */
export type Dep = { section: string; name: string; spec: string };
type Ecosystem = DependencyChange["ecosystem"];
export type ManifestParser = { ecosystem: Ecosystem; parse: (text: string) => Dep[] };

const unquote = (s: string) => s.trim().replace(/^["']|["']$/g, "");

function packageJson(text: string): Dep[] {
  const json = JSON.parse(text) as Record<string, unknown>;
  const out: Dep[] = [];
  for (const section of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"]) {
    const deps = json[section];
    if (deps === null || typeof deps !== "object") continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) out.push({ section, name, spec: String(spec) });
  }
  return out;
}

function packageLock(text: string): Dep[] {
  const json = JSON.parse(text) as { packages?: Record<string, { version?: string }>; dependencies?: Record<string, { version?: string }> };
  const out: Dep[] = [];
  if (json.packages !== undefined) {
    for (const [key, value] of Object.entries(json.packages)) {
      if (key === "" || value.version === undefined) continue;
      const name = key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
      out.push({ section: "lockfile", name, spec: value.version });
    }
  } else if (json.dependencies !== undefined) {
    for (const [name, value] of Object.entries(json.dependencies))
      if (value.version !== undefined) out.push({ section: "lockfile", name, spec: value.version });
  }
  return out;
}

/** `name@1.2.3`, `@scope/name@1.2.3(peer@2)`, `/name@1.2.3`, `/name/1.2.3` (pnpm lockfile v5–v9 keys). */
function splitPnpmKey(key: string): { name: string; version: string } | undefined {
  const k = key.replace(/^\//, "").replace(/\(.*$/, "");
  const at = k.lastIndexOf("@");
  if (at > 0) return { name: k.slice(0, at), version: k.slice(at + 1) };
  const slash = k.lastIndexOf("/");
  return slash > 0 ? { name: k.slice(0, slash), version: k.slice(slash + 1) } : undefined;
}

function pnpmLock(text: string): Dep[] {
  const doc = parseYaml(text) as { packages?: Record<string, unknown> } | null;
  const out: Dep[] = [];
  for (const key of Object.keys(doc?.packages ?? {})) {
    const parsed = splitPnpmKey(key);
    if (parsed !== undefined) out.push({ section: "lockfile", name: parsed.name, spec: parsed.version });
  }
  return out;
}

function yarnLock(text: string): Dep[] {
  const out: Dep[] = [];
  let name: string | undefined;
  for (const line of text.split("\n")) {
    if (line !== "" && !line.startsWith(" ") && !line.startsWith("#") && line.trimEnd().endsWith(":")) {
      const first = unquote(line.trimEnd().slice(0, -1).split(",")[0] ?? "");
      const at = first.indexOf("@", 1);
      name = at > 0 ? first.slice(0, at) : undefined;
      continue;
    }
    const version = /^\s+version:?\s+"?([^"\s]+)"?/.exec(line);
    if (version !== null && name !== undefined && name !== "__metadata") {
      out.push({ section: "lockfile", name, spec: version[1] as string });
      name = undefined;
    }
  }
  return out;
}

/** `[[package]]` tables with name and version: Cargo.lock, poetry.lock, uv.lock. */
function tomlPackages(text: string): Dep[] {
  const out: Dep[] = [];
  for (const block of text.split(/^\[\[package\]\]\s*$/m).slice(1)) {
    const name = /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    const version = /^version\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    if (name !== undefined && version !== undefined) out.push({ section: "lockfile", name, spec: version });
  }
  return out;
}

function cargoToml(text: string): Dep[] {
  const out: Dep[] = [];
  let section: string | undefined;
  let tableDep: { section: string; name: string } | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s+#.*$/, "").trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header !== null) {
      const h = (header[1] as string).trim();
      const table = /^(.*?(?:dependencies|dev-dependencies|build-dependencies))\.([A-Za-z0-9_-]+)$/.exec(h);
      section = /(^|\.)(dependencies|dev-dependencies|build-dependencies)$/.test(h) ? h : undefined;
      tableDep = table !== null ? { section: table[1] as string, name: table[2] as string } : undefined;
      if (tableDep !== undefined) out.push({ ...tableDep, spec: "" });
      continue;
    }
    if (tableDep !== undefined) {
      const v = /^version\s*=\s*"([^"]*)"/.exec(line);
      const dep = out[out.length - 1];
      if (v !== null && dep !== undefined) dep.spec = v[1] as string;
      continue;
    }
    if (section === undefined) continue;
    const m = /^([A-Za-z0-9_-]+)(\.workspace)?\s*=\s*(.+)$/.exec(line);
    if (m === null) continue;
    const value = m[3] as string;
    const version = /version\s*=\s*"([^"]*)"/.exec(value)?.[1];
    out.push({ section, name: m[1] as string, spec: m[2] !== undefined ? "workspace" : (version ?? unquote(value)) });
  }
  return out;
}

function goMod(text: string): Dep[] {
  const out: Dep[] = [];
  let inBlock = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    if (line === "require (") {
      inBlock = true;
      continue;
    }
    if (inBlock && line === ")") {
      inBlock = false;
      continue;
    }
    const m = inBlock ? /^(\S+)\s+(\S+)$/.exec(line) : /^require\s+(\S+)\s+(\S+)$/.exec(line);
    if (m !== null) out.push({ section: "require", name: m[1] as string, spec: m[2] as string });
  }
  return out;
}

/** PEP 508 requirement: name, extras, specifier; names normalized (PEP 503). */
function requirement(line: string, section: string): Dep | undefined {
  const text = line.replace(/\s+#.*$/, "").trim();
  if (text === "" || text.startsWith("#") || text.startsWith("-")) return undefined;
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$/.exec(text);
  if (m === null) return undefined;
  return { section, name: (m[1] as string).toLowerCase().replace(/[-_.]+/g, "-"), spec: (m[3] as string).trim() };
}

function requirementsTxt(text: string): Dep[] {
  return text.split("\n").flatMap((l) => requirement(l, "requirements") ?? []);
}

function pyproject(text: string): Dep[] {
  const out: Dep[] = [];
  let section = "";
  let array: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s+#.*$/, "").trim();
    if (array !== undefined) {
      for (const s of line.matchAll(/"([^"]+)"|'([^']+)'/g)) {
        const dep = requirement(s[1] ?? s[2] ?? "", array);
        if (dep !== undefined) out.push(dep);
      }
      if (line.includes("]")) array = undefined;
      continue;
    }
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header !== null) {
      section = header[1] as string;
      continue;
    }
    const arrayStart = /^([A-Za-z0-9_-]+)\s*=\s*\[(.*)$/.exec(line);
    const isDepArray =
      arrayStart !== null &&
      ((section === "project" && arrayStart[1] === "dependencies") || section === "project.optional-dependencies" || section === "dependency-groups");
    if (arrayStart !== null && isDepArray) {
      const name = section === "project" ? "dependencies" : `${section}.${arrayStart[1]}`;
      const rest = arrayStart[2] as string;
      for (const s of rest.matchAll(/"([^"]+)"|'([^']+)'/g)) {
        const dep = requirement(s[1] ?? s[2] ?? "", name);
        if (dep !== undefined) out.push(dep);
      }
      if (!rest.includes("]")) array = name;
      continue;
    }
    if (/^tool\.poetry\.(.*\.)?dependencies$/.test(section)) {
      const m = /^([A-Za-z0-9._-]+)\s*=\s*(.+)$/.exec(line);
      if (m !== null && m[1] !== "python") {
        const version = /version\s*=\s*"([^"]*)"/.exec(m[2] as string)?.[1];
        out.push({ section, name: (m[1] as string).toLowerCase(), spec: version ?? unquote(m[2] as string) });
      }
    }
  }
  return out;
}

/** Which parser reads a file, by its name; undefined for files that declare no dependencies. */
export function manifestParser(file: string): ManifestParser | undefined {
  const base = file.slice(file.lastIndexOf("/") + 1);
  if (base === "package.json") return { ecosystem: "npm", parse: packageJson };
  if (base === "package-lock.json" || base === "npm-shrinkwrap.json") return { ecosystem: "npm", parse: packageLock };
  if (base === "pnpm-lock.yaml") return { ecosystem: "npm", parse: pnpmLock };
  if (base === "yarn.lock") return { ecosystem: "npm", parse: yarnLock };
  if (base === "Cargo.toml") return { ecosystem: "cargo", parse: cargoToml };
  if (base === "Cargo.lock") return { ecosystem: "cargo", parse: tomlPackages };
  if (base === "go.mod") return { ecosystem: "go", parse: goMod };
  if (base === "pyproject.toml") return { ecosystem: "python", parse: pyproject };
  if (base === "poetry.lock" || base === "uv.lock") return { ecosystem: "python", parse: tomlPackages };
  if (/^(requirements|constraints)[\w.-]*\.(txt|in)$/.test(base) || /(^|\/)requirements\/[\w.-]+\.(txt|in)$/.test(file)) {
    return { ecosystem: "python", parse: requirementsTxt };
  }
  return undefined;
}
