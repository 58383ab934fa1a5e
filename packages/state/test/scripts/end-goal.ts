// Ends a running goal (ready with a proof, or failed_infra with evidence); the test sets OMK_CRASH_AT
// so the process SIGKILLs itself right after one of the transition's events is appended.
import { openStore, type Proof } from "../../src/index.js";

const [goalId, to] = process.argv.slice(2) as [string, "ready" | "failed_infra"];
const store = openStore();
const proof: Proof = {
  schemaVersion: 1,
  kind: "omk.proof",
  goalId,
  status: "ready",
  oracleHash: "a".repeat(64),
  baseCommit: "1".repeat(40),
  headCommit: "2".repeat(40),
  tasks: [],
  gates: [],
  criteria: [],
  reviews: [],
  knownGaps: ["a proof from the crash test"],
  spend: { timeMs: 0, tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 }, usd: 0, usdUnknownRecords: 0, records: 0 },
  recheck: [],
  lastSeq: 1,
  createdAt: new Date().toISOString(),
};
const ended =
  to === "ready"
    ? await store.transition(goalId, "ready", { actor: "controller", proof, reason: "all criteria passed" })
    : await store.transition(goalId, "failed_infra", {
        actor: "controller",
        cause: { code: "infra_error", message: "disk on fire" },
        evidence: ["runs/t1/1/log.txt"],
      });
process.stdout.write(`${JSON.stringify({ ok: ended.ok })}\n`);
