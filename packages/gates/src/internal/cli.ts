import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { compareToBaseline } from "../baseline.js";
import { compareReports } from "../compare.js";
import { CONFIG_FILES, loadGates, readGatesConfig } from "../config.js";
import { detectGates } from "../detect.js";
import { GatesAbortedError, GatesConfigError, GatesError } from "../errors.js";
import { formatJunit } from "../report/junit.js";
import { formatMarkdown } from "../report/markdown.js";
import { formatText } from "../report/text.js";
import { newRunId, runGates, writeFileAtomic } from "../run.js";
import type { Gate } from "../schemas/config.js";
import { describeSetup } from "../setup.js";
import { detectSetup, missingDependencies } from "./setup/plan.js";
import type { GatesEvent } from "../schemas/events.js";
import { type GatesReport, GatesReportSchema } from "../schemas/result.js";
import { formatMs } from "./duration.js";
import { GATES_EXIT, gatesExitCode } from "./exit-codes.js";
import { defaultRunsDir } from "./runs-dir.js";
import { USAGE } from "./usage.js";
import { TOOL_VERSION } from "./version.js";

export type CliIo = {
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  signal?: AbortSignal;
};

class UsageProblem extends Error {}

const OPTIONS = {
  dir: { type: "string" },
  config: { type: "string" },
  out: { type: "string" },
  json: { type: "boolean" },
  junit: { type: "string" },
  markdown: { type: "string" },
  only: { type: "string" },
  parallel: { type: "string" },
  base: { type: "string" },
  "diff-base": { type: "string" },
  "base-report": { type: "string" },
  "head-report": { type: "string" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/** Parse argv, run one command, return the exit code. Everything printed goes through io. */
export async function main(io: CliIo): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: io.argv, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (error) {
    io.stderr(`omk-gates: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return GATES_EXIT.usage;
  }
  if (values.version === true) {
    io.stdout(`${TOOL_VERSION}\n`);
    return GATES_EXIT.ok;
  }
  const [command, ...extra] = positionals;
  if (values.help === true || command === undefined || command === "help") {
    (command === undefined && values.help !== true ? io.stderr : io.stdout)(USAGE);
    return command === undefined && values.help !== true ? GATES_EXIT.usage : GATES_EXIT.ok;
  }
  try {
    if (extra.length > 0) throw new UsageProblem(`unexpected argument ${extra[0]}`);
    const root = path.resolve(io.cwd, values.dir ?? ".");
    if (command === "detect") return detect(io, root, values.json === true, values.config === undefined ? undefined : path.resolve(io.cwd, values.config));
    if (command === "run" || command === "compare") return await runOrCompare(io, command, root, values);
    throw new UsageProblem(`unknown command ${command}`);
  } catch (error) {
    if (error instanceof UsageProblem) {
      io.stderr(`omk-gates: ${error.message}\n${USAGE}`);
      return GATES_EXIT.usage;
    }
    if (error instanceof GatesAbortedError) {
      io.stderr(`omk-gates: ${error.message}\n`);
      return GATES_EXIT.interrupted;
    }
    if (error instanceof GatesError) {
      io.stderr(`omk-gates: ${error.message}${error.fix === undefined ? "" : ` — fix: ${error.fix}`}\n`);
      return gatesExitCode(error);
    }
    io.stderr(`omk-gates: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return GATES_EXIT.internal;
  }
}

/**
 * `detect`: what detection finds, and why. When a config file is in force
 * (--config, else .omk/gates.yaml), what it says comes first (it is what
 * `run` uses), then what detection would find; a broken config file is
 * reported with its position and exits 2 after the detection is shown.
 */
function detect(io: CliIo, root: string, json: boolean, configFlag: string | undefined): number {
  const file = configFlag ?? CONFIG_FILES.map((f) => path.join(root, f)).find((f) => existsSync(f));
  const config = file === undefined ? undefined : readGatesConfig(file);
  const found = detectGates(root);
  if (json) {
    const configFile =
      file === undefined || config === undefined ? null : config.ok ? { path: file, config: config.value } : { path: file, error: errorJson(config.error) };
    if (!found.ok) io.stdout(`${JSON.stringify({ error: errorJson(found.error), configFile }, null, 2)}\n`);
    else io.stdout(`${JSON.stringify({ ...found.value, configFile }, null, 2)}\n`);
  } else {
    const lines: string[] = [];
    if (file !== undefined && config !== undefined) {
      if (config.ok) lines.push(`config ${file} (what run uses):`, ...gateLines(config.value.gates, () => undefined), "");
      else lines.push(`config ${file} is broken: ${config.error.message} — fix: ${config.error.fix}`, "");
    }
    if (found.ok) {
      const d = found.value;
      lines.push(
        `${file === undefined ? "" : "detection would find: "}projects in ${d.root}:`,
        ...d.projects.map((p) => `  ${p.type}: ${p.reason}`),
        "gates:",
        ...gateLines(d.config.gates, (name) => d.gates.find((g) => g.name === name)?.reason ?? ""),
      );
      if (d.skipped.length > 0) lines.push("left out:", ...d.skipped.map((s) => `  ${s.name}: ${s.reason}`));
      const setup = detectSetup(root, config?.ok === true ? config.value : null);
      lines.push(
        "dependency setup (in each checkout OMK makes; never in this tree):",
        ...(setup.steps.length === 0
          ? [`  none: ${setup.reason}`]
          : setup.steps.flatMap((st) => [`  ${[st.command, ...st.after].map((c) => c.join(" ")).join(" && ")}`, `  why: ${st.reason}`])),
      );
      if (file === undefined) lines.push("", "pin these by writing them to .omk/gates.yaml (see docs/schemas/gates-config.schema.json)");
    } else if (file !== undefined) {
      lines.push(`detection would find nothing: ${found.error.message}`);
    }
    if (lines.length > 0) io.stdout(`${lines.join("\n")}\n`);
  }
  if (config !== undefined && !config.ok) {
    if (!json) io.stderr(`omk-gates: ${config.error.message} — fix: ${config.error.fix}\n`);
    return GATES_EXIT.usage;
  }
  if (!found.ok && file === undefined) {
    if (!json) io.stderr(`omk-gates: ${found.error.message} — fix: ${found.error.fix}\n`);
    return GATES_EXIT.usage;
  }
  return GATES_EXIT.ok;
}

const errorJson = (e: GatesError) => ({
  code: e.code,
  message: e.message,
  fix: e.fix,
  ...(e instanceof GatesConfigError && e.position !== undefined ? { position: e.position } : {}),
});

function gateLines(gates: readonly Gate[], why: (name: string) => string | undefined): string[] {
  const width = Math.max(...gates.map((g) => g.name.length));
  return gates.flatMap((gate) => {
    const how = gate.builtin !== undefined ? `builtin ${gate.builtin}` : Array.isArray(gate.command) ? gate.command.join(" ") : `sh -c '${gate.command}'`;
    const reason = why(gate.name);
    return [
      `  ${gate.name.padEnd(width)}  ${gate.kind.padEnd(10)} ${gate.required ? "required" : "optional"}  ${how}`,
      ...(reason === undefined ? [] : [`  ${" ".repeat(width)}  why: ${reason}`]),
    ];
  });
}

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]["type"] extends "string" ? string : boolean };

function progress(io: CliIo, quiet: boolean) {
  return (event: GatesEvent) => {
    if (quiet) return;
    const tag = "tree" in event && event.tree === "base" ? "[base] " : "";
    if (event.type === "run_started")
      io.stderr(
        `omk-gates: ${tag}${event.gates.length} gate(s) in ${event.root} at ${event.commit?.slice(0, 12) ?? "(no git)"}${event.dirty === true ? " (dirty)" : ""}\n`,
      );
    else if (event.type === "gate_started") io.stderr(`omk-gates: ${tag}${event.name} started${event.of > 1 ? ` (${event.attempt}/${event.of})` : ""}\n`);
    else if (event.type === "gate_finished")
      io.stderr(`omk-gates: ${tag}${event.result.name} ${event.result.outcome} in ${formatMs(event.result.durationMs)}\n`);
    else if (event.type === "baseline_started") io.stderr(`omk-gates: running the base ${event.ref} (${event.commit.slice(0, 12)}) in ${event.dir}\n`);
    else if (event.type === "setup_finished") io.stderr(`omk-gates: ${tag}dependencies: ${describeSetup(event.setup)}\n`);
  };
}

async function runOrCompare(io: CliIo, command: "run" | "compare", root: string, values: Values): Promise<number> {
  const emit = (report: GatesReport, outDir: string | undefined) => {
    if (values.junit !== undefined) writeOut(io, values.junit, formatJunit(report));
    if (values.markdown !== undefined) writeOut(io, values.markdown, formatMarkdown(report));
    if (outDir !== undefined) writeFileAtomic(path.join(outDir, "report.md"), formatMarkdown(report));
    io.stdout(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatText(report));
    return report.verdict === "passed" ? GATES_EXIT.ok : GATES_EXIT.failed;
  };

  if (command === "compare" && (values["base-report"] !== undefined || values["head-report"] !== undefined)) {
    if (values["base-report"] === undefined || values["head-report"] === undefined)
      throw new UsageProblem("compare needs both --base-report and --head-report");
    const base = readReport(path.resolve(io.cwd, values["base-report"]));
    const head = readReport(path.resolve(io.cwd, values["head-report"]));
    const comparison = compareReports(base, head, { baseRef: base.commit ?? "base", baseReport: values["base-report"] });
    return emit({ ...head, verdict: comparison.verdict, comparison }, undefined);
  }
  if (command === "compare" && values.base === undefined) throw new UsageProblem("compare needs --base REF (or --base-report and --head-report)");
  if (command === "run" && values.base !== undefined) throw new UsageProblem("--base is for compare; run takes --diff-base for the builtin gates");

  const parallel = values.parallel === undefined ? undefined : Number(values.parallel);
  if (parallel !== undefined && !(Number.isInteger(parallel) && parallel >= 1 && parallel <= 64))
    throw new UsageProblem(`--parallel ${values.parallel} must be a whole number from 1 to 64`);
  const loaded = loadGates(root, values.config === undefined ? {} : { config: path.resolve(io.cwd, values.config) });
  if (!loaded.ok) throw loaded.error;
  const runId = newRunId();
  const outDir = values.out !== undefined ? path.resolve(io.cwd, values.out) : path.join(defaultRunsDir(root, io.env), runId);
  const common = {
    root,
    config: loaded.value.config,
    configSource: loaded.value.source,
    outDir,
    runId,
    // What omk-gates writes inside the project only when asked to (--out, --junit, --markdown there) is not the project's change.
    dirtyExclude: [outDir, ...[values.junit, values.markdown].flatMap((f) => (f === undefined ? [] : [path.resolve(io.cwd, f)]))],
    env: io.env,
    onEvent: progress(io, values.quiet === true),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    ...(values.only === undefined
      ? {}
      : {
          only: values.only
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== ""),
        }),
    ...(parallel === undefined ? {} : { parallelism: parallel }),
    ...(values["diff-base"] === undefined ? {} : { diffBase: values["diff-base"] }),
  };
  if (loaded.value.detection !== undefined && values.quiet !== true)
    io.stderr(`omk-gates: no config; detected ${loaded.value.config.gates.map((g) => g.name).join(", ")} (omk-gates detect says why)\n`);
  const missing = values.quiet === true ? undefined : missingDependencies(root, loaded.value.config);
  if (missing !== undefined) io.stderr(`omk-gates: ${missing}\n`);
  const report = command === "run" ? await runGates(common) : (await compareToBaseline({ ...common, base: values.base as string })).head;
  return emit(report, outDir);
}

function readReport(file: string): GatesReport {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageProblem(`cannot read the report ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = GatesReportSchema.safeParse(raw);
  if (!parsed.success) throw new UsageProblem(`${file} is not an omk-gates report: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

function writeOut(io: CliIo, file: string, text: string): void {
  const target = path.resolve(io.cwd, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
}
