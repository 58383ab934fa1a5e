import { printable } from "../invocation.js";
import type { DoctorCheck } from "../commands/doctor-checks.js";
import { terminalSafe } from "./safe.js";

/** `omk doctor`'s report: one line per check (the fix after a warning or failure), then the headline. */
export function doctorText(checks: readonly DoctorCheck[], usable: readonly string[], exitCode: number): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  let out = "";
  for (const c of checks) {
    // A detail carries an agent's own words (its version, a handshake error): one line, escapes visible.
    out += `${terminalSafe(`${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}${c.fix === undefined || c.status === "ok" ? "" : ` — fix: ${printable(c.fix)}`}`)}\n`;
  }
  const failed = checks.filter((c) => c.status === "fail");
  const warnings = checks.filter((c) => c.status === "warn").length;
  const warned = warnings === 0 ? "" : ` (${warnings} warning${warnings === 1 ? "" : "s"})`;
  if (failed.length > 0) out += `omk is not ready: ${failed.map((c) => c.name).join(", ")} (exit ${exitCode})\n`;
  else if (usable.length === 0)
    out += `omk is not ready for real goals: no engine completed a handshake; only scripted goals run (--engine scripted --script FILE)${warned}\n`;
  else out += `omk is ready: ${usable.join(", ")} completed a handshake${warned}\n`;
  return out;
}
