import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Qwen Code (0.24) makes model calls of its own whose usage it reports
 * nowhere over ACP. After a turn that ends `end_turn`: a follow-up prompt
 * suggestion (`ui.enableFollowupSuggestions`) and managed auto-memory
 * extraction and consolidation (`memory.enableManagedAutoMemory`,
 * `memory.enableManagedAutoDream`), all on by default. During a turn, in its
 * default approval mode `auto` (`tools.approvalMode`): a security-classifier
 * call before shell commands that write, which also decides in place of the
 * client's permission policy.
 */
const QWEN_UNREPORTED_SETTINGS: ReadonlyArray<{ section: string; key: string; off: unknown; on: (v: unknown) => boolean }> = [
  { section: "ui", key: "enableFollowupSuggestions", off: false, on: (v) => v === true },
  { section: "memory", key: "enableManagedAutoMemory", off: false, on: (v) => v === true },
  { section: "memory", key: "enableManagedAutoDream", off: false, on: (v) => v === true },
  { section: "tools", key: "approvalMode", off: "default", on: (v) => v === "auto" },
];

type Json = Record<string, unknown>;
const isRec = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** JSON with `//` and block comments (Qwen's settings files allow them); undefined when it cannot be read. */
function readJsonWithComments(file: string): Json | undefined | "unreadable" {
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return "unreadable";
  }
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  try {
    const parsed: unknown = JSON.parse(out.trim() === "" ? "{}" : out);
    return isRec(parsed) ? parsed : "unreadable";
  } catch {
    return "unreadable";
  }
}

/**
 * Prepares a Qwen Code session so its unreported model calls do not happen
 * unseen: writes Qwen's lowest-precedence settings layer (system defaults,
 * `QWEN_CODE_SYSTEM_DEFAULTS_PATH`) into the run folder with those calls off
 * (approval mode `default`: permission requests go to OMK's policy),
 * merged over the defaults file Qwen would otherwise read. The user's own
 * settings still win: when a user, workspace or system layer turns one on (or
 * cannot be read), the returned `gap` says so and OMK marks those turns'
 * usage partial.
 */
export function prepareQwenSession(env: Record<string, string>, runDir: string, cwd: string): { env: Record<string, string>; gap: string | undefined } {
  const systemSettings = env["QWEN_CODE_SYSTEM_SETTINGS_PATH"] || "/etc/qwen-code/settings.json";
  const defaultsFile = env["QWEN_CODE_SYSTEM_DEFAULTS_PATH"] || path.join(path.dirname(systemSettings), "system-defaults.json");
  const existing = readJsonWithComments(defaultsFile);
  const defaults: Json = isRec(existing) ? structuredClone(existing) : {};
  for (const { section, key, off } of QWEN_UNREPORTED_SETTINGS) {
    const current = isRec(defaults[section]) ? (defaults[section] as Json) : {};
    defaults[section] = { ...current, [key]: off };
  }
  const written = path.join(runDir, "qwen-system-defaults.json");
  writeFileSync(written, `${JSON.stringify(defaults, null, 2)}\n`);

  const qwenHome = env["QWEN_HOME"] || path.join(env["HOME"] ?? "", ".qwen");
  const layers = [path.join(qwenHome, "settings.json"), path.join(cwd, ".qwen", "settings.json"), systemSettings];
  const on: string[] = [];
  for (const file of layers) {
    const settings = readJsonWithComments(file);
    if (settings === "unreadable") {
      on.push(`${file} (unreadable)`);
      continue;
    }
    for (const { section, key, on: isOn } of QWEN_UNREPORTED_SETTINGS) {
      const block = settings?.[section];
      if (isRec(block) && isOn(block[key])) on.push(`${section}.${key} in ${file}`);
    }
  }
  const gap =
    on.length === 0
      ? undefined
      : `Qwen Code makes model calls it does not report the usage of (follow-up suggestion, auto-memory, auto-mode classifier); turned on by ${on.join(", ")}`;
  return { env: { ...env, QWEN_CODE_SYSTEM_DEFAULTS_PATH: written }, gap };
}
