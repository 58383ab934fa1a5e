/**
 * Secrets never live in a config file: a literal env value under a
 * secret-looking name, or any literal (env value or argument) shaped like a
 * token, is refused with the fix `{ from: VAR }`. The value is never quoted
 * in the message.
 */
import { createRedactor } from "@omk/core";
import type { ConfigProblem } from "./problem.js";
import type { ConfigFile } from "./schema.js";

/** Names whose literal values are refused: *KEY*, *TOKEN*, *SECRET*, *PASSWORD*, *CREDENTIAL(S)* as a word of the name. */
const SECRET_NAME = /(^|_)(API_?KEY|[A-Z]*KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(_|$)/iu;

/** True for variable names like `OPENAI_API_KEY`, `GITHUB_TOKEN`, `CLIENT_SECRET`. */
function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

const tokenShaped = createRedactor();

/** True for a value shaped like a token (sk-..., ghp_..., github_pat_..., AKIA..., a JWT, a bearer token ...). */
function looksLikeToken(value: string): boolean {
  return tokenShaped.redact(value) !== value;
}

/** The first literal secret in a parsed config file, as a problem (undefined: none). */
export function secretProblem(file: string, config: ConfigFile): ConfigProblem | undefined {
  for (const [name, entry] of Object.entries(config.engines ?? {})) {
    for (const [variable, value] of Object.entries(entry.env ?? {})) {
      if (typeof value !== "string" || value === "") continue;
      if (isSecretName(variable) || looksLikeToken(value)) {
        const key = `engines.${name}.env.${variable}`;
        return {
          code: "config_secret",
          file,
          key,
          message: `${file}: ${key}: a literal ${isSecretName(variable) ? "value for a secret-named variable" : "value shaped like a token"} is not allowed in a config file (secrets are never stored)`,
          fix: `write ${variable}: { from: ${variable} } and export ${variable} in the environment omk runs in`,
        };
      }
    }
    for (const [index, arg] of (entry.args ?? []).entries()) {
      if (!looksLikeToken(arg)) continue;
      const key = `engines.${name}.args[${index}]`;
      return {
        code: "config_secret",
        file,
        key,
        message: `${file}: ${key}: an argument shaped like a token is not allowed in a config file (secrets are never stored)`,
        fix: `pass it through the environment instead: env: { VAR: { from: VAR } } under engines.${name}, and export VAR in the environment omk runs in`,
      };
    }
  }
  return undefined;
}
