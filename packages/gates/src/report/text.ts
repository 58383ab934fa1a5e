import { formatMs } from "../internal/duration.js";
import type { GatesReport } from "../schemas/result.js";
import { describeSetup } from "../setup.js";

/** The wall as a plain aligned table for a terminal (no colour; the caller decides where it goes). */
export function formatText(report: GatesReport): string {
  const judged = new Map((report.comparison?.gates ?? []).map((g) => [g.name, g]));
  // Why a gate could not run (a missing command, a gate it needs): its own column, so an `error` is never bare.
  const why = (g: GatesReport["gates"][number]) => (g.outcome === "error" || g.outcome === "skipped" ? (g.error ?? "") : "");
  const withWhy = report.gates.some((g) => why(g) !== "");
  const header = ["gate", "kind", "req", "outcome", ...(report.comparison === undefined ? [] : ["vs base"]), "time", "exit", ...(withWhy ? ["why"] : [])];
  const rows = report.gates.map((g) => {
    const j = judged.get(g.name);
    return [
      g.name,
      g.kind,
      g.required ? "yes" : "no",
      g.outcome,
      ...(report.comparison === undefined ? [] : [j === undefined ? "" : `${j.status}${j.blocking ? " !" : ""}`]),
      formatMs(g.durationMs),
      String(g.exitCode ?? g.signal ?? ""),
      ...(withWhy ? [why(g)] : []),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  // The test cases behind a failing gate, so a terminal reader sees what broke without opening the logs.
  const MAX_CASES = 10;
  for (const g of report.gates) {
    const j = judged.get(g.name);
    const fresh = j?.tests?.newFailures ?? [];
    const failing = fresh.length > 0 ? fresh : (g.tests ?? []).filter((t) => t.outcome === "failed").map((t) => t.id);
    if (failing.length === 0 || (g.outcome === "passed" && fresh.length === 0)) continue;
    const label = fresh.length > 0 ? "new failing test cases" : "failing test cases";
    const more = failing.length > MAX_CASES ? ` and ${failing.length - MAX_CASES} more` : "";
    out.push(`${g.name}: ${label}: ${failing.slice(0, MAX_CASES).join(", ")}${more}`);
    const pre = j?.tests?.preExisting ?? [];
    if (pre.length > 0)
      out.push(`${g.name}: failing on base too: ${pre.slice(0, MAX_CASES).join(", ")}${pre.length > MAX_CASES ? ` and ${pre.length - MAX_CASES} more` : ""}`);
  }
  const notPassing = report.summary.requiredNotPassing;
  const verdict =
    report.comparison !== undefined
      ? `${report.verdict}: ${report.comparison.summary.newFailures.length} new failure(s), ${report.comparison.summary.preExisting.length} pre-existing, ${report.comparison.summary.fixed.length} fixed (base ${/^[0-9a-f]{40,64}$/.test(report.comparison.base.ref) ? report.comparison.base.ref.slice(0, 12) : report.comparison.base.ref})`
      : `${report.verdict}${notPassing.length > 0 ? `: required not passing: ${notPassing.join(", ")}` : ""}`;
  if (report.setup !== undefined)
    out.push(
      "",
      report.setup.failure === undefined
        ? `setup: ${describeSetup(report.setup)}`
        : `setup_failed: ${report.setup.failure.message}\n  fix: ${report.setup.failure.fix}${report.setup.failure.tail.length > 0 ? `\n  ${report.setup.failure.tail.slice(-8).join("\n  ")}` : ""}`,
    );
  const baseSetup = report.comparison?.base.setupFailed;
  if (baseSetup !== undefined) out.push("", `base setup_failed: ${baseSetup.message}: the base gates are no_baseline; required gates are judged on head alone`);
  out.push("", `${verdict} · ${formatMs(report.durationMs)} · logs ${report.outDir}`);
  return `${out.join("\n")}\n`;
}
