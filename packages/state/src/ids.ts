import { monotonicFactory } from "ulid";
import { z } from "zod";
import { InvalidIdError } from "./errors.js";

/**
 * Ids are path-safe and never contain separators, `..`, or control
 * characters; goal ids are ULIDs (time-sortable, lowercase, 26 chars).
 */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why `value` is not a safe id, or undefined when it is one. */
export function idProblem(value: string): string | undefined {
  if (value.length === 0) return "is empty";
  if (value.length > 128) return "is longer than 128 characters";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the check
  if (/[\u0000-\u001f\u007f]/.test(value)) return "contains a control character";
  if (value.includes("/") || value.includes("\\")) return "contains a path separator";
  if (value.includes("..")) return 'contains ".."';
  if (!SAFE_ID.test(value)) return "may hold only letters, digits, '.', '-' and '_', starting with a letter or digit";
  return undefined;
}

/** Parse an id from argv or a file; throws InvalidIdError naming the problem. */
export function parseId(value: string, what = "id"): string {
  const problem = idProblem(value);
  if (problem !== undefined) throw new InvalidIdError(`${what} ${JSON.stringify(value)} ${problem}`);
  return value;
}

export const IdSchema = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: `id ${problem}` });
});

const nextUlid = monotonicFactory();

/** A new goal id: a lowercase ULID, sortable by creation time.
 * @public (a README example uses it)
 */
export function newGoalId(now: number = Date.now()): string {
  return nextUlid(now).toLowerCase();
}
