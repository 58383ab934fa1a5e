import { looksSecretName } from "@omk/core";

/**
 * The one environment rule for every process OMK starts for code it does not
 * trust (gates, setup commands, the oracle's checks, the commands an agent
 * runs through OMK's terminal): the given environment minus every variable
 * whose name looks secret (see looksSecretName: tokens, passwords, keys,
 * credentials). Such variables never reach these processes; their values are
 * still redacted from what OMK writes. See docs/decisions/gates.md.
 */
export function allowedEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && !looksSecretName(name)) out[name] = value;
  return out;
}
