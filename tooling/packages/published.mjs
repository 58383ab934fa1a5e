// The published packages of the workspace and how they are packed (docs/decisions/publishing.md).
// Shared by check.mjs (the tarballs' contents, publint, attw) and consumer.mjs (install them outside the workspace).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Every workspace package under packages/ and apps/ that is not `private: true`, as { name, dir (relative), manifest }. */
function publishedPackages() {
  const found = [];
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(path.join(root, group)).sort()) {
      const file = path.join(root, group, name, "package.json");
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, "utf8"));
      if (manifest.private !== true) found.push({ name: manifest.name, dir: `${group}/${name}`, manifest });
    }
  }
  return found;
}

/**
 * `pnpm pack` of every published package into `dest` (pnpm, not npm: it turns workspace: and catalog:
 * ranges into versions and applies publishConfig, as `pnpm publish` does). Returns the packages with `tarball`.
 * Needs the build (dist/) made first.
 */
export function packAll(dest) {
  const packages = publishedPackages();
  // One recursive pnpm (a few seconds) rather than one npx pnpm per package.
  const filters = packages.flatMap((pkg) => ["--filter", pkg.name]);
  const run = spawnSync("npx", ["-y", "pnpm@10", "--recursive", ...filters, "pack", "--pack-destination", dest], { cwd: root, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`pnpm pack failed (exit ${run.status}): ${run.stderr.trim() || run.stdout.trim()}`);
  return packages.map((pkg) => {
    const base = `${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.manifest.version}.tgz`;
    const tarball = path.join(dest, base);
    if (!existsSync(tarball)) throw new Error(`pnpm pack made no ${base} for ${pkg.dir} in ${dest}`);
    return { ...pkg, tarball };
  });
}

/** The files of a .tgz as Map<path without the leading "package/", Buffer> (ustar, with pax/GNU long names). */
export function readTarball(file) {
  const data = gunzipSync(readFileSync(file));
  const files = new Map();
  let offset = 0;
  let longName;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start, length) =>
      header
        .subarray(start, start + length)
        .toString("utf8")
        .replace(/\0.*$/s, "");
    const size = Number.parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    let name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    const body = data.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString("utf8"));
      if (m) longName = m[1];
      continue;
    }
    if (type === "L") {
      longName = body.toString("utf8").replace(/\0.*$/s, "");
      continue;
    }
    if (type !== "0" && type !== "" && type !== "7") continue;
    name = name.replace(/^[^/]+\//, ""); // npm tarballs put everything under package/
    files.set(name, Buffer.from(body));
  }
  return files;
}
