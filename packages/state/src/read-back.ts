/** Reading a record OMK wrote back through its zod schema: the value, or a problem naming the file and what is wrong with it. */
import { err, ok, type Result } from "@omk/core";
import type { z } from "zod";

/** JSON text through a zod schema: the value, or why not in one line (the first issue, with its path). */
export function parseJsonWith<S extends z.ZodType>(schema: S, text: string): Result<z.output<S>, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err(`not JSON (${oneLine(e instanceof Error ? e.message : String(e))})`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.map(String).join(".")}`;
  return err(`${oneLine(issue?.message ?? "does not match the schema")}${where}`);
}

/** The problem of a file that is not the record it should be. */
export function recordProblem(
  code: string,
  file: string,
  what: string,
  why: string,
  fix: string,
): { code: string; message: string; fix: string; details: { file: string } } {
  return { code, message: `${file} is not ${what}: ${oneLine(why)}`, fix, details: { file } };
}

const oneLine = (text: string) => text.replace(/\s+/gu, " ").trim();
