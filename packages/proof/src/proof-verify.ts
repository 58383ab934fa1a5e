import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type ConfineCommand, newRunId } from "@omk/gates";
import { type EvidenceSet, readOracleFile } from "@omk/oracle";
import type { FrozenOracle, GateEvidence, GoalStore, Proof } from "@omk/state";
import { type Result, err, ok } from "@omk/core";
import { resolveCommit } from "@omk/worktree";
import { CheckoutError, changedTestFiles, withDetachedCheckout } from "./evidence/checkout.js";
import { type CheckoutDeps, runSetupConfig, SetupFailedError } from "./internal/checkout-deps.js";
import { junitCasesOf } from "./evidence/gate-evidence.js";
import { collectOracleEvidence, evaluateRound, runContext, runHeadTests } from "./evidence/oracle-evidence.js";
import { messageOf, problem } from "./evidence/problem.js";
import { checkGateLogs, claimProblems, evidenceMissing, gatePasses, logProblems } from "./evidence/proof-claims.js";
import { checkedReviews, EvidenceFiles, goalRecord, readProof, recordedEvidence, recordedFiles } from "./evidence/proof-inputs.js";
import { runWall } from "./evidence/wall.js";
import { checkoutConfinement } from "./internal/confinement.js";
import type { ProofEventSink, ProofProblem, RunConfinement } from "./types.js";

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
  /** The repository holding the proof's commits; default: the goal's repoRoot from its event log. */
  readonly repo?: string;
  /** The state store to find the proof's goal in; when it does not hold it, the state root the proof sits in (`<root>/goals/<id>/proof.json`). */
  readonly store?: GoalStore;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
  readonly onEvent?: ProofEventSink;
  /** Additive: gates config file (relative to the checkout or absolute); default the checkout's own. */
  readonly gatesConfig?: string;
  /** Additive: limit for each oracle command (default 10 minutes). */
  readonly timeoutMs?: number;
  /** Additive: the shared dependency install cache the re-run checkouts set up from (default `$XDG_CACHE_HOME/omk/deps`). */
  readonly depsCache?: string;
  /**
   * Additive: the sandbox the re-run's setup, gates and oracle checks run in
   * (the code under check is an agent's): `bwrap` with the probe's path, or
   * unconfined (also when absent). See docs/decisions/confinement.md.
   */
  readonly confinement?: RunConfinement;
  /** Set by verifyProof from `confinement` (checkoutConfinement): not for callers. */
  readonly confine?: ConfineCommand;
};

/** How the proof's re-run checkouts get the project's dependencies. */
function depsOf(input: VerifyProofInput, repo: string): CheckoutDeps {
  return {
    env: input.env ?? process.env,
    // The setup comes from the repository's tree, never from the commit under check.
    setup: runSetupConfig(repo, input.gatesConfig),
    ...(input.depsCache === undefined ? {} : { cacheDir: input.depsCache }),
    ...(input.signal === undefined ? {} : { signal: input.signal }),
    ...(input.gatesConfig === undefined ? {} : { gatesConfig: input.gatesConfig }),
    ...(input.confine === undefined ? {} : { confine: input.confine }),
  };
}

/** A gate that is not required: only a recorded pass can be lost (a recorded failure of it does not make a ready proof wrong). */
const still = (recorded: string, now: string) => recorded !== "passed" || now === "passed";

function oracleProblem(dirs: readonly string[], proof: Proof): Result<FrozenOracle, ProofProblem> {
  const goalDir = dirs.find((d) => existsSync(path.join(d, "oracle.json"))) ?? (dirs[0] as string);
  const read = readOracleFile(goalDir);
  if (!read.ok) {
    const e = read.error;
    const fix = "keep oracle.json beside proof.json, as the goal wrote it";
    if (e.code === "missing")
      return err(problem("oracle_missing", `no oracle.json beside the proof in ${goalDir}: the proof's criteria cannot be checked`, fix));
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

async function repoOf(input: VerifyProofInput, proof: Proof, storeRepo: string | null): Promise<Result<string, ProofProblem>> {
  const repo = input.repo !== undefined ? path.resolve(input.repo) : storeRepo;
  if (repo === null) {
    return err(
      problem(
        "repo_unknown",
        `the goal ${proof.goalId} is not in the state store, so its repository is unknown: pass --repo <dir>`,
        "pass the repository that holds the proof's commits: omk proof verify <proof.json> --repo <dir>",
      ),
    );
  }
  for (const [what, sha] of [
    ["head", proof.headCommit],
    ["base", proof.baseCommit],
  ] as const) {
    if ((await resolveCommit(repo, sha)) === null) {
      return err(
        problem(
          "commit_missing",
          `${repo} does not hold the proof's ${what} commit ${sha}`,
          "pass the repository the goal ran in (--repo), or fetch the commit into it",
        ),
      );
    }
  }
  return ok(repo);
}

type Rerun = { readonly gates: readonly GateEvidence[]; readonly criteria: ReadonlyMap<string, { verdict: string; reason: string }> };

/**
 * Row by row: every gate of the proof and every criterion of the oracle,
 * recorded against now (the re-run; "not re-run" without one). A required
 * gate and a criterion hold only when recorded and now both pass; a gate
 * that is not required only loses a recorded pass. What the re-run changed
 * is added to `broken` (what the proof itself claims wrongly is already there).
 */
function compareRows(proof: Proof, frozen: FrozenOracle, rerun: Rerun | null, broken: string[]): Pick<ProofCheck, "gates" | "criteria"> {
  const at = proof.headCommit.slice(0, 12);
  const gates: ProofCheck["gates"] = proof.gates.map((g) => {
    const now = rerun === null ? "not re-run" : (rerun.gates.find((x) => x.name === g.name)?.outcome ?? "missing");
    const lost = rerun !== null && (g.required ? !gatePasses(now) : !still(g.outcome, now));
    if (lost) broken.push(`the gate "${g.name}" was ${g.outcome} in the proof and is ${now} on a clean checkout of ${at}`);
    return { name: g.name, recorded: g.outcome, now, holds: !lost && (!g.required || gatePasses(g.outcome)) };
  });
  for (const g of rerun?.gates ?? []) {
    if (!g.required || proof.gates.some((x) => x.name === g.name)) continue;
    broken.push(`the required gate "${g.name}" runs on a clean checkout of ${at} (${g.outcome}) but the proof does not record it`);
    gates.push({ name: g.name, recorded: "missing", now: g.outcome, holds: false });
  }
  const listed = new Map(proof.criteria.map((c) => [c.id, c.verdict]));
  const criteria: ProofCheck["criteria"] = frozen.oracle.criteria.map((c) => {
    const recorded = listed.get(c.id) ?? "missing";
    const current = rerun?.criteria.get(c.id);
    const now = rerun === null ? "not re-run" : (current?.verdict ?? "missing");
    const lost = rerun !== null && now !== "passed";
    if (lost && recorded === "passed")
      broken.push(`the criterion ${c.id} was passed in the proof and is ${now} now${current === undefined ? "" : `: ${current.reason}`}`);
    return { id: c.id, recorded, now, holds: recorded === "passed" && !lost };
  });
  for (const c of proof.criteria) {
    if (!frozen.oracle.criteria.some((x) => x.id === c.id)) criteria.push({ id: c.id, recorded: c.verdict, now: "missing", holds: false });
  }
  return { gates, criteria };
}

/**
 * Re-check a proof. First what it claims, with nothing run: proof.json
 * against its schema and the frozen oracle beside it (hash-checked); as a
 * ready proof it must list every criterion of that oracle as passed and every
 * required gate as passed; when its goal's event log is found (the store
 * given, else the state root the proof sits in, `<root>/goals/<id>/`), its
 * base and head commits must be the log's and proof.json the file the log
 * recorded; every gate log and review record it names must match its
 * sha256. Evidence that is missing is a problem value (`evidence_missing`),
 * not a verdict. Then a clean detached checkout of the head commit (in a
 * temporary folder, removed after) where the gates run again (compared with
 * the base commit) and the oracle's checks run again; the base side is the
 * goal's recorded evidence (digest-checked against the goal's log), run
 * again when it is missing. The verdict holds when no claim is wrong and
 * every gate and criterion still passes.
 */
export async function verifyProof(input: VerifyProofInput): Promise<Result<ProofCheck, ProofProblem>> {
  const read = readProof(input.proofFile);
  if (!read.ok) return read;
  const { proof } = read.value;
  const goalDir = path.dirname(read.value.file);
  const broken: string[] = [];
  const notes: string[] = [];
  const record = await goalRecord(input.store, read.value.file, proof.goalId, broken, notes);
  const dirs = [...new Set([goalDir, ...(record === null ? [] : [record.goalDir])])];
  const frozen = oracleProblem(dirs, proof);
  if (!frozen.ok) return frozen;
  broken.push(...claimProblems(proof, frozen.value));
  if (record !== null) broken.push(...logProblems(proof, read.value.sha256, record));

  const recorded = recordedFiles(record?.events ?? [], proof.headCommit);
  const files = new EvidenceFiles(dirs, recorded.digests, broken);
  checkGateLogs(proof.gates, files);
  const sets = recordedEvidence(files, recorded, frozen.value, notes);
  const reviews = checkedReviews({ proof, frozen: frozen.value, files, headSets: sets.filter((s) => s.commit === proof.headCommit), notes });
  if (files.missing.size > 0) {
    if (broken.length === 0) return err(evidenceMissing(files.missing, files, read.value.file, proof.goalId));
    notes.push(`evidence the proof names is missing: ${[...files.missing].join(", ")}`);
  }
  const repo = await repoOf(input, proof, record?.goal.repoRoot ?? null);
  if (!repo.ok) {
    // What the proof claims is already wrong: that is the verdict, even with nothing to re-run it on.
    if (broken.length === 0) return repo;
    return ok({
      holds: false,
      headCommit: proof.headCommit,
      ...compareRows(proof, frozen.value, null, broken),
      problems: [...broken, `not re-run: ${repo.error.message}`, ...notes],
    });
  }
  // The re-run runs the agent's code: hidden from it are the state root the proof sits in (`<root>/goals/<id>/`) and the repository's git dir.
  const confine = checkoutConfinement(input.confinement, { stateRoot: input.store?.root ?? path.dirname(path.dirname(goalDir)), repo: repo.value });
  if (confine !== undefined) input = { ...input, confine };

  const work = mkdtempSync(path.join(os.tmpdir(), "omk-proof-verify-"));
  try {
    return await withDetachedCheckout(
      repo.value,
      proof.headCommit,
      async (dir, setup): Promise<Result<ProofCheck, ProofProblem>> => {
        const wall = await runWall({
          root: dir,
          ...(setup === undefined ? {} : { setup }),
          goalDir: work,
          outDir: path.join(work, "gates"),
          runId: newRunId(),
          base: proof.baseCommit,
          ...(input.depsCache === undefined ? {} : { depsCache: input.depsCache }),
          ...(input.env === undefined ? {} : { env: input.env }),
          ...(input.signal === undefined ? {} : { signal: input.signal }),
          ...(input.confine === undefined ? {} : { confine: input.confine }),
          ...(input.confine === undefined ? {} : { confine: input.confine }),
          ...(input.gatesConfig === undefined ? {} : { gatesConfig: input.gatesConfig }),
          onGate: (gate) => input.onEvent?.({ type: "gate_finished", where: "proof", gate }),
        });
        if (!wall.ok) return wall;
        const head = await collectOracleEvidence({
          side: "head",
          root: dir,
          commit: proof.headCommit,
          frozen: frozen.value,
          gates: wall.value.gates,
          testCases: junitCasesOf(wall.value.report),
          reviews,
          ...(setup === undefined ? {} : { setup }),
          outFile: path.join(work, "evidence-head.json"),
          ...(input.env === undefined ? {} : { env: input.env }),
          ...(input.signal === undefined ? {} : { signal: input.signal }),
          ...(input.confine === undefined ? {} : { confine: input.confine }),
          ...(input.confine === undefined ? {} : { confine: input.confine }),
          ...(input.gatesConfig === undefined ? {} : { gatesConfig: input.gatesConfig }),
          ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
        });
        if (!head.ok) return head;
        const base = await baseSide(input, proof, frozen.value, repo.value, sets, work, notes);
        if (!base.ok) return base;
        const evaluation = evaluateRound(frozen.value, base.value, head.value, { baseCommit: proof.baseCommit, headCommit: proof.headCommit });
        if (!evaluation.ok) return evaluation;
        const rerun: Rerun = {
          gates: wall.value.gates,
          criteria: new Map(evaluation.value.criteria.map((c) => [c.id, { verdict: c.verdict, reason: c.reason }])),
        };
        const rows = compareRows(proof, frozen.value, rerun, broken);
        const holds = broken.length === 0 && rows.gates.every((g) => g.holds) && rows.criteria.every((c) => c.holds);
        return ok({ holds, headCommit: proof.headCommit, ...rows, problems: [...broken, ...notes] });
      },
      "omk-proof-",
      depsOf(input, repo.value),
    );
  } catch (error) {
    if (input.signal?.aborted === true) return err(problem("aborted", "the proof check was aborted", "run it again when ready"));
    if (error instanceof SetupFailedError) return err(error.problem);
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
async function baseSide(
  input: VerifyProofInput,
  proof: Proof,
  frozen: FrozenOracle,
  repo: string,
  sets: readonly EvidenceSet[],
  work: string,
  problems: string[],
): Promise<Result<EvidenceSet | null, ProofProblem>> {
  if (!needsBase(frozen)) return ok(null);
  const candidates = sets.filter((s) => s.commit === proof.baseCommit);
  const recorded = candidates.find((s) => s.headTests !== undefined) ?? candidates[0];
  const testFiles = await changedTestFiles(repo, proof.baseCommit, proof.headCommit);
  const from = { repo, headCommit: proof.headCommit, testFiles };
  if (recorded !== undefined) {
    if (recorded.headTests !== undefined || !needsHeadTests(frozen)) return ok(recorded);
    const headTests = await runHeadTests(
      from,
      proof.baseCommit,
      frozen.oracle.criteria,
      path.join(work, "base-runs"),
      runContext(input, path.join(work, "base-runs")),
      input.gatesConfig,
      undefined,
      depsOf(input, repo),
    );
    return ok(headTests === undefined ? recorded : { ...recorded, headTests });
  }
  problems.push("no recorded base evidence of the goal: the base side was run again on a clean checkout of the base commit");
  return withDetachedCheckout(
    repo,
    proof.baseCommit,
    async (dir, setup) => {
      const wall = await runWall({
        root: dir,
        ...(setup === undefined ? {} : { setup }),
        goalDir: work,
        outDir: path.join(work, "base-gates"),
        runId: newRunId(),
        ...(input.env === undefined ? {} : { env: input.env }),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
        ...(input.confine === undefined ? {} : { confine: input.confine }),
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
        ...(setup === undefined ? {} : { setup }),
        deps: depsOf(input, repo),
        outFile: path.join(work, "evidence-base.json"),
        ...(input.env === undefined ? {} : { env: input.env }),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
        ...(input.confine === undefined ? {} : { confine: input.confine }),
        ...(input.gatesConfig === undefined ? {} : { gatesConfig: input.gatesConfig }),
        ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
      });
    },
    "omk-proof-base-",
    depsOf(input, repo),
  );
}
