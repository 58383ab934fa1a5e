/**
 * What runReview takes and what it returns. The shapes it holds (records,
 * findings, the answer) are types.ts'; the sessions are @omk/sessions'.
 */
import type { Evaluation, ReviewResult } from "@omk/oracle";
import type { GateEvidence, Task } from "@omk/state";
import type { CheckoutDeps } from "@omk/proof";
import type { EngineProvider, ReviewPass, SessionProblem, SessionPurpose, SpendReport } from "@omk/sessions";
import type { z } from "zod";
import type { ReviewPromptInput } from "./prompt.js";
import type { ReviewFinishedEventSchema } from "./schemas.js";
import type { KeptReviewRecord, ReviewFinding, ReviewRecordRef, ReviewScopeViolation } from "./types.js";

/** What runReview reports as each pass ends (the controller passes it on as its own event). */
export type ReviewFinishedEvent = z.infer<typeof ReviewFinishedEventSchema>;

/** What runReview takes: what the prompt shows (@omk/review's ReviewPromptInput, less the findings it computes) and how the phase runs. */
export type ReviewInput = Omit<ReviewPromptInput, "findings"> & {
  readonly goalId: string;
  /** How the review checkout gets its dependencies (a reviewer may run the project's tools). */
  readonly deps?: CheckoutDeps;
  /** The goal's folder: records go to `reviews/`; the checkout to `<state root>/checkouts/<goal>/_evidence/` (evidenceCheckoutDir). */
  readonly goalDir: string;
  /** The repository (its main checkout); the review checkout of `headCommit` is a worktree of it. */
  readonly repo: string;
  readonly scopeViolations: readonly ReviewScopeViolation[];
  /** Plan decisions and descriptions that justify a new dependency (a dependency is justified when one names it). */
  readonly dependencyRationale: readonly string[];
  readonly provider: EngineProvider;
  readonly signal?: AbortSignal;
  readonly onUsage?: (purpose: SessionPurpose, spend: SpendReport) => void;
  /** After each engine session (each ask of a pass): its whole spend and quality, `review:<pass>#r<round>[.<ask>]`. */
  readonly onSessionSpend?: (session: string, spend: SpendReport, purpose: SessionPurpose) => Promise<void>;
  readonly onEvent?: (event: ReviewFinishedEvent) => void;
  /**
   * Records of this round for the same base and head, kept from an earlier
   * run of the review (a resume): their passes are not run again (a break-it
   * record that carried follow-ups and a record of a failed session are run
   * again). Additive to the design.
   */
  readonly reuse?: ReadonlyMap<ReviewPass | "deterministic", KeptReviewRecord>;
  /** Called as soon as a pass's record is written (never for kept ones), so the caller can log it before the next pass runs. */
  readonly onRecord?: (ref: ReviewRecordRef, findings: readonly ReviewFinding[]) => Promise<void>;
  /** Asked before each engine pass runs: a problem stops the review there (e.g. the goal's budget is exhausted). */
  readonly beforePass?: (pass: ReviewPass) => Promise<SessionProblem | null>;
};

export type ReviewOutcome = {
  readonly verdict: "passed" | "blocked";
  readonly findings: ReviewFinding[];
  readonly records: ReviewRecordRef[];
  /** One per oracle review criterion. */
  readonly reviewResults: ReviewResult[];
  /** Break-it: proposed failing-test tasks (planner ProposalSchema shape), not validated here. */
  readonly followUps: unknown[];
  readonly spend: SpendReport;
  /** Sessions that could not give an answer (missing engine, failed session): each is also a finding. Additive to the design. */
  readonly problems: SessionProblem[];
};
