/**
 * Shapes of secrets, shared by redaction (gate logs, transcripts, records)
 * and the secret scan of a diff (@omk/gates).
 * Every pattern stays on one line (no `\s` that could cross a newline), so
 * the streaming redactor can cut its input at line ends. Private key blocks
 * span lines and are handled separately (PRIVATE_KEY_BEGIN/END).
 */
export type SecretRule = {
  id: string;
  /** Global regex; `group` names the capture holding the secret (else the whole match). */
  pattern: RegExp;
  group?: number;
  /** Extra check on the candidate secret (entropy, character mix). */
  accept?: (secret: string) => boolean;
};

const H = "[ \\t]"; // horizontal space only

/** Shannon entropy in bits per character. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const KEYWORD = "(?:secret|token|passw(?:or)?d|passphrase|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?)";

/** Token shapes with a recognizable prefix: precise, used everywhere. */
export const TOKEN_RULES: readonly SecretRule[] = [
  { id: "github-token", pattern: /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g }, // real ones have 36; 20+ as the transcripts' rule had
  { id: "github-pat", pattern: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g },
  { id: "aws-access-key-id", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  { id: "slack-token", pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}\b/g },
  { id: "slack-webhook", pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{20,}/g },
  { id: "npm-token", pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { id: "openai-key", pattern: /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b/g },
  { id: "google-api-key", pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { id: "stripe-key", pattern: /\b[rs]k_live_[0-9A-Za-z]{20,}\b/g },
  { id: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { id: "bearer-token", pattern: new RegExp(`\\b(?:Bearer|Basic|token)${H}+([A-Za-z0-9._~+/-]{16,}=*)`, "g"), group: 1 },
  { id: "url-credentials", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]{1,256}:([^\s@/]{3,})@/gi, group: 1 },
];

/**
 * Looser shapes for what OMK writes (logs, transcripts), never for the diff
 * scan, whose false alarms block a goal: a redacted false hit costs a reader
 * a few characters, a missed secret is a leak. These are the bars the
 * transcripts' own redactor had before issue 16 merged the two.
 */
export const LOG_RULES: readonly SecretRule[] = [
  { id: "api-key", pattern: /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}/g },
  { id: "bearer-token", pattern: /\b(?:Bearer|Basic)\s+([A-Za-z0-9._~+/=-]{8,})/gi, group: 1 },
  // Any keyword-named value of 6+ characters (`password=hunter22x`, `"api_key": "1234567890"`): what `cat .env` prints.
  {
    id: "secret-assignment",
    pattern:
      /(?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|secret|password|passwd|authorization|private[_-]?key)[A-Za-z0-9_.-]{0,40}["']?\s{0,5}[:=]\s{0,5}["']?(?!(?:Bearer|Basic)\s|\[REDACTED)([^"'\s,}]{6,})/gi,
    group: 1,
  },
];

/**
 * `api_key = "…"`, `password: …`, `"client_secret": "…"`: a keyword-named
 * assignment whose value looks random. For logs a mild bar (12+ chars,
 * entropy ≥ 3); the diff scan uses a stricter one to keep false alarms rare.
 */
export function assignmentRule(strict: boolean): SecretRule {
  const minLength = strict ? 16 : 12;
  return {
    id: "secret-assignment",
    // Anchored on the keyword (not on the start of the name): a leading `[\w.-]*` would make long runs of word characters quadratic.
    pattern: new RegExp(`${KEYWORD}[A-Za-z0-9_.-]{0,40}["']?${H}*(?:[:=]|=>)${H}*(["']?)([A-Za-z0-9+/_.~=!@#$%^&*-]{${minLength},512})\\1`, "gi"),
    group: 2,
    accept: (value) => {
      if (/^(?:true|false|null|undefined|none|process\.env\.|os\.environ|\$\{|env\.)/i.test(value)) return false;
      if (strict && !(/[0-9]/.test(value) && /[A-Za-z]/.test(value))) return false;
      return entropy(value) >= (strict ? 3.5 : 3.0);
    },
  };
}

export const PRIVATE_KEY_BEGIN = /-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----/;
export const PRIVATE_KEY_END = /-----END[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----/;

/** Names of environment variables whose values are secrets (`KEY` and `PASS` as whole words too: `MOONSHOT_KEY`, `SMTP_PASS`). */
const SECRET_NAME =
  /TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SIGNING_?KEY|CREDENTIAL|(^|_)AUTH($|_)|(^|_)PAT($|_)|(^|_)KEY($|_)|(^|_)PASS($|_)|(^|_)SESSION($|_)|(^|_)PRIVATE($|_)|COOKIE|SESSION_?KEY|DATABASE_URL|_DSN$|CONNECTION_STRING|WEBHOOK/i;
const NOT_SECRET = /^(PWD|OLDPWD|GPG_TTY|SSH_AUTH_SOCK|.*_(PATH|FILE|DIR|HOST|PORT|USER|USERNAME))$/i;

export function looksSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.test(name);
}
