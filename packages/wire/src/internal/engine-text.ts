/**
 * An engine-supplied id, name or code as text: a string as is, a number in
 * decimal, anything else "". Never `String(x)` on engine data: a JSON object
 * such as `{"toString":1}` makes `String`, `Number` and template literals
 * throw, and a throw inside a stream listener would end OMK.
 */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return "";
}
