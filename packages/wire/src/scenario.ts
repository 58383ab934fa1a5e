import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { WireConfigError } from "./errors.js";
import { err, ok, type Result } from "@omk/core";
import { type Scenario, ScenarioSchema } from "./schemas/scenario.js";

/** Parses a scenario from YAML or JSON text. */
export function parseScenario(text: string, file?: string): Result<Scenario, WireConfigError> {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    return err(new WireConfigError(`not valid YAML/JSON: ${(cause as Error).message}`, { cause, ...(file === undefined ? {} : { file }) }));
  }
  const parsed = ScenarioSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    return err(
      new WireConfigError(`invalid scenario: ${problems}`, { ...(file === undefined ? {} : { file }), fix: "see docs/schemas/scripted-scenario.schema.json" }),
    );
  }
  return ok(parsed.data);
}

/** Reads a scenario file (YAML or JSON). */
export function loadScenario(file: string): Result<Scenario, WireConfigError> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    return err(new WireConfigError(`cannot read scenario: ${(cause as Error).message}`, { cause, file }));
  }
  return parseScenario(text, file);
}
