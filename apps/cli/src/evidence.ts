import path from "node:path";
import type { GatesReport } from "@omk/gates";
import { CommitShaSchema, type GateEvidence, GateEvidenceSchema, Sha256Schema, TimestampSchema } from "@omk/state";
import { z } from "zod";

/**
 * The one mapping from @omk/gates results to the proof's view of a gate
 * (`GateEvidence`, a state schema). Log paths become relative to `relativeTo`
 * (the goal dir, or the directory of a proof file), so the record stays valid
 * when the folder moves. A report with no commit (not a git checkout) has no
 * evidence to give: undefined.
 */
export function toGateEvidence(report: GatesReport, relativeTo: string): GateEvidence[] | undefined {
  const commit = report.commit;
  if (commit === null) return undefined;
  const judged = new Map((report.comparison?.gates ?? []).map((g) => [g.name, g.status]));
  const rel = (file: string) => path.relative(relativeTo, path.join(report.outDir, file));
  return report.gates.map((gate) => {
    const baseline = judged.get(gate.name);
    return GateEvidenceSchema.parse({
      name: gate.name,
      kind: gate.kind,
      required: gate.required,
      command: gate.command,
      cwd: gate.cwd,
      outcome: gate.outcome,
      exitCode: gate.exitCode,
      signal: gate.signal,
      durationMs: gate.durationMs,
      logs: [gate.logs.stdout, gate.logs.stderr, ...(gate.junit === undefined ? [] : [gate.junit])].map((log) => ({ path: rel(log.path), sha256: log.sha256, bytes: log.bytes })),
      commit: gate.commit ?? commit,
      dirty: gate.dirty ?? report.dirty ?? false,
      ...(baseline === undefined ? {} : { baseline }),
      toolVersions: gate.toolVersions,
    } satisfies GateEvidence);
  });
}

/**
 * What `omk goal verify --checkout DIR --out FILE` writes: the wall's verdict
 * on a checkout with no goal (plain CI use), naming its evidence.
 */
export const VerificationRecordSchema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal("omk.verification"),
  verdict: z.enum(["passed", "failed"]),
  repo: z.string(),
  commit: CommitShaSchema,
  dirty: z.boolean(),
  base: z.object({ ref: z.string(), commit: CommitShaSchema }).nullable(),
  gates: z.array(GateEvidenceSchema),
  report: z.object({ path: z.string().describe("relative to this file's directory"), sha256: Sha256Schema }),
  recheck: z.array(z.string()).describe("commands that re-check this record"),
  createdAt: TimestampSchema,
});
export type VerificationRecord = z.infer<typeof VerificationRecordSchema>;
