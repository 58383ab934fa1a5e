import type { Figure } from "../schemas/config.js";

/**
 * Read a benchmark figure from one run's stdout. `regex`: the first capture
 * group (else the whole match) of the LAST match. `json`: a dot path into
 * the last line that parses as JSON, or into the whole stdout. Undefined
 * when there is no finite number there.
 */
export function readFigure(stdout: string, figure: Figure): number | undefined {
  if ("regex" in figure) {
    const re = new RegExp(figure.regex, "g");
    let last: RegExpExecArray | undefined;
    for (const m of stdout.matchAll(re)) last = m as RegExpExecArray;
    if (last === undefined) return undefined;
    return toNumber(last[1] ?? last[0]);
  }
  const candidates = [stdout, ...stdout.split("\n").reverse()];
  for (const text of candidates) {
    const trimmed = text.trim();
    if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      continue;
    }
    for (const key of figure.json.split(".")) {
      if (value === null || typeof value !== "object") return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return toNumber(value);
  }
  return undefined;
}

function toNumber(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
