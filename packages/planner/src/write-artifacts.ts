/**
 * The IO edge for plan artifacts: each file is written into `<goalDir>/plan/`
 * crash-safely (temp file, fsync, rename, then the folder is fsynced), and
 * the digests are returned for the plan_recorded event.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { sha256 } from "@omk/core";
import { type NewEvent, writeFileAtomicSync } from "@omk/state";
import { ARTIFACT_FILES, type PlanArtifacts } from "./artifacts.js";
import type { Plan, PlanAttempt } from "./plan.js";

export type WrittenArtifact = { readonly file: string; readonly sha256: string; readonly bytes: number };

/** Writes the artifacts; `file` in the result is relative to the goal dir ("plan/brief.md"). */
export function writePlanArtifacts(goalDir: string, artifacts: PlanArtifacts): WrittenArtifact[] {
  const dir = path.join(goalDir, "plan");
  mkdirSync(dir, { recursive: true });
  const written: WrittenArtifact[] = [];
  for (const name of ARTIFACT_FILES) {
    const text = artifacts[name];
    const target = path.join(dir, name);
    writeFileAtomicSync(target, text);
    written.push({ file: `plan/${name}`, sha256: sha256(text), bytes: Buffer.byteLength(text) });
  }
  return written;
}

/** The event that records a plan and its artifacts in the goal's log. */
export function planRecordedEvent(plan: Plan, written: readonly WrittenArtifact[], attempts: readonly PlanAttempt[], actor = "controller"): NewEvent {
  return {
    type: "plan_recorded",
    actor,
    data: {
      goalClass: plan.goalClass,
      classes: [...plan.classes],
      strategy: plan.strategy,
      attempts: Math.max(1, attempts.length),
      tasks: plan.graph.tasks.length,
      artifacts: written.map((w) => ({ file: w.file, sha256: w.sha256 })),
    },
  };
}
