import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { detectGates } from "./detect.js";
import { GatesConfigError, type NoGatesDetectedError } from "./errors.js";
import { err, ok, type Result } from "@omk/core";
import { type GatesConfig, GatesConfigSchema } from "./schemas/config.js";
import type { Detection } from "./schemas/detection.js";
import type { GatesReport } from "./schemas/result.js";

/** Where a project's gates config is looked for, in order. */
export const CONFIG_FILES = [".omk/gates.yaml", ".omk/gates.yml", ".omk/gates.json"] as const;

/**
 * Parse the text of a gates config (YAML or JSON) and check it against the
 * schema. A problem names its position: line:col from the YAML parser, and
 * for a schema problem the path of the field refused plus the line:col of
 * the nearest node of that path the document has.
 */
export function parseGatesConfig(text: string, file?: string): Result<GatesConfig, GatesConfigError> {
  const lines = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  let data: unknown;
  try {
    doc = parseDocument(text, { prettyErrors: true, lineCounter: lines, merge: true, logLevel: "error" });
    if (doc.errors.length > 0) {
      // yaml's pretty message ends its first line with "at line L, column C:"; the position is kept apart.
      const issues = doc.errors.map((e) => yamlProblem(e.message.split("\n")[0] as string));
      const at = doc.errors[0]?.linePos?.[0];
      return err(new GatesConfigError(file, `not valid YAML: ${issues[0]}`, issues, at === undefined ? {} : { position: { line: at.line, col: at.col } }));
    }
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    // Building the value throws for an alias of no anchor, an alias bomb, or nesting deeper than the stack.
    const issue = yamlValueProblem(cause);
    return err(new GatesConfigError(file, `not valid YAML: ${issue}`, [issue], { cause }));
  }
  const parsed = GatesConfigSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => oneLine(`${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`));
    const first = parsed.error.issues[0];
    const position = first === undefined ? undefined : nodePosition(doc, lines, first.path);
    // One line: every problem, separated by "; " (the list is also in `issues`).
    return err(
      new GatesConfigError(
        file,
        issues.length === 1 ? (issues[0] as string) : `${issues.length} problems: ${issues.join("; ")}`,
        issues,
        position === undefined ? {} : { position },
      ),
    );
  }
  return ok(parsed.data);
}

/**
 * Aliases (`*name`) and merge keys (`<<: *name`) are YAML and are read, so a
 * config can share a gate's fields; each alias expansion counts against this
 * limit (yaml's `maxAliasCount`), so an alias bomb is a config error, not
 * memory and time spent.
 */
const MAX_ALIAS_COUNT = 100;

const TOO_DEEP = "the document is nested too deeply: flatten it";

/** A parse error of yaml as one line ("at line L, column C:" dropped: the position is kept apart). */
function yamlProblem(first: string): string {
  if (/call stack/i.test(first)) return TOO_DEEP;
  return oneLine(first.replace(/ at line \d+, column \d+:?$/, ""));
}

/** What went wrong building the YAML's value, as one line that names the fix. */
function yamlValueProblem(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof RangeError || /call stack/i.test(message)) return TOO_DEEP;
  if (/Excessive alias count/.test(message))
    return `aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT}): write the repeated parts out, or alias them less`;
  const unresolved = /^Unresolved alias[^:]*: (.*)$/s.exec(message);
  if (unresolved !== null)
    return `the alias *${oneLine(unresolved[1] as string)} names no anchor set before it: add &${oneLine(unresolved[1] as string)} to a node above it, or remove the alias`;
  return oneLine(message);
}

/** Control characters and line breaks (from the user's keys and values) shown escaped, so a message stays one line. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The line:col of the deepest node of `keyPath` the document has (a missing field points at its parent). */
function nodePosition(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  keyPath: readonly PropertyKey[],
): { line: number; col: number; path: string } | undefined {
  const keys = keyPath.filter((k): k is string | number => typeof k !== "symbol");
  for (let n = keys.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true)) as { range?: [number, number, number] } | null | undefined;
    if (node?.range !== undefined) {
      const at = lines.linePos(node.range[0]);
      return { line: at.line, col: at.col, path: keys.length === 0 ? "(root)" : keys.join(".") };
    }
  }
  return undefined;
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
