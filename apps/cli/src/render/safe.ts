/**
 * Text OMK did not write itself (an agent's or engine's answer, a task title
 * from a plan, a review finding, a failure's cause, the goal's text, a path
 * in the repository) made safe to print on a terminal, as one line: line
 * breaks, control characters (C0, DEL, C1: ESC starts the terminal's escape
 * sequences, \x9b is a one-byte CSI), and the Unicode characters that reorder
 * or split what is shown (bidi overrides and isolates, line and paragraph
 * separators) are shown as visible escapes (`\n`, `\x1b`, `\u202e`), so such
 * text can neither forge a line (a fake `next:`) nor hide or recolour one
 * (ESC[8m). JSON output needs none of this: JSON.stringify escapes them.
 * Why: docs/decisions/printed-commands.md (untrusted text).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
