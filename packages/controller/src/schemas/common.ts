/**
 * The controller's small shapes that its records and events share: a
 * problem, a review finding, a session's spend (@omk/review's, which its
 * review records hold), how a phase ended. zod is the source; types.ts
 * derives the TypeScript types from these.
 */
import { z } from "zod";

export { ReviewFindingSchema } from "@omk/review";
export { ProblemSchema as ControllerProblemSchema } from "@omk/sessions";

/** How a phase ended: passed; failed; partial (execution: some tasks failed, others succeeded); skipped; stopped (paused or cancelled mid-phase). */
export const PhaseOutcomeSchema = z.enum(["passed", "failed", "partial", "skipped", "stopped"]);
