/**
 * Trust of a repository's `.omk/config.yaml` (as direnv's `allow`). A cloned
 * repository is someone else's file: until the user trusts it, it may only set
 * the keys that cannot run a program, change where an engine connects or what
 * it reads, or weaken a guarantee (UNTRUSTED_ALLOWED). Trusting records the
 * sha256 of the file's current content in the user's trust store
 * (`<user config dir>/omk/trusted.json`), keyed by the file's real path; a
 * changed file is untrusted again. The user's own config file is always trusted.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { err, ok, type Result, sha256 } from "@omk/core";
import { z } from "zod";
import { type ConfigProblem, unreadable } from "./problem.js";
import type { ConfigFile } from "./schema.js";

/** Keys an untrusted repo file may set: the top level's and each engine entry's. Anything else needs trust. */
export const UNTRUSTED_ALLOWED = {
  top: ["$schema", "version", "engines"] as readonly string[],
  engine: ["model"] as readonly string[],
} as const;

const TrustStoreSchema = z.strictObject({
  version: z.literal(1),
  /** Real path of a repo config file → the sha256 (hex) of the content the user trusted. */
  files: z.record(z.string(), z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/u), trustedAt: z.string() })),
});
type TrustStore = z.infer<typeof TrustStoreSchema>;

/** The trust store: `trusted.json` next to the user config file (`$XDG_CONFIG_HOME/omk/trusted.json`). */
export function trustStorePath(userConfigFile: string): string {
  return path.join(path.dirname(userConfigFile), "trusted.json");
}

/** The keys of a repo file that need trust, as key paths (`defaultEngine`, `engines.kimi.command`, ...). */
export function keysNeedingTrust(config: ConfigFile): string[] {
  const keys: string[] = [];
  for (const key of Object.keys(config)) if (!UNTRUSTED_ALLOWED.top.includes(key)) keys.push(key);
  for (const [name, entry] of Object.entries(config.engines ?? {})) {
    for (const key of Object.keys(entry)) if (!UNTRUSTED_ALLOWED.engine.includes(key)) keys.push(`engines.${name}.${key}`);
  }
  return keys;
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

function readStore(storeFile: string): Result<TrustStore, ConfigProblem> {
  if (!existsSync(storeFile)) return ok({ version: 1, files: {} });
  try {
    const parsed = TrustStoreSchema.safeParse(JSON.parse(readFileSync(storeFile, "utf8")));
    if (parsed.success) return ok(parsed.data);
  } catch {
    // fall through: not JSON
  }
  return err({
    code: "config_unreadable",
    file: storeFile,
    message: `${storeFile}: not a valid trust store`,
    fix: `remove ${storeFile} and trust the repo config files again (omk config trust)`,
  });
}

/** Whether the user trusts `file` with exactly the content whose digest is `digest`. */
export function isTrusted(userConfigFile: string, file: string, digest: string): boolean {
  const store = readStore(trustStorePath(userConfigFile));
  return store.ok && store.value.files[realPath(file)]?.sha256 === digest;
}

/** Records that the user trusts `file` as it is now (its real path → the sha256 of its content). */
export function trustConfigFile(
  userConfigFile: string,
  file: string,
  now: Date = new Date(),
): Result<{ file: string; realPath: string; sha256: string; store: string }, ConfigProblem> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    return err(unreadable(file, cause, `create ${file}, or pass --repo DIR of the repository whose config to trust`));
  }
  const storeFile = trustStorePath(userConfigFile);
  const store = readStore(storeFile);
  if (!store.ok) return store;
  const real = realPath(file);
  const digest = sha256(bytes);
  const next: TrustStore = { version: 1, files: { ...store.value.files, [real]: { sha256: digest, trustedAt: now.toISOString() } } };
  try {
    mkdirSync(path.dirname(storeFile), { recursive: true, mode: 0o700 });
    const tmp = `${storeFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, storeFile);
  } catch (cause) {
    return err({
      code: "config_unreadable",
      file: storeFile,
      message: `${storeFile}: cannot be written: ${(cause as Error).message}`,
      fix: `make ${path.dirname(storeFile)} writable`,
    });
  }
  return ok({ file, realPath: real, sha256: digest, store: storeFile });
}
