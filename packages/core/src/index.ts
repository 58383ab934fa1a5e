// @omk/core: the vocabulary every OMK package shares. No @omk package and no third-party package below it.
export { OmkError } from "./errors.js";
export { sha256, sha256File, sha256Hasher } from "./hash.js";
export {
  createRedactor,
  type KnownSecret,
  type KnownSecretForm,
  type KnownSecretHit,
  type KnownSecretMatcher,
  knownSecretMatcher,
  knownSecretValues,
  looksSecretName,
  type Redactor,
  type RedactorOptions,
  type StreamRedactor,
} from "./redact.js";
export { err, ok, type Problem, problem, type Result } from "./result.js";
export { assignmentRule, PRIVATE_KEY_BEGIN, type SecretRule, TOKEN_RULES } from "./secret-rules.js";
export { shellWord } from "./shell.js";
