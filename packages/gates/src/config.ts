import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { detectGates } from "./detect.js";
import { GatesConfigError, type NoGatesDetectedError } from "./errors.js";
import { err, ok, type Result } from "./result.js";
import { type GatesConfig, GatesConfigSchema } from "./schemas/config.js";
import type { Detection } from "./schemas/detection.js";
import type { GatesReport } from "./schemas/result.js";

/** Where a project's gates config is looked for, in order. */
export const CONFIG_FILES = [".omk/gates.yaml", ".omk/gates.yml", ".omk/gates.json"] as const;

/** Parse the text of a gates config (YAML or JSON) and check it against the schema. */
export function parseGatesConfig(text: string, file?: string): Result<GatesConfig, GatesConfigError> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => e.message.split("\n")[0] as string);
    return err(new GatesConfigError(file, `not valid YAML: ${issues[0]}`, issues));
  }
  const parsed = GatesConfigSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`);
    return err(new GatesConfigError(file, issues.length === 1 ? (issues[0] as string) : `${issues.length} problems:\n  ${issues.join("\n  ")}`, issues));
  }
  return ok(parsed.data);
}

/** Read and check a gates config file. */
export function readGatesConfig(file: string): Result<GatesConfig, GatesConfigError> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    return err(new GatesConfigError(file, "cannot read the file", [], { cause }));
  }
  return parseGatesConfig(text, file);
}

export type LoadedGates = {
  config: GatesConfig;
  source: GatesReport["config"];
  /** Present when the gates were detected (no config file). */
  detection?: Detection;
};

/**
 * The gates of a project: the config file given, else `.omk/gates.yaml`
 * (or .yml/.json) under `dir`, else what detection finds. A broken config
 * file is an error, never a silent fall back to detection.
 */
export function loadGates(dir: string, options: { config?: string } = {}): Result<LoadedGates, GatesConfigError | NoGatesDetectedError> {
  const root = path.resolve(dir);
  const file = options.config !== undefined ? path.resolve(root, options.config) : CONFIG_FILES.map((f) => path.join(root, f)).find((f) => existsSync(f));
  if (file !== undefined) {
    const config = readGatesConfig(file);
    return config.ok ? ok({ config: config.value, source: { source: "file", path: file } }) : config;
  }
  const detected = detectGates(root);
  if (!detected.ok) return detected;
  return ok({ config: detected.value.config, source: { source: "detected", path: null }, detection: detected.value });
}
