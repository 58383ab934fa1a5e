/** Names of environment variables whose values are treated as secrets. */
const SECRET_NAME = /(^|_)(KEY|APIKEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIALS?|AUTH|COOKIE|SESSION|PRIVATE)(_|$)/i;
/** Values shorter than this are not redacted by value: too many false hits. */
const MIN_SECRET_VALUE = 6;

/** Common token shapes, redacted wherever they appear. */
const TOKEN_SHAPES: ReadonlyArray<RegExp> = [
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}/g, // OpenAI / Anthropic / Moonshot style keys
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, // Slack
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key id
  /\bAIza[0-9A-Za-z_-]{35}/g, // Google API key
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWT
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];
/** `Bearer <token>` and `"api_key": "<value>"`-like assignments keep their key and lose the value. */
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
// Every pattern starts with a literal or has bounded repeats before its value, so a
// long line (a 300 kB message chunk) is scanned in linear time.
const ASSIGNMENT = /(api[_-]?key|apikey|access[_-]?token|auth[_-]?token|secret|password|passwd|authorization|private[_-]?key)([A-Za-z0-9_.-]{0,40}["']?\s{0,5}[:=]\s{0,5}["']?)([^"'\s,}]{6,})/gi;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{0,20}:\/\/[^/\s:@]{1,256}:)([^@\s/]{3,256})@/gi;

export const REDACTED = "[REDACTED]";

export type RedactorOptions = {
  /** Environment whose secret-looking variables' values are redacted. */
  env?: Record<string, string | undefined>;
  /** More literal values to redact. */
  values?: readonly string[];
};

/** Removes secrets from a string. */
export type Redactor = (text: string) => string;

/** True for variable names like `OPENAI_API_KEY`, `GITHUB_TOKEN`, `DB_PASSWORD`. */
export function looksSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A redactor for transcripts and stderr lines: the values of environment
 * variables with secret-looking names, given literal values, and common token
 * shapes (API keys, GitHub/Slack/AWS/Google/npm tokens, JWTs, bearer tokens,
 * private key blocks, passwords in URLs, `api_key: value` assignments) become
 * `[REDACTED]`.
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const literals = new Set<string>();
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value !== undefined && looksSecretName(name) && value.trim().length >= MIN_SECRET_VALUE) literals.add(value.trim());
  }
  for (const value of options.values ?? []) if (value.trim().length >= 4) literals.add(value.trim());
  const literal =
    literals.size === 0
      ? undefined
      : new RegExp(
          [...literals]
            .sort((a, b) => b.length - a.length)
            .map((v) => escapeRegExp(v))
            .join("|"),
          "g",
        );
  return (text: string): string => {
    let out = text;
    if (literal !== undefined) out = out.replace(literal, REDACTED);
    for (const shape of TOKEN_SHAPES) out = out.replace(shape, REDACTED);
    out = out.replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
    out = out.replace(URL_CREDENTIALS, (_m, head: string) => `${head}${REDACTED}@`);
    out = out.replace(ASSIGNMENT, (match, key: string, sep: string, value: string) => (value.startsWith("[REDACTED") || /^(bearer|basic)$/i.test(value) ? match : `${key}${sep}${REDACTED}`));
    return out;
  };
}
