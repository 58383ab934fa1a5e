import { loadConfig, repoConfigPath, trustConfigFile, userConfigPath } from "@omk/config";
import { type Context, printJson } from "../context.js";
import { configError, readConfig, repoRootOf } from "../engine.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { untrustedLine } from "./engines.js";

/**
 * `omk config trust [--repo DIR]`: the user trusts the repository's
 * `.omk/config.yaml` as it is now. The file is checked first (an invalid file
 * is exit 2, nothing recorded); then the sha256 of its content is recorded in
 * the user's trust store under its real path. A later change makes it
 * untrusted again. Prints the keys it trusted.
 */
export async function configTrust(ctx: Context, opts: { repo?: string; json?: boolean }): Promise<number> {
  const root = repoRootOf(ctx, opts.repo);
  if (root === undefined)
    throw new UsageError("not inside a git repository: there is no .omk/config.yaml to trust", "run it inside the repository, or pass --repo DIR");
  const file = repoConfigPath(root);
  // Check it as a run would read it (trusted for this check only): an invalid file is not recorded.
  const checked = loadConfig({ env: ctx.env, repoRoot: root, trustRepo: true });
  if (!checked.ok) throw configError(checked.error);
  if (checked.value.files.repo?.exists !== true)
    throw new UsageError(`${file} does not exist`, "create it, or pass --repo DIR of the repository whose config to trust");
  const trusted = trustConfigFile(userConfigPath(ctx.env), file, ctx.now());
  if (!trusted.ok) throw configError(trusted.error);
  const keys = checked.value.files.repo.trust?.keys ?? [];
  if (opts.json === true) {
    printJson(ctx, { file, realPath: trusted.value.realPath, sha256: trusted.value.sha256, store: trusted.value.store, keys });
    return EXIT.ok;
  }
  ctx.stdout(`trusted ${file} (sha256 ${trusted.value.sha256.slice(0, 12)}…) in ${trusted.value.store}\n`);
  ctx.stdout(keys.length === 0 ? "it sets nothing that needs trust\n" : `it may now set: ${keys.join(", ")}\n`);
  ctx.stdout("a change to the file makes it untrusted again\n");
  return EXIT.ok;
}

/**
 * `omk config show [--repo DIR] [--json]`: the merged config (the user file,
 * then the repo file over it), each setting with the file it comes from, and
 * whether the repo file is trusted (an untrusted file's keys needing trust are
 * shown as ignored, not applied).
 */
export async function configShow(ctx: Context, opts: { repo?: string; json?: boolean }): Promise<number> {
  const config = readConfig(ctx, opts.repo, { untrustedRepo: "ignore" });
  const engines = Object.values(config.engines).map((e) => ({
    name: e.name,
    fields: Object.fromEntries(Object.entries(e.entry).map(([key, value]) => [key, { value, from: e.fieldFiles[key as keyof typeof e.fieldFiles] ?? "" }])),
  }));
  if (opts.json === true) {
    printJson(ctx, { files: config.files, defaultEngine: config.defaultEngine ?? null, engines });
    return EXIT.ok;
  }
  const repo = config.files.repo;
  ctx.stdout(`user file: ${config.files.user.path}${config.files.user.exists ? "" : " (none)"}\n`);
  if (repo !== undefined) ctx.stdout(`repo file: ${repo.path}${repo.exists ? ` (${repo.trust?.status ?? "trusted"})` : " (none)"}\n`);
  if (repo?.trust?.status === "untrusted") ctx.stdout(`${untrustedLine(repo.path, repo.trust.keys)}\n`);
  ctx.stdout(`defaultEngine: ${config.defaultEngine === undefined ? "(not set)" : `${config.defaultEngine.name}  # ${config.defaultEngine.file}`}\n`);
  for (const engine of engines) {
    ctx.stdout(`engines.${engine.name}:\n`);
    for (const [key, field] of Object.entries(engine.fields)) ctx.stdout(`  ${key}: ${JSON.stringify(field.value)}  # ${field.from}\n`);
  }
  return EXIT.ok;
}
