import type { DependencyChange } from "../schemas/result.js";
import { type Dep, manifestParser } from "./manifest-parsers.js";

/** A manifest or lockfile before and after a change (null: the file did not exist). */
export type ManifestVersions = { path: string; before: string | null; after: string | null };

/** Whether a path is a manifest or lockfile the dependency gate reads. */
export function isDependencyFile(file: string): boolean {
  return manifestParser(file) !== undefined;
}

/**
 * Dependencies added, changed or removed between two versions of manifests
 * and lockfiles (package.json, package-lock.json, pnpm-lock.yaml, yarn.lock,
 * Cargo.toml, Cargo.lock, go.mod, pyproject.toml, requirements*.txt,
 * poetry.lock, uv.lock). Pure. A locked package present in several
 * versions is compared as the set of its versions. A file that does not
 * parse yields a single change naming the file (so it is still reviewed).
 */
export function dependencyChanges(files: readonly ManifestVersions[]): DependencyChange[] {
  const out: DependencyChange[] = [];
  for (const file of files) {
    const parser = manifestParser(file.path);
    if (parser === undefined) continue;
    let before: Dep[];
    let after: Dep[];
    try {
      before = file.before === null ? [] : parser.parse(file.before);
      after = file.after === null ? [] : parser.parse(file.after);
    } catch {
      out.push({ ecosystem: parser.ecosystem, file: file.path, section: "unparsed", name: file.path, change: "changed", from: null, to: null });
      continue;
    }
    const group = (deps: Dep[]) => {
      const map = new Map<string, { section: string; name: string; specs: Set<string> }>();
      for (const dep of deps) {
        const key = `${dep.section}\0${dep.name}`;
        const entry = map.get(key) ?? { section: dep.section, name: dep.name, specs: new Set<string>() };
        entry.specs.add(dep.spec);
        map.set(key, entry);
      }
      return map;
    };
    const a = group(before);
    const b = group(after);
    const spec = (specs: Set<string>) => [...specs].sort().join(", ");
    for (const [key, entry] of b) {
      const old = a.get(key);
      const to = spec(entry.specs);
      if (old === undefined)
        out.push({ ecosystem: parser.ecosystem, file: file.path, section: entry.section, name: entry.name, change: "added", from: null, to });
      else if (spec(old.specs) !== to)
        out.push({ ecosystem: parser.ecosystem, file: file.path, section: entry.section, name: entry.name, change: "changed", from: spec(old.specs), to });
    }
    for (const [key, entry] of a) {
      if (!b.has(key))
        out.push({
          ecosystem: parser.ecosystem,
          file: file.path,
          section: entry.section,
          name: entry.name,
          change: "removed",
          from: spec(entry.specs),
          to: null,
        });
    }
  }
  return out;
}
