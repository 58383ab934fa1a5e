/** Shortens `text` to at most `max` characters, ending with an ellipsis when cut. */
export function truncate(text, max) {
  if (text.length <= max) return text;
  if (max <= 1) return "…".slice(0, max);
  return `${text.slice(0, max - 1).trimEnd()}…`;
}
