/** One model an engine offers: its id (what the protocol takes), display name and description when given. */
export type ModelChoice = { id: string; name?: string | undefined; description?: string | undefined };

/**
 * Finds the model a user meant. Tried in order, the first rule with a match
 * wins: the engine's id, the display name, either one ignoring case, the
 * description (some agents put the underlying model name there). Kimi Code
 * lists an env-configured model as `__kimi_env_model__` with its display (or
 * model) name as `name`, so a user can type the name they know.
 */
export function matchModel(wanted: string, choices: readonly ModelChoice[]): { found: ModelChoice } | { ambiguous: ModelChoice[] } | { none: true } {
  const w = wanted.trim();
  const lower = w.toLowerCase();
  const rules: Array<(c: ModelChoice) => boolean> = [
    (c) => c.id === w,
    (c) => c.name === w,
    (c) => c.id.toLowerCase() === lower || c.name?.toLowerCase() === lower,
    (c) => c.description?.trim().toLowerCase() === lower,
  ];
  for (const rule of rules) {
    const hits = choices.filter(rule);
    const ids = new Set(hits.map((c) => c.id));
    if (ids.size === 1 && hits[0] !== undefined) return { found: hits[0] };
    if (ids.size > 1) return { ambiguous: hits };
  }
  return { none: true };
}

/** A model as a user would type it: its name, with the id when that differs and is not an internal alias (`__...`). */
export function describeModel(choice: ModelChoice): string {
  const name = choice.name !== undefined && choice.name.trim() !== "" ? choice.name : choice.id;
  return name !== choice.id && !choice.id.startsWith("__") ? `${name} [${choice.id}]` : name;
}

/** What to type for a model: its name when it has one and it is unique, else its id. */
export function typedModel(choice: ModelChoice, all: readonly ModelChoice[]): string {
  const name = choice.name?.trim();
  if (name !== undefined && name !== "" && all.filter((c) => c.name?.trim() === name).length === 1) return name;
  return choice.id;
}
