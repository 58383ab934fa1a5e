import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { newRunId } from "@omk/gates";
import { type EvidenceSet, readOracleFile } from "@omk/oracle";
import { type FrozenOracle, type GoalStore, type Proof, type Result, err, ok } from "@omk/state";
import { CheckoutError, changedTestFiles, resolveCommit, withDetachedCheckout } from "./evidence/checkout.js";
import { junitCasesOf } from "./evidence/gate-evidence.js";
import { collectOracleEvidence, evaluateRound, runContext, runHeadTests } from "./evidence/oracle-evidence.js";
import { messageOf, problem } from "./evidence/problem.js";
import { checkedReviews, goalEvents, readProof, recordedEvidence, recordedFiles } from "./evidence/proof-inputs.js";
import { runWall } from "./evidence/wall.js";
import type { ControllerEventSink, ControllerProblem } from "./types.js";

/** Whether a proof's verdict still holds on a clean checkout of its head commit. */
export type ProofCheck = {
  readonly holds: boolean;
  readonly headCommit: string;
  readonly gates: { readonly name: string; readonly recorded: string; readonly now: string; readonly holds: boolean }[];
  readonly criteria: { readonly id: string; readonly recorded: string; readonly now: string; readonly holds: boolean }[];
  readonly problems: string[];
};

export type VerifyProofInput = {
  /** proof.json (or the goal dir holding it). */
  readonly proofFile: string;
  /** The repository holding the proof's commits; default: the goal's repoRoot from the store. */
  readonly repo?: string;
  readonly store?: GoalStore;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
  readonly onEvent?: ControllerEventSink;
  /** Additive: gates config file (relative to the checkout or absolute); default the checkout's own. */
  readonly gatesConfig?: string;
  /** Additive: limit for each oracle command (default 10 minutes). */
  readonly timeoutMs?: number;
};

/** Only a recorded pass can be lost: a verdict holds when it was not a pass, or still is one. */
const still = (recorded: string, now: string) => recorded !== "passed" || now === "passed";

function oracleProblem(goalDir: string, proof: Proof): Result<FrozenOracle, ControllerProblem> {
  const read = readOracleFile(goalDir);
  if (!read.ok) {
    const e = read.error;
    const fix = "keep oracle.json beside proof.json, as the goal wrote it";
    if (e.code === "missing") return err(problem("oracle_missing", `no oracle.json beside the proof in ${goalDir}: the proof's criteria cannot be checked`, fix));
    if (e.code === "hash_mismatch") return err(problem("oracle_tampered", `oracle.json in ${goalDir}: ${e.message}`, fix));
    return err(problem("oracle_invalid", `oracle.json in ${goalDir}: ${e.message}`, fix));
  }
  if (read.value.hash !== proof.oracleHash) {
    return err(
      problem(
        "oracle_mismatch",
        `the proof names oracle ${proof.oracleHash}, but oracle.json beside it is ${read.value.hash} (revision ${read.value.revision}): the proof was not made against this oracle`,
        "verify the proof with the oracle.json its goal froze (the same goal dir)",
      ),
    );
  }
  return ok(read.value);
}

async function repoOf(input: VerifyProofInput, proof: Proof, storeRepo: string | null): Promise<Result<string, ControllerProblem>> {
  const repo = input.repo !== undefined ? path.resolve(input.repo) : storeRepo;
  if (repo === null) {
    return err(problem("repo_unknown", `the goal ${proof.goalId} is not in the state store, so its repository is unknown: pass --repo <dir>`, "pass the repository that holds the proof's commits: omk proof verify <proof.json> --repo <dir>"));
  }
  for (const [what, sha] of [
    ["head", proof.headCommit],
    ["base", proof.baseCommit],
  ] as const) {
    if ((await resolveCommit(repo, sha)) === null) {
      return err(problem("commit_missing", `${repo} does not hold the proof's ${what} commit ${sha}`, "pass the repository the goal ran in (--repo), or fetch the commit into it"));
    }
  }
  return ok(repo);
}

/**
 * Re-check a proof: proof.json against its schema and the frozen oracle beside
 * it, then a clean detached checkout of the head commit (in a temporary
 * folder, removed after) where the gates run again (compared with the proof's
 * base commit) and the oracle's checks run again; the base side is the goal's
 * recorded evidence (digest-checked against the goal's log), run again when
 * it is missing. Gate by gate and criterion by criterion, every recorded pass
 * must still pass: then the verdict holds.
 */
export async function verifyProof(input: VerifyProofInput): Promise<Result<ProofCheck, ControllerProblem>> {
  const read = readProof(input.proofFile);
  if (!read.ok) return read;
  const { proof, raw } = read.value;
  const goalDir = path.dirname(read.value.file);
  const frozen = oracleProblem(goalDir, proof);
  if (!frozen.ok) return frozen;
  const { events, repoRoot } = await goalEvents(input.store, proof.goalId);
  const repo = await repoOf(input, proof, repoRoot);
  if (!repo.ok) return repo;

  const problems: string[] = [];
  const recorded = recordedFiles(events, proof.headCommit);
  const sets = recordedEvidence(goalDir, recorded, frozen.value, problems);
  const work = mkdtempSync(path.join(os.tmpdir(), "omk-proof-verify-"));
  try {
    return await withDetachedCheckout(
      repo.value,
      proof.headCommit,
      async (dir): Promise<Result<ProofCheck, ControllerProblem>> => {
        const wall = await runWall({
          root: dir,
          goalDir: work,
          outDir: path.join(work, "gates"),
          runId: newRunId(),
          base: proof.baseCommit,
          ...(input.env === undefined ? {} : { env: input.env }),
          ...(input.signal === undefined ? {} : { signal: input.signal }),
          ...(input.gatesConfig === undefined ? {} : { gatesConfig: input.gatesConfig }),
          onGate: (gate) => input.onEvent?.({ type: "gate_finished", where: "proof", gate }),
        });
        if (!wall.ok) return wall;
        const reviews = checkedReviews({ proof, raw, frozen: frozen.value, goalDir, recorded, headSets: sets.filter((s) => s.commit === proof.headCommit), problems });
        const head = await collectOracleEvidence({
          side: "head",
          root: dir,
          commit: proof.headCommit,
          frozen: frozen.value,
          gates: wall.value.gates,
          testCases: junitCasesOf(wall.value.report),
          reviews,
          outFile: path.join(work, "evidence-head.json"),
          ...(input.env === undefined ? {} : { env: input.env }),
          ...(input.signal === undefined ? {} : { signal: input.signal }),
          ...(input.gatesConfig === undefined ? {} : { gatesConfig: input.gatesConfig }),
          ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
        });
        if (!head.ok) return head;
        const base = await baseSide(input, proof, frozen.value, repo.value, sets, work, problems);
        if (!base.ok) return base;
        const evaluation = evaluateRound(frozen.value, base.value, head.value, { baseCommit: proof.baseCommit, headCommit: proof.headCommit });
        if (!evaluation.ok) return evaluation;
        const now = new Map(evaluation.value.criteria.map((c) => [c.id, c]));
        const gates = proof.gates.map((g) => {
          const current = wall.value.gates.find((x) => x.name === g.name)?.outcome ?? "missing";
          const holds = still(g.outcome, current);
          if (!holds) problems.push(`the gate "${g.name}" was ${g.outcome} in the proof and is ${current} on a clean checkout of ${proof.headCommit.slice(0, 12)}`);
          return { name: g.name, recorded: g.outcome, now: current, holds };
        });
        const criteria = proof.criteria.map((c) => {
          const current = now.get(c.id);
          const verdict = current?.verdict ?? "missing";
          const holds = still(c.verdict, verdict);
          if (!holds) problems.push(`the criterion ${c.id} was ${c.verdict} in the proof and is ${verdict} now${current === undefined ? " (the oracle has no such criterion)" : `: ${current.reason}`}`);
          return { id: c.id, recorded: c.verdict, now: verdict, holds };
        });
        return ok({ holds: gates.every((g) => g.holds) && criteria.every((c) => c.holds), headCommit: proof.headCommit, gates, criteria, problems });
      },
      "omk-proof-",
    );
  } catch (error) {
    if (input.signal?.aborted === true) return err(problem("aborted", "the proof check was aborted", "run it again when ready"));
    if (error instanceof CheckoutError) return err(problem("infra", error.message, "check the repository and run again"));
    return err(problem("infra", `checking the proof failed: ${messageOf(error)}`, "check the repository and run again"));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The oracle needs the base commit for red → green, golden and benchmark criteria. */
const needsBase = (frozen: FrozenOracle) => frozen.oracle.criteria.some((c) => c.mustFailOnBase || c.kind === "golden" || c.kind === "benchmark");
const needsHeadTests = (frozen: FrozenOracle) => frozen.oracle.criteria.some((c) => c.kind === "test_case" && c.mustFailOnBase);

/**
 * The base side: the goal's recorded base evidence (one with headTests
 * preferred; headTests run again by overlay when it has none and the oracle
 * needs them), else the base side run again in its own clean checkout.
 */
async function baseSide(input: VerifyProofInput, proof: Proof, frozen: FrozenOracle, repo: string, sets: readonly EvidenceSet[], work: string, problems: string[]): Promise<Result<EvidenceSet | null, ControllerProblem>> {
  if (!needsBase(frozen)) return ok(null);
  const candidates = sets.filter((s) => s.commit === proof.baseCommit);
  const recorded = candidates.find((s) => s.headTests !== undefined) ?? candidates[0];
  const testFiles = await changedTestFiles(repo, proof.baseCommit, proof.headCommit);
  const from = { repo, headCommit: proof.headCommit, testFiles };
  if (recorded !== undefined) {
    if (recorded.headTests !== undefined || !needsHeadTests(frozen)) return ok(recorded);
    const headTests = await runHeadTests(from, proof.baseCommit, frozen.oracle.criteria, path.join(work, "base-runs"), runContext(input, path.join(work, "base-runs")), input.gatesConfig);
    return ok(headTests === undefined ? recorded : { ...recorded, headTests });
  }
  problems.push("no recorded base evidence of the goal: the base side was run again on a clean checkout of the base commit");
  return withDetachedCheckout(
    repo,
    proof.baseCommit,
    async (dir) => {
      const wall = await runWall({
        root: dir,
        goalDir: work,
        outDir: path.join(work, "base-gates"),
        runId: newRunId(),
        ...(input.env === undefined ? {} : { env: input.env }),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
        ...(input.gatesConfig === undefined ? {} : { gatesConfig: input.gatesConfig }),
      });
      // A base without gates (the config came with the change) still has oracle checks to run.
      if (!wall.ok && wall.error.code !== "gates_config" && wall.error.code !== "no_gates") return wall;
      if (!wall.ok) problems.push(`the base commit's gates could not run: ${wall.error.message}`);
      return collectOracleEvidence({
        side: "base",
        root: dir,
        commit: proof.baseCommit,
        frozen,
        gates: wall.ok ? wall.value.gates : [],
        testCases: wall.ok ? junitCasesOf(wall.value.report) : [],
        headTestsFrom: from,
        outFile: path.join(work, "evidence-base.json"),
        ...(input.env === undefined ? {} : { env: input.env }),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
        ...(input.gatesConfig === undefined ? {} : { gatesConfig: input.gatesConfig }),
        ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
      });
    },
    "omk-proof-base-",
  );
}
