import { assignmentRule, LOG_RULES, looksSecretName, PRIVATE_KEY_BEGIN, PRIVATE_KEY_END, type SecretRule, TOKEN_RULES } from "./secret-rules.js";

export { looksSecretName };

/** Values shorter than this are not redacted by value (too many false hits); allowlisted ones from 4 chars. */
const MIN_SECRET_VALUE = 6;
const MIN_ALLOWED_VALUE = 4;
/** A line longer than this is processed in pieces, keeping this much back for a secret split across pieces. */
const MAX_PENDING = 64 * 1024;
const HOLD_BACK = 2048;

export type RedactorOptions = {
  /** Environment whose secret-looking variables' values are redacted (default: none). */
  env?: Record<string, string | undefined>;
  /** Variable names whose values are redacted whatever their names (a gate's env allowlist). */
  names?: readonly string[];
  /** More literal values to redact. */
  values?: readonly string[];
};

/**
 * Removes secrets from text: the values of environment variables whose names
 * look secret (and of allowlisted names), and common token shapes (GitHub,
 * AWS, Slack, npm, JWT, bearer tokens, private key blocks, credentials in
 * URLs, keyword assignments with random-looking values). Each secret becomes
 * `[REDACTED:<rule>]`.
 */
export type Redactor = {
  redact(text: string): string;
  /** Redact any string inside a JSON-like value (arrays and plain objects). */
  redactDeep<T>(value: T): T;
  /** A streaming redactor: a secret split across chunks is still caught. */
  stream(): StreamRedactor;
  /** How many literal values it redacts. */
  readonly literalCount: number;
};

export type StreamRedactor = {
  /** Feed text; returns what is safe to write now (it may hold back a partial line). */
  push(text: string): string;
  /** The rest, at end of stream. */
  end(): string;
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A literal secret value a redactor knows, with where it came from (`env:NAME`, `value`); never printed. */
export type KnownSecret = { readonly value: string; readonly label: string };

/**
 * The literal values a redactor made from `options` knows (without their
 * encodings): secret-named env values of 8+ chars, allowlisted names' and
 * given values of 4+ chars, each line of a multi-line value on its own.
 * The secret scan matches them in a change (scanDiffForSecrets `known`).
 */
export function knownSecretValues(options: RedactorOptions = {}): KnownSecret[] {
  const literals = new Map<string, string>();
  const addValue = (value: string | undefined, label: string, min: number) => {
    if (value === undefined) return;
    for (const part of value.split(/\r?\n/)) {
      const v = part.trim();
      if (v.length >= min && !literals.has(v)) literals.set(v, label);
    }
  };
  const env = options.env ?? {};
  for (const name of options.names ?? []) addValue(env[name], `env:${name}`, MIN_ALLOWED_VALUE);
  for (const [name, value] of Object.entries(env)) if (looksSecretName(name)) addValue(value, `env:${name}`, MIN_SECRET_VALUE);
  for (const value of options.values ?? []) addValue(value, "value", MIN_ALLOWED_VALUE);
  return [...literals].map(([value, label]) => ({ value, label }));
}

export function createRedactor(options: RedactorOptions = {}): Redactor {
  // A multi-line value (a PEM in a variable) is redacted line by line: the stream redactor works on lines.
  const literals = new Map<string, string>(knownSecretValues(options).map((k) => [k.value, k.label])); // value -> label
  // The common encodings of each secret value too (`printf %s "$TOKEN" | base64` in a log is the token),
  // labelled with the form's name as knownSecretMatcher names it (`env:NAME:base64`, `env:NAME:hex`).
  for (const [value, label] of [...literals]) {
    const bytes = Buffer.from(value, "utf8");
    const forms: Array<[string, KnownSecretForm]> = [
      [bytes.toString("base64").replace(/=+$/, ""), "base64"],
      [bytes.toString("base64url"), "base64"],
      [bytes.toString("hex"), "hex"],
    ];
    for (const [encoded, form] of forms) if (!literals.has(encoded)) literals.set(encoded, `${label}:${form}`);
  }

  const rules: SecretRule[] = [];
  if (literals.size > 0) {
    const sorted = [...literals.keys()].sort((a, b) => b.length - a.length);
    rules.push({ id: "env", pattern: new RegExp(sorted.map(escapeRegExp).join("|"), "g") });
  }
  rules.push(...TOKEN_RULES, ...LOG_RULES, assignmentRule(false));

  const redactLine = (text: string): string => {
    let out = text;
    for (const rule of rules) {
      rule.pattern.lastIndex = 0;
      out = out.replace(rule.pattern, (match: string, ...groups: unknown[]) => {
        const label = rule.id === "env" ? (literals.get(match) ?? "env") : rule.id;
        if (rule.group === undefined) return `[REDACTED:${label}]`;
        const secret = groups[rule.group - 1];
        if (typeof secret !== "string" || secret === "") return match;
        if (rule.accept !== undefined && !rule.accept(secret)) return match;
        const at = match.lastIndexOf(secret);
        return `${match.slice(0, at)}[REDACTED:${label}]${match.slice(at + secret.length)}`;
      });
    }
    return out;
  };

  /**
   * Where to cut a long line without a newline: at most `limit`, never inside
   * something a rule matches in the whole pending text (a cut inside a secret
   * would write its two halves to two unredacted blocks). Moves back to the
   * start of a spanning match; a match that starts at 0 is cut after instead.
   */
  const safeCut = (text: string, limit: number): number => {
    const spans: Array<[number, number]> = [];
    for (const rule of [...rules, { id: "private-key", pattern: new RegExp(PRIVATE_KEY_BEGIN.source, "g") }]) {
      for (const m of text.matchAll(rule.pattern)) spans.push([m.index, m.index + m[0].length]);
    }
    let cut = limit;
    for (let moved = true; moved; ) {
      moved = false;
      for (const [start, end] of spans) {
        if (start < cut && cut < end) {
          cut = start;
          moved = true;
        }
      }
    }
    if (cut > 0) return cut;
    // A match from the very start spans the limit: cut after the longest one, so it is redacted whole.
    return Math.max(...spans.filter(([start, end]) => start === 0 && end > limit).map(([, end]) => end), limit);
  };

  const stream = (): StreamRedactor => {
    let pending = "";
    let inKey = false;
    const drain = (final: boolean): string => {
      let out = "";
      for (;;) {
        if (inKey) {
          const end = PRIVATE_KEY_END.exec(pending);
          if (end === null) {
            // Drop key material; keep enough to see an END marker split across chunks.
            pending = final ? "" : pending.slice(-64);
            return out;
          }
          pending = pending.slice(end.index + end[0].length);
          inKey = false;
          continue;
        }
        let cut = final ? pending.length : pending.lastIndexOf("\n") + 1;
        if (!final && cut === 0 && pending.length > MAX_PENDING) cut = safeCut(pending, pending.length - HOLD_BACK);
        if (cut <= 0) return out;
        const block = pending.slice(0, cut);
        const begin = PRIVATE_KEY_BEGIN.exec(block);
        if (begin !== null) {
          out += `${redactLine(block.slice(0, begin.index))}[REDACTED:private-key]`;
          pending = pending.slice(begin.index + begin[0].length);
          inKey = true;
          continue;
        }
        out += redactLine(block);
        pending = pending.slice(cut);
        if (final) return out;
      }
    };
    return {
      push(text: string): string {
        pending += text;
        return drain(false);
      },
      end(): string {
        const out = drain(true);
        inKey = false;
        return out;
      },
    };
  };

  const redact = (text: string): string => {
    const s = stream();
    return s.push(text) + s.end();
  };

  const redactDeep = <T>(value: T): T => {
    if (typeof value === "string") return redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
    if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
    }
    return value;
  };

  return { redact, redactDeep, stream, literalCount: literals.size };
}

/** How a known value appeared: as is, base64 (any alignment, standard or URL alphabet), hex, or one character at a time with blanks between. */
export type KnownSecretForm = "plain" | "base64" | "hex" | "spaced";

/** A known secret found in a text: which one (its label, `env:NAME` or `value`) and in which form; never the value. */
export type KnownSecretHit = { readonly label: string; readonly form: KnownSecretForm };

export type KnownSecretMatcher = {
  /** The known secrets in `text`, each label and form once. */
  find(text: string): KnownSecretHit[];
  /** `text` with every form it finds replaced by `[REDACTED:<label>:<form>]`. */
  redact(text: string): string;
  /** How many known values it looks for. */
  readonly size: number;
};

/** Between the characters of a spelled-out value: 1 to 3 blanks, or a JSON-escaped line break or tab (text inside a JSON-RPC line). */
const SPACED_SEPARATOR = String.raw`(?:[ \t\r\n]|\\[nrt]){1,3}`;

/**
 * The base64 forms of `value` that stand for it wherever it sits in an encoded
 * stream: for each of the three byte alignments, the encoding of the part of
 * the value that fills whole 3-byte groups (what precedes or follows it changes
 * only the characters around them), in the standard and the URL alphabet.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const forms = new Set<string>();
  for (let skip = 0; skip < 3; skip++) {
    const core = bytes.subarray(skip);
    const whole = core.subarray(0, core.length - (core.length % 3));
    if (whole.length < 6) continue;
    const std = whole.toString("base64");
    forms.add(std);
    forms.add(whole.toString("base64url"));
  }
  return [...forms];
}

/**
 * A matcher for the literal values a redactor knows (knownSecretValues): the
 * value itself (also as it reads inside a JSON string), its base64 at any
 * alignment, its hex, and the value spelled out one character at a time with
 * blanks between (`sed 's/./& /g'`). It names which secret it found and how,
 * never the value: it tells that output (a transcript, a command's output)
 * carried a secret the redactor then removed. Values shorter than 8
 * characters are not looked for (too many false hits).
 */
export function knownSecretMatcher(known: readonly KnownSecret[]): KnownSecretMatcher {
  const literal = new Map<string, KnownSecretHit>();
  const spaced: Array<{ pattern: RegExp; hit: KnownSecretHit }> = [];
  const add = (form: string, hit: KnownSecretHit) => {
    if (form.length >= MIN_SECRET_VALUE && !literal.has(form)) literal.set(form, hit);
  };
  let size = 0;
  for (const { value, label } of known) {
    if (value.length < MIN_SECRET_VALUE) continue;
    size++;
    add(value, { label, form: "plain" });
    add(JSON.stringify(value).slice(1, -1), { label, form: "plain" });
    for (const form of base64Forms(value)) add(form, { label, form: "base64" });
    add(Buffer.from(value, "utf8").toString("hex"), { label, form: "hex" });
    const chars = [...value].filter((c) => c.trim() !== "");
    if (chars.length >= MIN_SECRET_VALUE)
      spaced.push({ pattern: new RegExp(chars.map(escapeRegExp).join(SPACED_SEPARATOR), "g"), hit: { label, form: "spaced" } });
  }
  const alternation =
    literal.size === 0
      ? undefined
      : new RegExp(
          [...literal.keys()]
            .sort((a, b) => b.length - a.length)
            .map(escapeRegExp)
            .join("|"),
          "g",
        );
  return {
    size,
    find(text: string): KnownSecretHit[] {
      const hits = new Map<string, KnownSecretHit>();
      const note = (hit: KnownSecretHit) => hits.set(`${hit.label}\u0000${hit.form}`, hit);
      if (alternation !== undefined) {
        alternation.lastIndex = 0;
        for (const match of text.matchAll(alternation)) {
          const hit = literal.get(match[0]);
          if (hit !== undefined) note(hit);
        }
      }
      for (const { pattern, hit } of spaced) {
        pattern.lastIndex = 0;
        if (pattern.test(text)) note(hit);
      }
      return [...hits.values()];
    },
    redact(text: string): string {
      let out = text;
      if (alternation !== undefined) {
        alternation.lastIndex = 0;
        out = out.replace(alternation, (match) => {
          const hit = literal.get(match);
          return hit === undefined ? match : `[REDACTED:${hit.label}:${hit.form}]`;
        });
      }
      for (const { pattern, hit } of spaced) {
        pattern.lastIndex = 0;
        out = out.replace(pattern, `[REDACTED:${hit.label}:${hit.form}]`);
      }
      return out;
    },
  };
}
