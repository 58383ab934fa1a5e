/**
 * The shared install cache's entries: the key (sha256 of the step's inputs,
 * manager, commands and Node version), the manifest written beside each
 * install, sealing (read-only files, a digest of their metadata) and the
 * content digest each private copy is checked against, whether an entry is
 * still usable, how one is made (inputs staged, the finished install
 * sealed, its manifest written, renamed into place), and its upkeep (touch
 * on use, evict, prune after 14 days unused).
 */
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import type { Stats } from "node:fs";
import path from "node:path";
import { sha256Hasher } from "@omk/core";
import type { SetupStep } from "../../schemas/setup.js";
import { readdirSafe } from "../detect/common.js";
import { displayCommand } from "./plan.js";
import { ignoreItself } from "./products.js";
import { DEFAULT_TIMEOUT_MS } from "./run-install.js";

const MANIFEST = ".omk-setup.json";
const LOCKLESS_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Every entry under `dir` (relative path, lstat), directories before their contents. */
function walk(dir: string, visit: (rel: string, st: Stats) => void, rel = ""): void {
  for (const name of readdirSafe(path.join(dir, rel)).sort()) {
    const r = rel === "" ? name : path.join(rel, name);
    const st = lstatSync(path.join(dir, r));
    visit(r, st);
    if (st.isDirectory()) walk(dir, visit, r);
  }
}

/** Make the shared files read-only and digest (path, type, size, mtime, inode) of everything: a later change shows. */
function sealAndDigest(entry: string, products: readonly string[], seal: boolean): { digest: string; files: number } {
  const h = sha256Hasher();
  let files = 0;
  for (const product of products) {
    const root = path.join(entry, product);
    if (!existsSync(root)) continue;
    walk(root, (rel, st) => {
      if (seal && st.isFile() && (st.mode & 0o222) !== 0) chmodSync(path.join(root, rel), st.mode & ~0o222);
      const mode = seal && st.isFile() ? st.mode & ~0o222 : st.mode;
      h.update(`${product}/${rel}\0${mode.toString(8)}\0${st.size}\0${Math.floor(st.mtimeMs)}\0${st.ino}\n`);
      files += 1;
    });
  }
  return { digest: h.digest("hex"), files };
}

/**
 * sha256 over every entry's path, type and content (a symlink's target):
 * what the shared install held when it was made. Modes and times are left
 * out (a private copy is made writable). Checked on each private copy made
 * from the shared install, so a same-size write with its mtime put back is
 * caught too.
 */
export function contentDigest(root: string, products: readonly string[]): string {
  const h = sha256Hasher();
  for (const product of products) {
    const dir = path.join(root, product);
    if (!existsSync(dir)) continue;
    walk(dir, (rel, st) => {
      const full = path.join(dir, rel);
      if (st.isSymbolicLink()) h.update(`${product}/${rel}\0l\0${readlinkSync(full)}\n`);
      else if (st.isDirectory()) h.update(`${product}/${rel}\0d\n`);
      else if (st.isFile()) {
        h.update(`${product}/${rel}\0f\0${st.size}\0`);
        h.update(readFileSync(full));
        h.update("\n");
      } else h.update(`${product}/${rel}\0o\n`);
    });
  }
  return h.digest("hex");
}

type Manifest = {
  key: string;
  createdAt: string;
  command: string;
  lockless: boolean;
  digest: string;
  files: number;
  installMs: number;
  content?: string;
};

export function readManifest(entry: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path.join(entry, MANIFEST), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

/** A shared install as made: present, unchanged since (digest), and (no lockfile) at most a day old. */
export function usable(entry: string, step: SetupStep): { ok: true; manifest: Manifest } | { ok: false; why: string | null } {
  const manifest = readManifest(entry);
  if (manifest === undefined) return { ok: false, why: existsSync(entry) ? "the shared install has no manifest" : null };
  if (manifest.content === undefined) return { ok: false, why: "the shared install has no content digest (made by an older OMK): made again" };
  if (step.lockless && Date.now() - Date.parse(manifest.createdAt) > LOCKLESS_MAX_AGE_MS)
    return { ok: false, why: "the shared install (no lockfile) is more than a day old: re-resolved" };
  if (sealAndDigest(entry, step.products, false).digest !== manifest.digest)
    return { ok: false, why: "the shared install was changed after it was made: it was discarded and made again" };
  return { ok: true, manifest };
}

const UNUSED_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

/** Mark a shared install as used now (its manifest's mtime): what pruning goes by. */
export function touch(entry: string): void {
  try {
    const now = new Date();
    utimesSync(path.join(entry, MANIFEST), now, now);
  } catch {
    // gone meanwhile: the next use installs again
  }
}

/**
 * Remove shared installs unused for 14 days, and temp folders of installs
 * that died, after a new install (so the cache does not grow without end).
 * An entry whose lock is held is left alone.
 */
export function prune(cacheDir: string): void {
  const now = Date.now();
  for (const name of readdirSafe(cacheDir)) {
    const full = path.join(cacheDir, name);
    try {
      if (/^[0-9a-f]{64}$/.test(name)) {
        if (existsSync(`${full}.lock`) || now - statSync(path.join(full, MANIFEST)).mtimeMs < UNUSED_MAX_AGE_MS) continue;
        evict(full);
      } else if ((name.startsWith(".tmp-") || name.includes(".trash-")) && now - statSync(full).mtimeMs > DEFAULT_TIMEOUT_MS * 4) {
        rmSync(full, { recursive: true, force: true });
      }
    } catch {
      // raced with another process: leave it
    }
  }
}

export function evict(entry: string): void {
  const trash = `${entry}.trash-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(entry, trash);
  } catch {
    return;
  }
  // Read-only files in writable directories: removable.
  rmSync(trash, { recursive: true, force: true });
}

export function keyOf(root: string, step: SetupStep): string {
  const h = sha256Hasher();
  h.update(
    JSON.stringify({
      v: 1,
      manager: step.manager,
      command: step.command,
      after: step.after,
      node: process.version,
      platform: process.platform,
      arch: process.arch,
    }),
  );
  for (const input of [...step.inputs].sort()) {
    h.update(`\0${input}\0`);
    h.update(existsSync(path.join(root, input)) ? readFileSync(path.join(root, input)) : "(absent)");
  }
  return h.digest("hex");
}

/** Copy the step's inputs (manifests, lockfile) from the checkout into the folder the shared install is made in. */
export function stageInputs(root: string, tmp: string, inputs: readonly string[]): void {
  for (const input of inputs) {
    if (!existsSync(path.join(root, input))) continue;
    mkdirSync(path.dirname(path.join(tmp, input)), { recursive: true });
    copyFileSync(path.join(root, input), path.join(tmp, input));
  }
}

/** A finished install in `tmp` made the shared entry: products ignore themselves, files sealed, manifest written, renamed into place. */
export function publishSharedInstall(tmp: string, entry: string, key: string, step: SetupStep, installMs: number): void {
  for (const p of step.products) ignoreItself(path.join(tmp, p));
  const sealed = sealAndDigest(tmp, step.products, true);
  const manifest: Manifest = {
    key,
    createdAt: new Date().toISOString(),
    command: displayCommand(step),
    lockless: step.lockless,
    digest: sealed.digest,
    files: sealed.files,
    installMs,
    content: contentDigest(tmp, step.products),
  };
  writeFileSync(path.join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, entry);
}
