import { mkdirSync } from "node:fs";
import path from "node:path";
import { type ConfineCommand, GatesAbortedError, type GatesConfig, loadGates, readTreeState, type SetupOutcome } from "@omk/gates";
import { type CommandResult, type Evaluation, type EvidenceSet, EvidenceSetSchema, evaluate, type JunitCase, type ReviewResult } from "@omk/oracle";
import { type Criterion, type FrozenOracle, type GateEvidence, writeFileAtomicSync } from "@omk/state";
import { type Result, err, ok } from "@omk/core";
import type { ProofProblem } from "../types.js";
import { type CheckoutDeps, SetupFailedError } from "../internal/checkout-deps.js";
import { CheckoutError, overlayFiles, withDetachedCheckout } from "./checkout.js";
import { messageOf, problem } from "./problem.js";
import { DEFAULT_COMMAND_TIMEOUT_MS, gateRunning, type RunContext, runCommand, runTests, testEvidenceFor, withSetupPath } from "./runs.js";

export type CollectOracleEvidenceInput = {
  readonly side: "base" | "head";
  /** A clean checkout of `commit`. */
  readonly root: string;
  readonly commit: string;
  readonly frozen: FrozenOracle;
  /** This side's gate evidence (a test_case whose command a gate ran is judged from that gate's cases). */
  readonly gates: readonly GateEvidence[];
  /** JUnit cases from the gates report of this side (junitCasesOf). */
  readonly testCases: readonly JunitCase[];
  /** Base side only: overlay the head's test files on a throwaway checkout of the base, run the test command → headTests. */
  readonly headTestsFrom?: { readonly repo: string; readonly headCommit: string; readonly testFiles: readonly string[] };
  readonly reviews?: readonly ReviewResult[];
  readonly signal?: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The EvidenceSet is written here; logs of the runs beside it in `<name>.runs/`. */
  readonly outFile: string;
  /** The dependency setup made in `root`: its PATH entries (a venv) come first for the oracle's commands, as for the gates. */
  readonly setup?: Pick<SetupOutcome, "path">;
  /** How the overlay checkout (the head's tests on the base's code) gets its dependencies. */
  readonly deps?: CheckoutDeps;
  /** Additive: the gates config (to find the gate running a test command); default .omk/gates.yaml in root. */
  readonly gatesConfig?: string;
  /** Additive: limit for each command (default 10 minutes). */
  readonly timeoutMs?: number;
  /** The sandbox of the checks' commands (checkoutConfinement); undefined: unconfined. */
  readonly confine?: ConfineCommand;
};

type TestCommand = { readonly argv: readonly string[]; readonly key: string };

const keyOf = (argv: readonly string[]) => JSON.stringify(argv);

/** The test commands whose JUnit cases the oracle reads (test_case, golden passing_cases), each once. */
function testCommands(criteria: readonly Criterion[], only?: (c: Criterion) => boolean): TestCommand[] {
  const out = new Map<string, TestCommand>();
  for (const c of criteria) {
    if (only !== undefined && !only(c)) continue;
    const argv = c.kind === "test_case" ? c.run.command : c.kind === "golden" && c.run.compare === "passing_cases" ? c.run.command : undefined;
    if (argv !== undefined) out.set(keyOf(argv), { argv, key: keyOf(argv) });
  }
  return [...out.values()];
}

/**
 * The oracle at planning time: every test command its criteria read cases
 * from (test_case, passing_cases) must yield per-test cases in `root`; for
 * one that cannot, a block with the reason and the config line that fixes
 * it, so no round is spent on a criterion that can never be met.
 */
export function perTestEvidenceBlocks(root: string, criteria: readonly Criterion[], gatesConfig?: string): { message: string; question: string }[] {
  const config = loadConfig(root, gatesConfig);
  return testCommands(criteria).flatMap((command) => {
    const can = testEvidenceFor(root, command.argv, config);
    if (can.ok) return [];
    return [{ message: `no per-test evidence can be had from the test command \`${command.argv.join(" ")}\`: ${can.reason}`, question: can.fix }];
  });
}

/** A gate ran this command and kept a JUnit report: its cases are already in `testCases`. */
function coveredByGate(gates: readonly GateEvidence[], argv: readonly string[]): boolean {
  return gates.some((g) => keyOf(g.command) === keyOf(argv) && g.outcome !== "skipped" && g.logs.some((l) => l.path.endsWith(".junit.xml")));
}

/** A one-element argv that is the line of a shell gate runs as that gate does: `sh -c line`. */
function runnable(argv: readonly string[], config: GatesConfig | undefined): readonly string[] {
  const gate = gateRunning(config, argv);
  return gate?.shell === true && typeof gate.command === "string" ? ["sh", "-c", gate.command] : argv;
}

function loadConfig(root: string, gatesConfig: string | undefined): GatesConfig | undefined {
  const loaded = loadGates(root, gatesConfig === undefined ? {} : { config: path.resolve(root, gatesConfig) });
  return loaded.ok ? loaded.value.config : undefined;
}

/**
 * Run the frozen oracle's checks on one commit and bind the results to the
 * oracle hash and the commit: command, golden (stdout) and benchmark criteria
 * run in `root`; test_case and passing_cases criteria read JUnit cases, from
 * this side's gates when a gate ran the same command, else from running the
 * command with a JUnit reporter. On the base side with `headTestsFrom`, the
 * head's test files are laid over a throwaway checkout of the base and the
 * test commands run there: `headTests`, the red half of red → green. The set
 * is written to `outFile`.
 */
export async function collectOracleEvidence(input: CollectOracleEvidenceInput): Promise<Result<EvidenceSet, ProofProblem>> {
  const root = path.resolve(input.root);
  const tree = await readTreeState(root);
  if (tree.commit !== input.commit) {
    return err(
      problem(
        "infra",
        `${root} is at ${tree.commit ?? "no commit"}, not at the ${input.side} commit ${input.commit}`,
        "collect the evidence in a checkout of that commit",
      ),
    );
  }
  const runsDir = path.join(path.dirname(input.outFile), `${path.basename(input.outFile, ".json")}.runs`);
  const bare = runContext(input, runsDir);
  const ctx = withSetupPath(bare, input.setup);
  const criteria = input.frozen.oracle.criteria;
  const config = loadConfig(root, input.gatesConfig);
  try {
    const commands: CommandResult[] = [];
    for (const c of criteria) {
      if (input.signal?.aborted === true) return err(aborted());
      if (c.kind === "command") commands.push(await runCommand(c.id, runnable(c.run.command, config), path.resolve(root, c.run.cwd), ctx, root));
      else if ((c.kind === "golden" && c.run.compare === "stdout") || c.kind === "benchmark")
        commands.push(await runCommand(c.id, runnable(c.run.command, config), root, ctx));
    }
    const junit = [...input.testCases];
    const testNotes: string[] = [];
    let n = 0;
    for (const command of testCommands(criteria)) {
      if (coveredByGate(input.gates, command.argv)) continue;
      n += 1;
      const run = await runTests(root, command.argv, config, path.join(runsDir, `tests-${n}`), ctx);
      junit.push(...run.cases);
      if (run.note !== undefined) testNotes.push(run.note);
    }
    const headTests =
      input.side === "base" && input.headTestsFrom !== undefined
        ? await runHeadTests(input.headTestsFrom, input.commit, criteria, runsDir, bare, input.gatesConfig, testNotes, input.deps)
        : undefined;
    const set = EvidenceSetSchema.parse({
      oracleHash: input.frozen.hash,
      commit: input.commit,
      commands,
      gates: [...input.gates],
      junit,
      ...(headTests === undefined ? {} : { headTests }),
      reviews: [...(input.reviews ?? [])],
      testNotes,
    });
    mkdirSync(path.dirname(input.outFile), { recursive: true });
    writeFileAtomicSync(input.outFile, `${JSON.stringify(set, null, 2)}\n`);
    return ok(set);
  } catch (error) {
    if (error instanceof GatesAbortedError || input.signal?.aborted === true) return err(aborted());
    if (error instanceof SetupFailedError) return err(error.problem);
    if (error instanceof CheckoutError) return err(problem("infra", error.message, "check the repository and run again"));
    return err(problem("infra", `collecting the ${input.side} evidence failed: ${messageOf(error)}`, "check the repository and run again"));
  }
}

/**
 * The head's tests run against the base's code: a throwaway detached checkout
 * of `baseCommit` with the head's version of `testFiles` laid over it, each
 * test_case command run there (with the overlay checkout's setup PATH; `ctx`
 * is the run context without any checkout's). Undefined when the oracle has no test_case
 * criterion. Throws on git trouble (CheckoutError) and aborts.
 */
export async function runHeadTests(
  from: { readonly repo: string; readonly headCommit: string; readonly testFiles: readonly string[] },
  baseCommit: string,
  criteria: readonly Criterion[],
  runsDir: string,
  ctx: RunContext,
  gatesConfig?: string,
  notes?: string[],
  deps?: CheckoutDeps,
): Promise<JunitCase[] | undefined> {
  const commands = testCommands(criteria, (c) => c.kind === "test_case");
  if (commands.length === 0) return undefined;
  return withDetachedCheckout(
    from.repo,
    baseCommit,
    async (dir, setup) => {
      await overlayFiles(from.repo, from.headCommit, dir, from.testFiles);
      const here = withSetupPath(ctx, setup);
      const config = loadConfig(dir, gatesConfig);
      const cases: JunitCase[] = [];
      let m = 0;
      for (const command of commands) {
        m += 1;
        const run = await runTests(dir, command.argv, config, path.join(runsDir, `head-tests-${m}`), here);
        cases.push(...run.cases);
        if (run.note !== undefined) notes?.push(`the head's tests on the base's code: ${run.note}`);
      }
      return cases;
    },
    "omk-overlay-",
    deps,
  );
}

/** What collecting evidence needs besides the checkout: the run context, for callers that run parts of it (verifyProof). */
export function runContext(
  input: { env?: Readonly<Record<string, string | undefined>>; signal?: AbortSignal; timeoutMs?: number; confine?: ConfineCommand },
  runsDir: string,
): RunContext {
  return {
    ...(input.confine === undefined ? {} : { confine: input.confine }),
    env: input.env ?? process.env,
    ...(input.signal === undefined ? {} : { signal: input.signal }),
    timeoutMs: input.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    logDir: path.join(runsDir, "logs"),
  };
}

const aborted = () => problem("aborted", "the oracle checks were aborted", "run again when ready");

/**
 * The frozen oracle against the evidence of the base and the head commit.
 * Evidence bound to another oracle hash or another commit than expected is a
 * problem (`evidence_refused`), as is evidence that does not parse
 * (`invalid_evidence`): nothing is judged from it.
 */
export function evaluateRound(
  frozen: FrozenOracle,
  base: EvidenceSet | null,
  head: EvidenceSet,
  expect: { readonly baseCommit?: string; readonly headCommit?: string } = {},
): Result<Evaluation, ProofProblem> {
  const evaluated = evaluate(frozen, { base, head, expect });
  if (evaluated.ok) return ok(evaluated.value);
  const e = evaluated.error;
  return err(
    problem(
      e.code,
      e.message,
      e.code === "evidence_refused" ? "collect the evidence again against the oracle in force and the right commit" : "collect the evidence again",
    ),
  );
}
