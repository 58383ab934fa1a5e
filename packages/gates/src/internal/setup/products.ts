/**
 * An install's products in a checkout (node_modules, .venv…): copied or
 * hardlinked from the shared install, made to ignore themselves in git, and
 * found tracked in git (vendored dependencies, which setup leaves as
 * committed).
 */
import { cpSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { git } from "../git.js";

function linkTree(src: string, dst: string): void {
  const st = lstatSync(src);
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
  else if (st.isDirectory()) {
    mkdirSync(dst, { recursive: true });
    for (const name of readdirSync(src)) linkTree(path.join(src, name), path.join(dst, name));
  } else linkSync(src, dst);
}

/**
 * Hardlink (cp -al) or copy (cp -a, reflinked where possible) `src` to
 * `dst`; a JS walk when cp lacks the flags. Hardlinks cannot cross
 * filesystems: then the checkout gets a copy (returned as the mode used).
 */
export async function materialise(src: string, dst: string, mode: "hardlink" | "copy"): Promise<"hardlink" | "copy"> {
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(path.dirname(dst), { recursive: true });
  if (mode === "hardlink") {
    const r = await execa("cp", ["-al", src, dst], { reject: false, stdin: "ignore" });
    if (r.exitCode === 0) return "hardlink";
    rmSync(dst, { recursive: true, force: true });
    try {
      linkTree(src, dst);
      return "hardlink";
    } catch {
      rmSync(dst, { recursive: true, force: true });
    }
  }
  const r = await execa("cp", ["-a", "--reflink=auto", src, dst], { reject: false, stdin: "ignore" });
  if (r.exitCode !== 0) {
    rmSync(dst, { recursive: true, force: true });
    cpSync(src, dst, { recursive: true, verbatimSymlinks: true });
  }
  // A private copy is the checkout's own: writable again.
  await execa("chmod", ["-R", "u+w", dst], { reject: false, stdin: "ignore" });
  return "copy";
}

/** A product directory ignores itself (`*`), so `git add --all`, status and the builtins never see it, without touching the user's ignore files. */
export function ignoreItself(dir: string): void {
  try {
    if (statSync(dir).isDirectory() && !existsSync(path.join(dir, ".gitignore")))
      writeFileSync(path.join(dir, ".gitignore"), "# made by omk setup: never part of a change\n*\n");
  } catch {
    // not there
  }
}

/** Products with files tracked in git at `root` (not a git checkout: none). */
export async function trackedProducts(root: string, products: readonly string[]): Promise<string[]> {
  if (products.length === 0) return [];
  const r = await git(root, ["ls-files", "-z", "--", ...products.map((p) => `:(literal)${p}`)]);
  if (!r.ok) return [];
  const files = r.stdout.split("\0").filter((f) => f !== "");
  return products.filter((p) => files.some((f) => f === p || f.startsWith(`${p}/`)));
}
