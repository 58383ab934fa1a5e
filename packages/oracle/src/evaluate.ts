/**
 * Evaluation: the frozen oracle against the evidence from the base and the
 * head commit. Each criterion is passed, failed, not_run or vacuous, with the
 * evidence it used; `ready` only when every criterion passed. Evidence bound
 * to another oracle hash, or to a commit other than the one expected, is
 * refused as a whole: nothing is judged from it.
 */
import type { FrozenOracle } from "@omk/state";
import { type Result, err, ok } from "@omk/core";
import { type EvidenceSet, EvidenceSetSchema, type EvidenceSetInput } from "./evidence.js";
import { type Judgment, judgeBenchmark, judgeCommand, judgeGate, judgeGolden, judgeReview, judgeTestCase, type Verdict } from "./internal/judge.js";

type CriterionEvaluation = {
  readonly id: string;
  readonly kind: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly evidence: readonly string[];
};

export type Evaluation = {
  readonly oracleHash: string;
  readonly revision: number;
  readonly baseCommit: string | null;
  readonly headCommit: string;
  readonly ready: boolean;
  readonly counts: Readonly<Record<Verdict, number>>;
  readonly criteria: readonly CriterionEvaluation[];
};

export type EvaluationError =
  | {
      readonly code: "evidence_refused";
      readonly side: "base" | "head";
      readonly message: string;
      readonly expected: string;
      readonly got: string;
    }
  | { readonly code: "invalid_evidence"; readonly side: "base" | "head"; readonly message: string; readonly issues: readonly string[] };

export type EvaluateInput = {
  readonly base: EvidenceSetInput | null;
  readonly head: EvidenceSetInput;
  /** The commits the evidence must be from (the goal's base commit and the integrated head). */
  readonly expect?: { readonly baseCommit?: string; readonly headCommit?: string };
};

function parseSide(side: "base" | "head", input: EvidenceSetInput, frozen: FrozenOracle, expected: string | undefined): Result<EvidenceSet, EvaluationError> {
  const parsed = EvidenceSetSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    return err({ code: "invalid_evidence", side, message: `the ${side} evidence is invalid: ${issues.join("; ")}`, issues });
  }
  const set = parsed.data;
  if (set.oracleHash !== frozen.hash) {
    return err({
      code: "evidence_refused",
      side,
      expected: frozen.hash,
      got: set.oracleHash,
      message: `the ${side} evidence was produced against oracle ${set.oracleHash}, but the oracle in force is revision ${frozen.revision} (${frozen.hash}); run the checks again against it`,
    });
  }
  if (expected !== undefined && set.commit !== expected) {
    return err({
      code: "evidence_refused",
      side,
      expected,
      got: set.commit,
      message: `the ${side} evidence is from commit ${set.commit}, but the ${side} commit is ${expected}`,
    });
  }
  return ok(set);
}

export function evaluate(frozen: FrozenOracle, input: EvaluateInput): Result<Evaluation, EvaluationError> {
  const head = parseSide("head", input.head, frozen, input.expect?.headCommit);
  if (!head.ok) return head;
  let base: EvidenceSet | null = null;
  if (input.base !== null) {
    const parsed = parseSide("base", input.base, frozen, input.expect?.baseCommit);
    if (!parsed.ok) return parsed;
    base = parsed.value;
  }
  const sides = { base, head: head.value };
  const criteria = frozen.oracle.criteria.map((criterion): CriterionEvaluation => {
    let judged: Judgment;
    switch (criterion.kind) {
      case "command":
        judged = judgeCommand(criterion, sides);
        break;
      case "test_case":
        judged = judgeTestCase(criterion, sides);
        break;
      case "gate":
        judged = judgeGate(criterion, sides);
        break;
      case "golden":
        judged = judgeGolden(criterion, sides);
        break;
      case "benchmark":
        judged = judgeBenchmark(criterion, sides);
        break;
      case "review":
        judged = judgeReview(criterion, sides);
        break;
    }
    return { id: criterion.id, kind: criterion.kind, ...judged };
  });
  const counts: Record<Verdict, number> = { passed: 0, failed: 0, not_run: 0, vacuous: 0 };
  for (const c of criteria) counts[c.verdict] += 1;
  return ok({
    oracleHash: frozen.hash,
    revision: frozen.revision,
    baseCommit: base?.commit ?? null,
    headCommit: head.value.commit,
    ready: counts.passed === criteria.length,
    counts,
    criteria,
  });
}
