import path from "node:path";
import { type EngineListing, listEngines } from "@omk/config";
import { kimiBinaryFromPath } from "@omk/wire";
import { type Context, printJson } from "../context.js";
import { readConfig } from "../engine.js";
import { EXIT } from "../exit-codes.js";
import { printable } from "../invocation.js";
import { terminalSafe } from "../render/safe.js";

/** The line `omk engines` and `omk config show` print for an untrusted repo file. */
export function untrustedLine(file: string, keys: readonly string[]): string {
  return `repo config ${file} is not trusted: ignored ${keys.join(", ")} — fix: read it, then ${printable("omk config trust")} (or --trust-repo-config for one run)`;
}

/** Where an engine is defined, in words: `preset`, `preset + user (<file>)`, `repo (<file>)`, ... */
function where(e: EngineListing, files: { user: string; repo: string | undefined }): string {
  return e.sources.map((s) => (s === "preset" ? "preset" : `${s} (${s === "user" ? files.user : files.repo})`)).join(" + ");
}

/**
 * A found `kimi` that speaks another protocol than the engine's (Kimi Code 2.x
 * speaks ACP, the Python kimi CLI Kimi Wire), told from its path without
 * running it; undefined when it matches or OMK cannot tell.
 */
function protocolMismatch(e: EngineListing): { speaks: string; message: string; fix: string } | undefined {
  if (e.path === undefined || path.basename(e.command) !== "kimi") return undefined;
  const binary = kimiBinaryFromPath(e.path);
  if (binary === undefined || binary.speaks === e.protocol) return undefined;
  const words = (p: string) => (p === "acp" ? "ACP" : "Kimi Wire");
  return {
    speaks: binary.speaks,
    message: `${e.path} is ${binary.description}: it speaks ${words(binary.speaks)}, not ${words(e.protocol)}`,
    fix: `use --engine ${binary.speaks === "acp" ? "kimi" : "kimi-wire"}`,
  };
}

/**
 * `omk engines [--json]`: every engine a goal can use (the presets and the
 * engines of the user and repo config files), where each is defined, its
 * protocol and command and whether the command is found. No engine is
 * started (`omk doctor` handshakes them). Exit 0; an invalid config exits 2.
 */
export async function engines(ctx: Context, opts: { json?: boolean; repo?: string }): Promise<number> {
  // An untrusted repo file is listed as such: its keys needing trust are left out (and named), not applied.
  const config = readConfig(ctx, opts.repo, { untrustedRepo: "ignore" });
  const rows = listEngines(config, ctx.env);
  const files = { user: config.files.user.path, repo: config.files.repo?.path };
  if (opts.json === true) {
    printJson(ctx, {
      config: { user: config.files.user, ...(config.files.repo === undefined ? {} : { repo: config.files.repo }) },
      defaultEngine: config.defaultEngine ?? null,
      engines: rows.map((e) => {
        const mismatch = protocolMismatch(e);
        const problem = e.problem ?? mismatch;
        return {
          name: e.name,
          definedIn: e.sources,
          files: e.files,
          protocol: e.protocol,
          command: e.command,
          found: e.found,
          ...(e.path === undefined ? {} : { path: e.path }),
          ...(mismatch === undefined ? {} : { speaks: mismatch.speaks }),
          ...(e.model === undefined ? {} : { model: e.model }),
          ...(problem === undefined ? {} : { problem: { message: problem.message, fix: problem.fix } }),
        };
      }),
    });
    return EXIT.ok;
  }
  // name  protocol  command  found|not found  defined in  (then the problem and its fix, when it cannot run)
  const width = Math.max(...rows.map((e) => e.name.length));
  const protoWidth = Math.max(...rows.map((e) => e.protocol.length));
  const commandWidth = Math.max(...rows.map((e) => e.command.length));
  for (const e of rows) {
    const mismatch = protocolMismatch(e);
    const state =
      mismatch !== undefined
        ? `found, speaks ${mismatch.speaks === "acp" ? "ACP" : "Kimi Wire"} (not usable as ${e.name})`
        : e.found
          ? "found    "
          : "not found";
    const model = e.model === undefined ? "" : ` (model ${e.model})`;
    const problem =
      e.problem !== undefined
        ? ` — cannot run: ${e.problem.message} — fix: ${printable(e.problem.fix)}`
        : mismatch !== undefined
          ? ` — fix: ${mismatch.fix}`
          : "";
    // Names and commands may come from a repository's config: one line each, escapes visible.
    ctx.stdout(
      `${terminalSafe(`${e.name.padEnd(width)}  ${e.protocol.padEnd(protoWidth)}  ${e.command.padEnd(commandWidth)}  ${state}  ${where(e, files)}${model}${problem}`)}\n`,
    );
  }
  const present = [config.files.user, config.files.repo].filter((f) => f?.exists === true).map((f) => `${f?.scope} ${f?.path}`);
  ctx.stdout(`config: ${present.length === 0 ? `none (user ${files.user}${files.repo === undefined ? "" : `, repo ${files.repo}`})` : present.join(", ")}\n`);
  const trust = config.files.repo?.trust;
  if (trust?.status === "untrusted") ctx.stdout(`${untrustedLine(config.files.repo?.path ?? "", trust.keys)}\n`);
  ctx.stdout(
    `default engine: ${config.defaultEngine === undefined ? "the first preset found on PATH (set defaultEngine in a config file, OMK_ENGINE or --engine)" : `${config.defaultEngine.name} (${config.defaultEngine.scope} ${config.defaultEngine.file})`}\n`,
  );
  return EXIT.ok;
}
