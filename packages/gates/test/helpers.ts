import path from "node:path";
import { fileURLToPath } from "node:url";
import { type GateInput, type GatesConfig, GatesConfigSchema, type GatesEvent, type RunGatesOptions, runGates } from "../src/index.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
export const fixture = (name: string) => path.join(FIXTURES, name);

/** A gate that runs one of the tiny fixture scripts with this Node. */
export function nodeGate(name: string, script: string, args: string[] = [], extra: Partial<GateInput> = {}): GateInput {
  return { name, kind: "custom", command: [process.execPath, fixture(script), ...args], ...extra };
}

export function configOf(...gates: GateInput[]): GatesConfig {
  return GatesConfigSchema.parse({ gates });
}

/** Run gates in `dir` with a short kill grace, collecting the events. */
export async function runIn(dir: string, gates: GateInput[], options: Partial<RunGatesOptions> = {}) {
  const events: GatesEvent[] = [];
  const report = await runGates({
    root: dir,
    config: configOf(...gates),
    outDir: path.join(dir, "out"),
    killGraceMs: 500,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { report, events, gate: (name: string) => report.gates.find((g) => g.name === name) };
}
