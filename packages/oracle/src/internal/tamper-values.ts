/**
 * The value a bound or an expected value stands for, when a test line's
 * literal was replaced by arithmetic (`0.9` → `0.9 - 0.8`) or by a name
 * (`toBe(42)` → `toBe(expected)`, `>= 0.9` → `>= min`). Arithmetic of
 * literals is folded; a name is resolved when the file defines it once (or
 * always the same way) as a literal or literal arithmetic, and never assigns
 * it again. Anything else is "unresolved": the check can no longer be read
 * from the test.
 */

type Literal = { readonly kind: "number"; readonly value: number } | { readonly kind: "other"; readonly value: string };
export type Resolved = { readonly ok: true; readonly literal: Literal; readonly via: string } | { readonly ok: false; readonly why: string };

type Token = { readonly text: string; readonly at: number; readonly kind: "num" | "name" | "str" | "punct" };

const TOKEN =
  /\s*(?:(?<num>\d[\d_]*(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)|(?<name>[A-Za-z_$][\w$]*)|(?<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\$]|\\.)*`)|(?<punct>===|!==|==|!=|<=|>=|&&|\|\||\?\?|\*\*|=>|\?\.|[^\s\w]))/uy;

function tokens(text: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  for (;;) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (m === null || m[0] === "") break;
    const g = m.groups ?? {};
    const kind = g["num"] !== undefined ? "num" : g["name"] !== undefined ? "name" : g["str"] !== undefined ? "str" : "punct";
    const tok = (g["num"] ?? g["name"] ?? g["str"] ?? g["punct"]) as string;
    out.push({ text: tok, at: start + m[0].length - tok.length, kind });
  }
  return out;
}

/** Folds `tokens` as arithmetic of number literals (+ - * / % **, unary minus, parentheses); undefined if it is anything else. */
function fold(toks: readonly Token[]): number | undefined {
  let i = 0;
  const peek = () => toks[i]?.text;
  const primary = (): number | undefined => {
    const t = toks[i];
    if (t === undefined) return undefined;
    if (t.text === "(") {
      i++;
      const v = sum();
      if (peek() !== ")") return undefined;
      i++;
      return v;
    }
    if (t.text === "-" || t.text === "+") {
      i++;
      const v = power();
      return v === undefined ? undefined : t.text === "-" ? -v : v;
    }
    if (t.kind === "num") {
      i++;
      return Number(t.text.replace(/_/gu, ""));
    }
    return undefined;
  };
  const power = (): number | undefined => {
    const base = primary();
    if (base === undefined) return undefined;
    if (peek() === "**") {
      i++;
      const exp = power();
      return exp === undefined ? undefined : base ** exp;
    }
    return base;
  };
  const product = (): number | undefined => {
    let v = power();
    while (v !== undefined && (peek() === "*" || peek() === "/" || peek() === "%")) {
      const op = toks[i++]?.text;
      const r = power();
      if (r === undefined) return undefined;
      v = op === "*" ? v * r : op === "/" ? v / r : v % r;
    }
    return v;
  };
  const sum = (): number | undefined => {
    let v = product();
    while (v !== undefined && (peek() === "+" || peek() === "-")) {
      const op = toks[i++]?.text;
      const r = product();
      if (r === undefined) return undefined;
      v = op === "+" ? v + r : v - r;
    }
    return v;
  };
  if (toks.length === 0) return undefined;
  const v = sum();
  return i === toks.length && v !== undefined && Number.isFinite(v) ? v : undefined;
}

const OTHER_LITERALS = new Set(["true", "false", "null", "undefined", "True", "False", "None"]);

/** A literal written out: a number (or literal arithmetic), a string, true/false/null. */
function literalOf(toks: readonly Token[]): Literal | undefined {
  const n = fold(toks);
  if (n !== undefined) return { kind: "number", value: n };
  const [only] = toks;
  if (toks.length === 1 && only !== undefined && (only.kind === "str" || OTHER_LITERALS.has(only.text))) return { kind: "other", value: only.text };
  return undefined;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");

/** What `name` stands for in `source` (the whole new file, or what the diff shows of it). */
function resolveName(name: string, source: string, depth = 0): Resolved {
  if (depth > 4) return { ok: false, why: `${name} is defined through too many names` };
  const n = escapeRegExp(name);
  const defs = [
    ...source.matchAll(new RegExp(`\\b(?:const|let|var)\\s+${n}\\s*(?::[^=\\n]+)?=(?!=)\\s*([^;\\n]+?)\\s*(?:;|\\n|$)`, "gmu")),
    ...source.matchAll(new RegExp(`^[ \\t]*${n}\\s*(?::\\s*[\\w.\\[\\], ]+)?=(?!=)\\s*([^\\n#]+?)\\s*(?:#.*)?$`, "gmu")),
  ].map((m) => (m[1] as string).trim());
  const assignments = [
    ...source.matchAll(new RegExp(`(?<![\\w$.])${n}\\s*(?:[-+*/%]|\\*\\*)?=(?![=>])|(?<![\\w$.])${n}\\s*(?:\\+\\+|--)|(?:\\+\\+|--)${n}(?![\\w$])`, "gmu")),
  ].length;
  if (defs.length === 0) return { ok: false, why: `${name} is not defined as a constant in this file` };
  if (assignments > defs.length) return { ok: false, why: `${name} is assigned more than once` };
  let found: Literal | undefined;
  for (const def of defs) {
    const toks = tokens(def);
    let lit = literalOf(toks);
    const [only] = toks;
    if (lit === undefined && toks.length === 1 && only?.kind === "name") {
      const inner = resolveName(only.text, source, depth + 1);
      if (!inner.ok) return { ok: false, why: `${name} = ${def}: ${inner.why}` };
      lit = inner.literal;
    }
    if (lit === undefined) return { ok: false, why: `${name} is defined as \`${def}\`, not as a literal` };
    if (found !== undefined && (found.kind !== lit.kind || found.value !== lit.value)) return { ok: false, why: `${name} is defined with different values` };
    found = lit;
  }
  return found === undefined ? { ok: false, why: `${name} has no value` } : { ok: true, literal: found, via: `${name} = ${defs[0]}` };
}

/** What an expression stands for: a literal, arithmetic of literals, or one (dotted-free) name resolved in `source`. */
export function resolveValue(toks: readonly Token[], source: string): Resolved {
  const lit = literalOf(toks);
  if (lit !== undefined) return { ok: true, literal: lit, via: toks.map((t) => t.text).join(" ") };
  // Names and literals in arithmetic: every name resolved to a number, then folded.
  if (toks.some((t) => t.kind === "name") && toks.every((t) => t.kind !== "str")) {
    const values: Token[] = [];
    const via: string[] = [];
    for (const t of toks) {
      if (t.kind !== "name") {
        values.push(t);
        continue;
      }
      if (OTHER_LITERALS.has(t.text) && toks.length === 1) return { ok: true, literal: { kind: "other", value: t.text }, via: t.text };
      const r = resolveName(t.text, source);
      if (!r.ok) return r;
      if (r.literal.kind !== "number") return toks.length === 1 ? r : { ok: false, why: `${t.text} is not a number` };
      values.push({ text: String(r.literal.value), at: t.at, kind: "num" });
      via.push(r.via);
    }
    const v = fold(values);
    if (v !== undefined) return { ok: true, literal: { kind: "number", value: v }, via: via.join(", ") };
  }
  return { ok: false, why: `\`${toks.map((t) => t.text).join(" ")}\` is not a literal or a constant of this file` };
}

/**
 * Where two lines differ, as token ranges: the common token prefix and
 * suffix are cut off; an empty side is widened by the neighbouring operand
 * (`0.9` → `0.9 - 0.8` differs in `0.9` vs `0.9 - 0.8`).
 */
export function tokenDiff(a: string, b: string): { a: Token[]; b: Token[]; at: number; end: number; aAll: Token[]; bAll: Token[] } | undefined {
  const ta = tokens(a);
  const tb = tokens(b);
  let p = 0;
  while (p < ta.length && p < tb.length && ta[p]?.text === tb[p]?.text) p++;
  let s = 0;
  while (s < ta.length - p && s < tb.length - p && ta[ta.length - 1 - s]?.text === tb[tb.length - 1 - s]?.text) s++;
  if (p === ta.length && p === tb.length) return undefined;
  let from = p;
  let toA = ta.length - s;
  let toB = tb.length - s;
  // Widen to whole operands: a side that starts or ends with an operator takes its neighbour.
  const op = (t: Token | undefined) => t !== undefined && /^([-+*/%]|\*\*)$/u.test(t.text);
  const operand = (t: Token | undefined) => t !== undefined && (t.kind === "num" || t.kind === "name" || t.text === ")");
  while (
    from > 0 &&
    (from === toA || from === toB || op(ta[from]) || op(tb[from]) || ta[from]?.text === ")" || tb[from]?.text === ")") &&
    operand(ta[from - 1])
  )
    from--;
  while (
    s > 0 &&
    (op(ta[toA - 1]) || op(tb[toB - 1]) || toA === from || toB === from) &&
    (ta[toA]?.kind === "num" || ta[toA]?.kind === "name" || ta[toA]?.text === "(")
  ) {
    toA++;
    toB++;
    s--;
  }
  const sa = ta.slice(from, toA);
  const first = sa[0];
  const last = sa[sa.length - 1];
  if (first === undefined || last === undefined) return undefined;
  return { a: sa, b: tb.slice(from, toB), at: first.at, end: last.at + last.text.length, aAll: ta, bAll: tb };
}
