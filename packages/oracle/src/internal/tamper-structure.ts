/**
 * Structural tamper rules over a test file's old and new source: an
 * assertion that existed before and now runs only under a new condition
 * (`if (false) expect(x).toBe(1)`, `cond && expect(…)`, a `try` that
 * swallows its failure), after a new early `return`, or that moved into a
 * comment (`/* … *\/`, `//`, even inside the statement). JS/TS files are read
 * with the TypeScript compiler API (error tolerant, so a hunk fragment parses
 * too); Python by indentation.
 *
 * Only assertions present in the old source are judged, matched to the new
 * one by their text (whitespace and comments aside, a multiset): a new test
 * with an `if` or an early return is not a finding, and an assertion whose
 * guards and preceding exits did not change is paired first.
 */
import { createRequire } from "node:module";
import type * as TS from "typescript";
import { ASSERTION } from "./tamper-rules.js";

type StructureKind = "assertion_guarded" | "assertion_unreachable" | "assert_commented_out";
export type StructureFinding = { readonly kind: StructureKind; readonly line: number; readonly evidence: string; readonly message: string };

/** One assertion of a source: its text as a key, the conditions it runs under and the early exits before it. */
type Assertion = { readonly key: string; readonly line: number; readonly text: string; readonly guards: readonly string[]; readonly exits: readonly string[] };
type Comment = { readonly body: string; readonly line: number };
type Shape = {
  readonly assertions: readonly Assertion[];
  readonly comments: readonly Comment[];
  readonly uncommented: readonly { key: string; line: number; text: string }[];
};

/** Text as a key: no whitespace, no trailing `;`. */
const keyOf = (text: string) => text.replace(/\s+/gu, "").replace(/;+$/u, "");
const short = (text: string) => {
  const one = text.replace(/\s+/gu, " ").trim();
  return one.length > 120 ? `${one.slice(0, 117)}...` : one;
};

let tsModule: typeof TS | undefined;
/** The compiler, loaded on first use (it is large; most diffs touch no JS/TS test). */
function typescript(): typeof TS {
  tsModule ??= createRequire(import.meta.url)("typescript") as typeof TS;
  return tsModule;
}

const JS_FILE = /\.[cm]?[jt]sx?$/u;

function jsShape(source: string, file: string): Shape {
  const ts = typescript();
  const kind = /\.tsx$/u.test(file)
    ? ts.ScriptKind.TSX
    : /\.jsx$/u.test(file)
      ? ts.ScriptKind.JSX
      : /\.[cm]?ts$/u.test(file)
        ? ts.ScriptKind.TS
        : ts.ScriptKind.JS;
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, kind);
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;

  // Every comment once, with its position (a node's leading and trailing trivia).
  const ranges = new Map<number, TS.CommentRange>();
  const collect = (pos: number) => {
    for (const r of [...(ts.getLeadingCommentRanges(source, pos) ?? []), ...(ts.getTrailingCommentRanges(source, pos) ?? [])]) ranges.set(r.pos, r);
  };
  const visitTrivia = (node: TS.Node) => {
    collect(node.pos);
    collect(node.end);
    ts.forEachChild(node, visitTrivia);
  };
  visitTrivia(sf);
  collect(sf.endOfFileToken.pos);
  const sorted = [...ranges.values()].sort((a, b) => a.pos - b.pos);
  const bodyOf = (r: TS.CommentRange) => {
    const raw = source.slice(r.pos, r.end);
    return r.kind === ts.SyntaxKind.SingleLineCommentTrivia
      ? raw.replace(/^\/\/+/u, "")
      : raw
          .replace(/^\/\*+/u, "")
          .replace(/\*+\/$/u, "")
          .replace(/^\s*\*+(?!\/)/gmu, "");
  };
  const comments = sorted.map((r) => ({ body: bodyOf(r), line: lineOf(r.pos) }));
  /** A span's text without its comments (`uncomment`: with their bodies in place of them). */
  const spanText = (start: number, end: number, uncomment: boolean) => {
    let out = "";
    let at = start;
    for (const r of sorted) {
      if (r.end <= start || r.pos >= end) continue;
      out += source.slice(at, Math.max(at, r.pos));
      if (uncomment) out += ` ${bodyOf(r)} `;
      at = Math.max(at, r.end);
    }
    return out + source.slice(at, end);
  };

  const isFunction = (n: TS.Node) => ts.isFunctionLike(n);
  /** Whether a `return` of the function `n` is in (not inside a nested function). */
  const hasReturn = (n: TS.Node): boolean => {
    if (ts.isReturnStatement(n)) return true;
    if (isFunction(n) || ts.isClassLike(n)) return false;
    return ts.forEachChild(n, (c) => (hasReturn(c) ? true : undefined)) === true;
  };
  /**
   * Whether a branch fails the test: it throws or calls fail() (`assert.fail`, `expect.fail`, `expect.unreachable`).
   * An `if` with such an `else` narrows a type, it doesn't hide. A branch that merely asserts does not count
   * (`else expect(true).toBe(true)` would pass).
   */
  const FAIL_CALL = /^(?:assert\.fail|expect\.fail|expect\.unreachable|fail)\s*\(/u;
  const failsNow = (n: TS.Node): boolean =>
    ts.isThrowStatement(n) ||
    (ts.isExpressionStatement(n) && FAIL_CALL.test(n.expression.getText(sf))) ||
    (ts.isCallExpression(n) && FAIL_CALL.test(n.getText(sf)));
  const fails = (n: TS.Node | undefined): boolean => {
    if (n === undefined) return false;
    if (ts.isBlock(n)) return n.statements.some(failsNow);
    if (ts.isParenthesizedExpression(n)) return fails(n.expression);
    return failsNow(n);
  };
  const condition = (n: TS.Node) => keyOf(spanText(n.getStart(sf), n.end, false));

  /** Expression-level guards: `c && expect(…)`, `c ? expect(…) : x`, `f?.(expect(…))` — peeled down to the assertion itself. */
  const peel = (e: TS.Expression, guards: string[]): TS.Expression => {
    let cur = e;
    for (;;) {
      if (ts.isParenthesizedExpression(cur) || ts.isAwaitExpression(cur) || ts.isVoidExpression(cur)) {
        cur = cur.expression;
        continue;
      }
      if (ts.isBinaryExpression(cur)) {
        const op = cur.operatorToken.kind;
        if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken) {
          if (ASSERTION.test(cur.right.getText(sf))) {
            guards.push(`${ts.tokenToString(op)}${condition(cur.left)}`);
            cur = cur.right;
            continue;
          }
          cur = cur.left;
          continue;
        }
        if (op === ts.SyntaxKind.CommaToken) return cur;
      }
      if (ts.isConditionalExpression(cur)) {
        const inTrue = ASSERTION.test(cur.whenTrue.getText(sf));
        const branch = inTrue ? cur.whenTrue : cur.whenFalse;
        const other = inTrue ? cur.whenFalse : cur.whenTrue;
        if (!fails(other)) guards.push(`?${condition(cur.condition)}:${inTrue}`);
        cur = branch;
        continue;
      }
      return cur;
    }
  };

  /**
   * Whether a function around an assertion runs: a callback (an argument of a call: `it(…, fn)`, `waitFor(fn)`),
   * invoked on the spot, or named and its name used again in the file. An arrow left as a statement, or a helper
   * nothing names, never runs its assertions.
   */
  const called = (f: TS.Node): boolean => {
    let p = f.parent;
    while (p !== undefined && ts.isParenthesizedExpression(p)) p = p.parent;
    if (p === undefined) return true;
    if (ts.isCallExpression(p) || ts.isNewExpression(p)) return true;
    if (ts.isClassLike(p) || ts.isObjectLiteralExpression(p) || ts.isPropertyAssignment(p)) return true;
    if (ts.isReturnStatement(p) || ts.isArrayLiteralExpression(p) || ts.isExportAssignment(p)) return true;
    const name =
      (ts.isFunctionDeclaration(f) || ts.isFunctionExpression(f)) && f.name !== undefined
        ? f.name.text
        : ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)
          ? p.name.text
          : undefined;
    if (name === undefined) return !ts.isExpressionStatement(p);
    const uses = source.match(new RegExp(`(?<![\\w$.])${name.replace(/\$/gu, "\\$")}(?![\\w$])`, "gu"))?.length ?? 0;
    return uses > 1;
  };

  const assertions: Assertion[] = [];
  const uncommented: { key: string; line: number; text: string }[] = [];
  const visit = (node: TS.Node) => {
    if (ts.isExpressionStatement(node)) {
      const text = spanText(node.getStart(sf), node.end, false);
      const nested = ts.forEachChild(node, function inner(c): true | undefined {
        return ts.isBlock(c) ? true : ts.forEachChild(c, inner);
      });
      if (nested !== true && ASSERTION.test(text)) {
        const guards: string[] = [];
        const core = peel(node.expression, guards);
        const exits: string[] = [];
        // Statement-level guards and exits, from the statement up to the file.
        let child: TS.Node = node;
        for (let p = node.parent; p !== undefined; child = p, p = p.parent) {
          if (ts.isIfStatement(p)) {
            const inThen = p.thenStatement === child;
            if (child !== p.expression && !fails(inThen ? p.elseStatement : p.thenStatement)) guards.push(`if(${condition(p.expression)}):${inThen}`);
          } else if (ts.isCaseClause(p) || ts.isDefaultClause(p)) {
            guards.push(`case:${ts.isCaseClause(p) ? condition(p.expression) : "default"}`);
          } else if (ts.isTryStatement(p) && p.tryBlock === child && p.catchClause !== undefined && !/\bthrow\b/u.test(p.catchClause.block.getText(sf))) {
            guards.push("try/catch");
          }
          if (ts.isFunctionLike(p) && !called(p)) guards.push("uncalled function");
          const siblings = ts.isBlock(p) || ts.isSourceFile(p) || ts.isCaseClause(p) || ts.isDefaultClause(p) || ts.isModuleBlock(p) ? p.statements : undefined;
          if (siblings !== undefined) {
            for (const s of siblings) {
              if (s === child) break;
              if (hasReturn(s)) exits.push(keyOf(spanText(s.getStart(sf), s.end, false)));
            }
          }
        }
        const coreText = spanText(core.getStart(sf), core.end, false);
        assertions.push({ key: keyOf(coreText), line: lineOf(core.getStart(sf)), text: short(text), guards, exits });
      }
      // A leaf statement with a comment inside (`expect(x)/*.toBe(1)*/;`): its text with the comments read as code.
      if (nested !== true && sorted.some((r) => r.pos >= node.getStart(sf) && r.end <= node.end)) {
        uncommented.push({ key: keyOf(spanText(node.getStart(sf), node.end, true)), line: lineOf(node.getStart(sf)), text: short(node.getText(sf)) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { assertions, comments, uncommented };
}

const PY_ASSERT = /^\s*(assert\b|self\.assert\w*\s*\(|pytest\.(raises|approx)\b)/u;
const PY_GUARD = /^\s*(if|elif|else|try|except|while)\b.*:\s*(#.*)?$/u;

function pyShape(source: string): Shape {
  const lines = source.split("\n");
  const indent = (l: string) => l.length - l.trimStart().length;
  const assertions: Assertion[] = [];
  const comments: Comment[] = [];
  // Triple-quoted strings that stand alone are Python's block comments.
  let inString: { quote: string; start: number; body: string[] } | undefined;
  for (const [i, raw] of lines.entries()) {
    const l = raw.trimEnd();
    if (inString !== undefined) {
      const end = l.indexOf(inString.quote);
      if (end >= 0) {
        inString.body.push(l.slice(0, end));
        comments.push({ body: inString.body.join("\n"), line: inString.start });
        inString = undefined;
      } else inString.body.push(l);
      continue;
    }
    const doc = /^\s*(?:[rRuU]?)("""|''')(.*)$/u.exec(l);
    if (doc !== null) {
      const quote = doc[1] as string;
      const rest = doc[2] as string;
      const end = rest.indexOf(quote);
      if (end >= 0) comments.push({ body: rest.slice(0, end), line: i + 1 });
      else inString = { quote, start: i + 1, body: [rest] };
      continue;
    }
    const hash = /^\s*#+(.*)$/u.exec(l);
    if (hash !== null) {
      comments.push({ body: hash[1] as string, line: i + 1 });
      continue;
    }
    if (!PY_ASSERT.test(l)) continue;
    // Walk up by indentation to the enclosing def: its guards, and the returns before the assertion inside it.
    const guards: string[] = [];
    const exits: string[] = [];
    let level = indent(l);
    const inlineGuard = /^\s*(if|elif|else|while)\b[^:]*:\s*\S/u.exec(l);
    if (inlineGuard !== null) guards.push(keyOf(l.slice(0, l.indexOf(":") + 1)));
    for (let j = i - 1; j >= 0; j--) {
      const prev = (lines[j] as string).trimEnd();
      if (prev.trim() === "" || /^\s*#/u.test(prev)) continue;
      const at = indent(prev);
      if (/^\s*return\b/u.test(prev) || /:\s*return\b/u.test(prev)) exits.push(`${j}:${keyOf(prev)}`);
      if (at < level) {
        level = at;
        if (/^\s*(async\s+)?def\b/u.test(prev)) break;
        if (PY_GUARD.test(prev)) guards.push(keyOf(prev));
      }
    }
    const key = keyOf(l.replace(/^\s*(if|elif|while)\b[^:]*:\s*/u, "").replace(/\s+#.*$/u, ""));
    // Exits are named by their text (a line number shifts when anything above moves).
    assertions.push({ key, line: i + 1, text: short(l), guards, exits: exits.map((e) => e.slice(e.indexOf(":") + 1)) });
  }
  return { assertions, comments, uncommented: [] };
}

/** The shape of a source, or undefined for a language these rules do not read. */
function shapeOf(source: string, file: string): Shape | undefined {
  if (JS_FILE.test(file)) return jsShape(source, file);
  if (file.endsWith(".py")) return pyShape(source);
  return undefined;
}

const signature = (a: Assertion) => `${a.guards.join("\u0000")}\u0001${a.exits.join("\u0000")}`;

/** Structural findings for one test file: what its existing assertions lost between `before` and `after`. */
export function structureFindings(before: string, after: string, file: string): StructureFinding[] {
  const old = shapeOf(before, file);
  const now = shapeOf(after, file);
  if (old === undefined || now === undefined) return [];
  const findings: StructureFinding[] = [];
  const byKey = (list: readonly Assertion[]) => {
    const m = new Map<string, Assertion[]>();
    for (const a of list) m.set(a.key, [...(m.get(a.key) ?? []), a]);
    return m;
  };
  const oldByKey = byKey(old.assertions);
  const newByKey = byKey(now.assertions);
  const leftover = new Map<string, Assertion[]>();
  for (const [key, olds] of oldByKey) {
    const news = [...(newByKey.get(key) ?? [])];
    const rest: Assertion[] = [];
    // Unchanged ones first (same guards, same exits), then the rest in order.
    for (const o of olds) {
      const same = news.findIndex((n) => signature(n) === signature(o));
      if (same >= 0) news.splice(same, 1);
      else rest.push(o);
    }
    const unpaired: Assertion[] = [];
    for (const o of rest) {
      const n = news.shift();
      if (n === undefined) {
        unpaired.push(o);
        continue;
      }
      const guard = n.guards.find((g) => !o.guards.includes(g));
      if (guard !== undefined) {
        findings.push({
          kind: "assertion_guarded",
          line: n.line,
          evidence: n.text,
          message:
            "an existing assertion now runs only under a new condition (if, &&, ?:, switch, a try that swallows its failure, or a function nothing calls)",
        });
        continue;
      }
      if (n.exits.some((e) => !o.exits.includes(e))) {
        findings.push({
          kind: "assertion_unreachable",
          line: n.line,
          evidence: n.text,
          message: "a new early return comes before an existing assertion, so it can be skipped",
        });
      }
    }
    if (unpaired.length > 0) leftover.set(key, unpaired);
  }
  // Assertions gone from the code whose text is now in a new comment (or in a statement once its comments are read as code).
  const oldComments = new Map<string, number>();
  for (const c of old.comments) oldComments.set(keyOf(c.body), (oldComments.get(keyOf(c.body)) ?? 0) + 1);
  const newComments = now.comments.filter((c) => {
    const k = keyOf(c.body);
    const left = oldComments.get(k) ?? 0;
    if (left > 0) {
      oldComments.set(k, left - 1);
      return false;
    }
    return true;
  });
  for (const [key, olds] of leftover) {
    if (key === "") continue;
    const inComment = newComments.find((c) => keyOf(c.body).includes(key));
    const inStatement = inComment === undefined ? now.uncommented.find((s) => s.key.includes(key)) : undefined;
    const where = inComment ?? inStatement;
    if (where === undefined) continue;
    for (const o of olds) {
      findings.push({
        kind: "assert_commented_out",
        line: where.line,
        evidence: o.text,
        message: inComment !== undefined ? "an assertion was commented out" : "part of an assertion was commented out, so it no longer checks",
      });
    }
  }
  return findings;
}
