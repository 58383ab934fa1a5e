/**
 * The review phase's contract: what runReview takes, what it returns, and
 * the JSON answer every engine review pass must give.
 */
import type { Evaluation, ReviewResult } from "@omk/oracle";
import type { GateEvidence, ReviewCriterionSchema, Task } from "@omk/state";
import { z } from "zod";
import type { ReviewRecordSchema } from "../schemas/review-record.js";
import type { ControllerEventSink, ControllerProblem, EngineProvider, ReviewFinding, ReviewPass, SessionPurpose, SpendReport } from "../types.js";

/** A review criterion of the frozen oracle (kind "review"): which reviewer, which checklist. */
export type ReviewCriterion = z.infer<typeof ReviewCriterionSchema>;

/** A scope violation found while the tasks ran (refused at write time or found in the post-run diff). */
/** `atWrite`: refused when the engine asked to write (nothing was written); false or absent: a write that happened, found in the captured diff. */
export type ReviewScopeViolation = {
  readonly taskId: string;
  readonly path: string;
  readonly kind: string;
  readonly atWrite?: boolean;
  readonly message?: string;
};

export type ReviewInput = {
  readonly goalId: string;
  /** How the review checkout gets its dependencies (a reviewer may run the project's tools). */
  readonly deps?: import("@omk/proof").CheckoutDeps;
  readonly goalText: string;
  readonly round: number;
  /** The goal's folder: records go to `reviews/`; the checkout to `<state root>/checkouts/<goal>/_evidence/` (evidenceCheckoutDir). */
  readonly goalDir: string;
  /** The repository (its main checkout); the review checkout of `headCommit` is a worktree of it. */
  readonly repo: string;
  readonly baseCommit: string;
  /** The integrated head. */
  readonly headCommit: string;
  /** `git diff base..head`: the integrated diff. */
  readonly diff: string;
  readonly changedFiles: readonly string[];
  /** The task graph, for write sets and dependency rationale. */
  readonly tasks: readonly Task[];
  /** The head's gate evidence. */
  readonly gates: readonly GateEvidence[];
  /** The oracle evaluation of the head (null when there is none). */
  readonly evaluation: Evaluation | null;
  readonly scopeViolations: readonly ReviewScopeViolation[];
  /** Plan decisions and descriptions that justify a new dependency (a dependency is justified when one names it). */
  readonly dependencyRationale: readonly string[];
  /** The oracle's review criteria (their checklists go into the prompts). */
  readonly reviewCriteria: readonly ReviewCriterion[];
  readonly provider: EngineProvider;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
  /** Literal secrets to keep out of prompts, transcripts and records. */
  readonly secrets?: readonly string[];
  readonly onUsage?: (purpose: SessionPurpose, spend: SpendReport) => void;
  /** After each engine session (each ask of a pass): its whole spend and quality, `review:<pass>#r<round>[.<ask>]`. */
  readonly onSessionSpend?: (session: string, spend: SpendReport, purpose: SessionPurpose) => Promise<void>;
  readonly onEvent?: ControllerEventSink;
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
  readonly beforePass?: (pass: ReviewPass) => Promise<ControllerProblem | null>;
};

/** A record written by an earlier run of the review, read back and checked (readKeptReviews). */
export type KeptReviewRecord = { readonly record: ReviewRecord; readonly ref: ReviewRecordRef };

export type ReviewRecordRef = {
  readonly pass: ReviewPass | "deterministic";
  readonly verdict: "passed" | "blocked";
  /** Relative to the goal dir: `reviews/r<round>-<pass>.json`. */
  readonly file: string;
  readonly sha256: string;
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
  readonly problems: ControllerProblem[];
};

const REVIEW_SEVERITIES = ["blocker", "major", "minor", "info"] as const;

const ReviewAnswerFindingSchema = z.object({
  severity: z.enum(REVIEW_SEVERITIES),
  message: z.string().trim().min(1),
  file: z.string().min(1).nullish(),
  line: z.number().int().nonnegative().nullish(),
});

/** The answer of an engine review pass: `{"verdict":"passed"|"blocked","findings":[...]}` (break-it may add `followUps`). */
export const ReviewAnswerSchema = z.object({
  verdict: z.enum(["passed", "blocked"]),
  findings: z.array(ReviewAnswerFindingSchema),
  followUps: z.array(z.unknown()).optional().describe("break-it only: proposals of failing-test tasks (planner proposal shape)"),
});
export type ReviewAnswer = z.infer<typeof ReviewAnswerSchema>;

/** A review record file (reviews/r<round>-<pass>.json): schemas/review-record.ts. */
export { REVIEW_RECORD_VERSION } from "../schemas/review-record.js";
export type ReviewRecord = z.infer<typeof ReviewRecordSchema>;
