/**
 * The review phase: deterministic checks first (no engine can waive them),
 * then the engine passes (reviewer and security-reviewer always, break-it
 * when offered), each one session in a read-only detached checkout of the
 * integrated head, answering in ReviewAnswerSchema. Every pass leaves a
 * record under `reviews/`; the verdict is blocked when any finding has a
 * blocking severity.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { ReviewResult } from "@omk/oracle";
import { knownSecretValues, sha256, err, ok, type Result } from "@omk/core";
import { redactedFilesFor, setUpCheckout } from "@omk/proof";
import { answerFindings, isBlocking, parseReviewAnswer } from "./answer.js";
import {
  dependencyFindings,
  rationaleTexts,
  readDependencyChanges,
  readTamperSources,
  scopeFindings,
  secretFindings,
  tamperFindings,
} from "./deterministic.js";
import { reviewPrompt } from "./prompt.js";
import { reviewResultsOf, writeRecord } from "./records.js";
import { REVIEW_RECORD_VERSION } from "./review-record.js";
import { evidenceCheckoutDir, withCheckout } from "@omk/worktree";
import {
  addSessionSpends,
  runSession,
  type SessionOutcome,
  type ReviewPass,
  type SessionProblem,
  type SessionPurpose,
  type SpendReport,
  ZERO_TOKENS,
} from "@omk/sessions";
import type { ReviewInput, ReviewOutcome } from "./run-review-types.js";
import type { ReviewFinding, ReviewRecord, ReviewRecordRef } from "./types.js";

/** Answers asked for per review pass, the first included (as for the plan). */
export const REVIEW_ANSWER_ATTEMPTS = 3;

/** What a pass that ran no session cost: nothing, and known to be nothing. */
const ZERO_SPEND: SpendReport = { tokens: ZERO_TOKENS, usd: 0, quality: "exact" };

const verdictOf = (findings: readonly ReviewFinding[]): "passed" | "blocked" => (findings.some((f) => isBlocking(f.severity)) ? "blocked" : "passed");

/** Engine review sessions may read the checkout and never write. */
const readOnlyScope = (rel: string, access: "read" | "write") =>
  access === "write"
    ? ({ allowed: false, reason: `${rel}: a review session is read-only; report the problem as a finding instead` } as const)
    : ({ allowed: true } as const);

type PassResult = { findings: ReviewFinding[]; record: ReviewRecordRef; spend: SpendReport; followUps: unknown[]; problem?: SessionProblem };

async function enginePass(input: ReviewInput, pass: ReviewPass, checkout: string, deterministic: readonly ReviewFinding[]): Promise<PassResult | null> {
  const purpose: SessionPurpose = { kind: "review", reviewer: pass, round: input.round };
  const required = pass !== "break-it";
  // A failure of the optional break-it pass is reported but does not block; the two required passes cannot pass without a valid answer.
  const failSeverity: ReviewFinding["severity"] = required ? "blocker" : "minor";
  const redaction = { env: input.env, secrets: input.secrets ?? [] };
  const base = {
    schemaVersion: REVIEW_RECORD_VERSION,
    goalId: input.goalId,
    round: input.round,
    pass,
    baseCommit: input.baseCommit,
    headCommit: input.headCommit,
    engine: input.provider.name,
  } as const;
  if (!input.provider.offers(purpose)) {
    if (!required) return null;
    const problem: SessionProblem = {
      code: "review_engine_missing",
      message: `the engine "${input.provider.name}" offers no session for the ${pass} review`,
      fix: `give the engine a "review:${pass}" session (script book) or use an engine that reviews`,
    };
    const findings: ReviewFinding[] = [
      { source: pass, severity: "blocker", message: `the ${pass} review did not run: ${problem.message}; the review cannot pass without it`, waivable: false },
    ];
    const record = writeRecord(
      input.goalDir,
      { ...base, verdict: "blocked", findings, promptSha256: null, transcript: null, spend: ZERO_SPEND, problem },
      redaction,
    );
    return { findings, record, spend: ZERO_SPEND, followUps: [], problem };
  }
  const runDir = path.join(input.goalDir, "reviews", `r${input.round}-${pass}`);
  mkdirSync(runDir, { recursive: true });
  const prompt = reviewPrompt(pass, { ...input, findings: deterministic });
  redactedFilesFor(input.env, input.secrets).write(path.join(runDir, "prompt.md"), prompt);
  // A model's answer that cannot be read is asked again, naming what was wrong; the sessions' spend adds up.
  let session: SessionOutcome | undefined;
  let spend: SpendReport | undefined;
  let findings: ReviewFinding[] = [];
  let followUps: unknown[] = [];
  let answerError: string | undefined;
  let problem: SessionProblem | undefined;
  let asked = prompt;
  for (let attempt = 1; attempt <= REVIEW_ANSWER_ATTEMPTS; attempt++) {
    answerError = undefined;
    session = await runSession({
      provider: input.provider,
      purpose,
      cwd: checkout,
      runDir: attempt === 1 ? runDir : path.join(runDir, `attempt-${attempt}`),
      prompt: asked,
      scope: readOnlyScope,
      ...(input.signal !== undefined ? { signal: input.signal } : {}),
      env: input.env,
      ...(input.secrets !== undefined ? { secrets: input.secrets } : {}),
      onUsage: (increment) => input.onUsage?.(purpose, increment),
    });
    spend = spend === undefined ? session.spend : addSessionSpends(spend, session.spend);
    await input.onSessionSpend?.(`review:${pass}#r${input.round}${attempt === 1 ? "" : `.${attempt}`}`, session.spend, purpose);
    if (!session.ok) {
      problem = session.problem;
      findings = [
        {
          source: pass,
          severity: failSeverity,
          message: `the ${pass} session failed (${problem.code}): ${problem.message}; fix: ${problem.fix}`,
          waivable: !required,
        },
      ];
      break;
    }
    const answer = parseReviewAnswer({ text: session.text, final: session.final });
    if (answer.ok) {
      findings = answerFindings(pass, answer.value);
      followUps = pass === "break-it" ? [...(answer.value.followUps ?? [])] : [];
      break;
    }
    answerError = answer.error;
    if (isAborted(input.signal)) break;
    asked = `${prompt}\n\nYour answer ${attempt} was rejected: ${answer.error}\nAnswer again with the corrected JSON object: put it last in your final message, or alone in one \`\`\`json block.`;
  }
  if (answerError !== undefined) {
    findings = [{ source: pass, severity: failSeverity, message: `the ${pass}'s answer was not valid: ${answerError}`, waivable: !required }];
    // A required pass whose model never answered validly: the goal cannot be judged by this model (the review phase ends it engine_answer_invalid).
    if (required) {
      problem = {
        code: "engine_answer_invalid",
        message: `the ${pass}'s model gave no valid answer in ${REVIEW_ANSWER_ATTEMPTS} attempt(s); the last was rejected: ${answerError}`,
        fix: "try another model (--model) or another engine (--engine), then resume the goal",
      };
    }
  }
  if (session === undefined || spend === undefined) throw new Error("unreachable: no review session ran");
  const transcript = session.transcript === null ? null : path.relative(input.goalDir, session.transcript);
  const record: ReviewRecord = {
    ...base,
    verdict: verdictOf(findings),
    findings,
    promptSha256: sha256(prompt),
    transcript,
    spend,
    ...(answerError !== undefined ? { answerError } : {}),
    ...(problem !== undefined ? { problem } : {}),
    ...(pass === "break-it" ? { followUps: followUps.length } : {}),
  };
  return { findings, record: writeRecord(input.goalDir, record, redaction), spend, followUps, ...(problem !== undefined ? { problem } : {}) };
}

const isAborted = (signal: AbortSignal | undefined) => signal?.aborted === true;

const aborted = (): SessionProblem => ({ code: "review_aborted", message: "the review was interrupted", fix: "resume the goal to run the review again" });

/** Runs the review phase of one round. Infrastructure failures (checkout, records) are problems; everything a reviewer says is a finding. */
export async function runReview(input: ReviewInput): Promise<Result<ReviewOutcome, SessionProblem>> {
  const redaction = { env: input.env, secrets: input.secrets ?? [] };
  const emit = (pass: ReviewPass | "deterministic", findings: readonly ReviewFinding[]) =>
    input.onEvent?.({
      type: "review_finished",
      pass,
      verdict: verdictOf(findings),
      findings: findings.length,
      blocking: findings.filter((f) => isBlocking(f.severity)).length,
    });
  const recordFailed = (cause: unknown): SessionProblem => ({
    code: "review_record_failed",
    message: `the review could not be recorded: ${(cause as Error).message}`,
    fix: `check that ${input.goalDir} is writable, then resume the goal`,
  });
  let deterministic: ReviewFinding[];
  const records: ReviewRecordRef[] = [];
  const keptDeterministic = input.reuse?.get("deterministic");
  if (keptDeterministic !== undefined) {
    deterministic = [...keptDeterministic.record.findings];
    records.push(keptDeterministic.ref);
  } else {
    try {
      const dependencies = await readDependencyChanges(input.repo, input.baseCommit, input.headCommit, input.diff);
      const rationale = rationaleTexts(input.dependencyRationale, input.tasks);
      const tamper = tamperFindings(input.diff, await readTamperSources(input.repo, input.baseCommit, input.headCommit, input.diff));
      const deps = dependencyFindings(dependencies, rationale);
      const secrets = secretFindings(input.diff, knownSecretValues({ env: { ...input.env }, values: input.secrets ?? [] }));
      const scope = scopeFindings(input.scopeViolations);
      deterministic = [...tamper, ...deps, ...secrets, ...scope];
      records.push(
        writeRecord(
          input.goalDir,
          {
            schemaVersion: REVIEW_RECORD_VERSION,
            goalId: input.goalId,
            round: input.round,
            pass: "deterministic",
            verdict: verdictOf(deterministic),
            baseCommit: input.baseCommit,
            headCommit: input.headCommit,
            engine: null,
            findings: deterministic,
            promptSha256: null,
            transcript: null,
            spend: ZERO_SPEND,
            checks: {
              tamper: tamper.length,
              dependencies: dependencies.map((d) => `${d.change} ${d.ecosystem} ${d.name} (${d.section} of ${d.file})`),
              unjustifiedDependencies: deps.length,
              secrets: secrets.length,
              scopeViolations: scope.length,
            },
          },
          redaction,
        ),
      );
      await input.onRecord?.(records[0] as ReviewRecordRef, deterministic);
    } catch (cause) {
      return err({ ...recordFailed(cause), message: `the deterministic review checks could not be recorded: ${(cause as Error).message}` });
    }
  }
  emit("deterministic", deterministic);

  const checkoutDir = evidenceCheckoutDir(input.goalDir, `review-r${input.round}`);
  const reviewed = await withCheckout(
    input.repo,
    input.headCommit,
    async (checkout): Promise<Result<ReviewOutcome, SessionProblem>> => {
      if (input.deps !== undefined) {
        const made = await setUpCheckout(input.deps, checkout, "review", "copy");
        if (!made.ok) return err(made.error);
      }
      const findings: ReviewFinding[] = [...deterministic];
      const passVerdicts = new Map<ReviewPass | "deterministic", ReviewRecordRef>([["deterministic", records[0] as ReviewRecordRef]]);
      const followUps: unknown[] = [];
      const problems: SessionProblem[] = [];
      let spend = ZERO_SPEND;
      try {
        for (const pass of ["reviewer", "security-reviewer", "break-it"] as const) {
          if (isAborted(input.signal)) return err(aborted());
          const kept = input.reuse?.get(pass);
          if (kept !== undefined && kept.record.problem === undefined && (kept.record.followUps ?? 0) === 0) {
            findings.push(...kept.record.findings);
            records.push(kept.ref);
            passVerdicts.set(pass, kept.ref);
            emit(pass, kept.record.findings);
            continue;
          }
          const stop = await input.beforePass?.(pass);
          if (stop !== undefined && stop !== null) return err(stop);
          const result = await enginePass(input, pass, checkout, deterministic);
          if (result !== null) spend = addSessionSpends(spend, result.spend);
          if (isAborted(input.signal)) return err(aborted());
          if (result === null) continue;
          findings.push(...result.findings);
          records.push(result.record);
          passVerdicts.set(pass, result.record);
          followUps.push(...result.followUps);
          if (result.problem !== undefined) problems.push(result.problem);
          await input.onRecord?.(result.record, result.findings);
          emit(pass, result.findings);
        }
      } catch (cause) {
        return err(recordFailed(cause));
      }
      const reviewResults: ReviewResult[] = reviewResultsOf(input.reviewCriteria, passVerdicts);
      return ok({ verdict: verdictOf(findings), findings, records, reviewResults, followUps, spend, problems });
    },
    { dir: checkoutDir },
  );
  if (!reviewed.ok) {
    return err({
      code: "review_checkout_failed",
      message: `could not check out the integrated head ${input.headCommit} for review at ${checkoutDir}: ${reviewed.error.message}`,
      fix: `check that ${input.repo} is a git repository holding ${input.headCommit} and that ${path.dirname(checkoutDir)} is writable, then resume the goal`,
    });
  }
  return reviewed.value;
}
