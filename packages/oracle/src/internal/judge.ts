import { sha256 } from "@omk/core";
import type { Criterion, GateEvidence } from "@omk/state";
import type { CommandResult, EvidenceSet, JunitCase } from "../evidence.js";
import { analyzeCommand, formatCommand } from "../vacuity.js";

export type Verdict = "passed" | "failed" | "not_run" | "vacuous";
export type Judgment = { verdict: Verdict; reason: string; evidence: string[] };

type Sides = { base: EvidenceSet | null; head: EvidenceSet };
type Of<K extends Criterion["kind"]> = Extract<Criterion, { kind: K }>;

const short = (sha: string) => sha.slice(0, 7);
const at = (side: "base" | "head", set: EvidenceSet) => `${side} ${short(set.commit)}`;
const judgment = (verdict: Verdict, reason: string, evidence: string[]): Judgment => ({ verdict, reason, evidence });

function lastCommand(set: EvidenceSet, id: string): CommandResult | undefined {
  return set.commands.filter((c) => c.criterionId === id).at(-1);
}

function describeRun(side: "base" | "head", set: EvidenceSet, run: CommandResult): string {
  const status = run.timedOut ? "timed out" : run.exitCode === null ? `was killed (${run.signal ?? "signal"})` : `exited ${run.exitCode}`;
  return `${at(side, set)}: \`${formatCommand(run.command)}\` ${status} in ${Math.round(run.durationMs)} ms`;
}

const succeeded = (run: CommandResult) => !run.timedOut && run.exitCode === 0;

/** Base evidence for a comparison or a red → green check, or the judgment that stands in for it. */
function baseFor(sides: Sides, why: string): EvidenceSet | Judgment {
  if (sides.base === null) return judgment("not_run", `no evidence from the base commit: ${why}`, []);
  if (sides.base.commit === sides.head.commit) {
    return judgment("vacuous", `base and head are the same commit (${short(sides.head.commit)}): ${why}, so comparing them proves nothing`, []);
  }
  return sides.base;
}

export function judgeCommand(c: Of<"command">, sides: Sides): Judgment {
  const analysis = analyzeCommand(c.run.command);
  const shown = `\`${formatCommand(c.run.command)}\``;
  if (analysis.outcome === "always") return judgment("vacuous", `${shown} cannot fail: ${analysis.reason}`, [`static: ${analysis.reason}`]);
  const head = lastCommand(sides.head, c.id);
  if (head === undefined) return judgment("not_run", `${shown} was not run on the head commit`, []);
  const evidence = [describeRun("head", sides.head, head)];
  if (!succeeded(head)) return judgment("failed", `${shown} failed on the head commit`, evidence);
  if (!c.mustFailOnBase) return judgment("passed", `${shown} exits 0 on the head commit`, evidence);
  const base = baseFor(sides, "the command must fail there first");
  if (!("commit" in base)) return { ...base, evidence: [...evidence, ...base.evidence] };
  const before = lastCommand(base, c.id);
  if (before === undefined) return judgment("not_run", `${shown} was not run on the base commit, so red → green is unproven`, evidence);
  evidence.unshift(describeRun("base", base, before));
  if (succeeded(before)) return judgment("vacuous", `${shown} already passed on the base commit: it was never red`, evidence);
  return judgment("passed", `${shown} failed on base and passes on head`, evidence);
}

function caseMatches(kase: JunitCase, selector: Of<"test_case">["run"]["case"]): boolean {
  const full = kase.classname === "" ? kase.name : `${kase.classname} ${kase.name}`;
  return selector.match === "exact" ? kase.name === selector.name || full === selector.name : full.includes(selector.name);
}

const caseLabel = (kase: JunitCase) => JSON.stringify(kase.classname === "" ? kase.name : `${kase.classname} > ${kase.name}`);

/** The collector's notes on why a test command gave no cases, appended to a not_run reason. */
const whyNoCases = (set: EvidenceSet) => (set.testNotes.length === 0 ? "" : ` (${set.testNotes.join("; ")})`);

export function judgeTestCase(c: Of<"test_case">, sides: Sides): Judgment {
  const wanted = `${c.run.case.match === "exact" ? "named" : "holding"} ${JSON.stringify(c.run.case.name)}`;
  const head = sides.head.junit.filter((k) => caseMatches(k, c.run.case));
  if (head.length === 0) return judgment("not_run", `no JUnit case ${wanted} ran on the head commit${whyNoCases(sides.head)}`, []);
  const evidence = head.map((k) => `${at("head", sides.head)}: case ${caseLabel(k)} ${k.status}`);
  if (head.some((k) => k.status === "failed" || k.status === "error")) return judgment("failed", `a case ${wanted} fails on the head commit`, evidence);
  if (head.some((k) => k.status === "skipped")) return judgment("not_run", `a case ${wanted} was skipped on the head commit`, evidence);
  if (head.every((k) => k.assertions === 0)) return judgment("vacuous", `the cases ${wanted} ran no assertion`, evidence);
  if (!c.mustFailOnBase) return judgment("passed", `the cases ${wanted} pass on the head commit`, evidence);
  const base = baseFor(sides, "the test must fail there first");
  if (!("commit" in base)) return { ...base, evidence: [...evidence, ...base.evidence] };
  const before = (base.headTests ?? base.junit).filter((k) => caseMatches(k, c.run.case));
  evidence.unshift(...before.map((k) => `${at("base", base)}: case ${caseLabel(k)} ${k.status}`));
  if (before.length === 0) {
    return judgment(
      "not_run",
      `no case ${wanted} ran on the base commit (run the head's tests against the base's code), so red → green is unproven${whyNoCases(base)}`,
      evidence,
    );
  }
  if (!before.some((k) => k.status === "failed" || k.status === "error")) {
    return judgment("vacuous", `the test was never red: the cases ${wanted} did not fail on the base commit`, evidence);
  }
  return judgment("passed", `the cases ${wanted} fail on base and pass on head`, evidence);
}

function lastGate(set: EvidenceSet, name: string): GateEvidence | undefined {
  return set.gates.filter((g) => g.name === name).at(-1);
}

function gateProblem(side: "base" | "head", set: EvidenceSet, gate: GateEvidence): string | undefined {
  if (gate.commit !== set.commit) return `the "${gate.name}" evidence on ${side} is for commit ${short(gate.commit)}, not ${short(set.commit)}`;
  if (gate.dirty) return `the "${gate.name}" gate ran on a dirty tree on ${side}`;
  return undefined;
}

export function judgeGate(c: Of<"gate">, sides: Sides): Judgment {
  const name = c.run.gate;
  const head = lastGate(sides.head, name);
  if (head === undefined) return judgment("not_run", `the gate "${name}" did not run on the head commit`, []);
  const evidence = [`${at("head", sides.head)}: gate "${name}" \`${formatCommand(head.command)}\` ${head.outcome} (exit ${head.exitCode ?? "none"})`];
  const problem = gateProblem("head", sides.head, head);
  if (problem !== undefined) return judgment("not_run", problem, evidence);
  const analysis = analyzeCommand(head.command);
  if (analysis.outcome === "always")
    return judgment("vacuous", `the gate "${name}" cannot fail: ${analysis.reason}`, [...evidence, `static: ${analysis.reason}`]);
  if (head.outcome === "skipped") return judgment("not_run", `the gate "${name}" was skipped on the head commit`, evidence);
  if (head.outcome !== "passed") return judgment("failed", `the gate "${name}" is ${head.outcome} on the head commit`, evidence);
  if (!c.mustFailOnBase) return judgment("passed", `the gate "${name}" passes on the head commit`, evidence);
  const base = baseFor(sides, "the gate must fail there first");
  if (!("commit" in base)) return { ...base, evidence: [...evidence, ...base.evidence] };
  const before = lastGate(base, name);
  if (before === undefined || gateProblem("base", base, before) !== undefined) {
    return judgment("not_run", `the gate "${name}" has no clean run on the base commit, so red → green is unproven`, evidence);
  }
  evidence.unshift(`${at("base", base)}: gate "${name}" ${before.outcome}`);
  if (before.outcome === "passed") return judgment("vacuous", `the gate "${name}" already passed on the base commit: it was never red`, evidence);
  if (before.outcome === "skipped") return judgment("not_run", `the gate "${name}" was skipped on the base commit`, evidence);
  return judgment("passed", `the gate "${name}" failed on base and passes on head`, evidence);
}

const digest = (run: CommandResult) => run.stdoutSha256 ?? sha256(run.stdout);
const key = (k: JunitCase) => `${k.classname}\u0000${k.name}`;

export function judgeGolden(c: Of<"golden">, sides: Sides): Judgment {
  const base = baseFor(sides, "a golden check compares base and head");
  if (!("commit" in base)) return base;
  if (c.run.compare === "passing_cases") {
    if (base.junit.length === 0) return judgment("not_run", `no JUnit cases from the base commit to compare with${whyNoCases(base)}`, []);
    if (sides.head.junit.length === 0) return judgment("not_run", `no JUnit cases from the head commit${whyNoCases(sides.head)}`, []);
    const before = base.junit.filter((k) => k.status === "passed");
    if (before.length === 0) return judgment("vacuous", "no case passes on the base commit, so no behaviour is kept by this comparison", []);
    const after = new Set(sides.head.junit.filter((k) => k.status === "passed").map(key));
    const lost = before.filter((k) => !after.has(key(k)));
    const evidence = [`${at("base", base)}: ${before.length} passing cases`, `${at("head", sides.head)}: ${after.size} passing cases`];
    if (lost.length > 0) {
      const shown = lost.slice(0, 10).map((k) => `lost: case ${caseLabel(k)}`);
      return judgment("failed", `${lost.length} case(s) passing on base do not pass on head`, [...evidence, ...shown]);
    }
    return judgment("passed", `all ${before.length} cases passing on base pass on head`, evidence);
  }
  const shown = `\`${formatCommand(c.run.command)}\``;
  const [b, h] = [lastCommand(base, c.id), lastCommand(sides.head, c.id)];
  if (b === undefined || h === undefined) return judgment("not_run", `${shown} was not run on ${b === undefined ? "the base" : "the head"} commit`, []);
  const evidence = [describeRun("base", base, b), describeRun("head", sides.head, h)];
  if (!succeeded(b) || !succeeded(h))
    return judgment("failed", `${shown} failed on ${succeeded(b) ? "head" : "base"}, so its outputs cannot be compared`, evidence);
  const [db, dh] = [digest(b), digest(h)];
  evidence.push(`output sha256 base ${db.slice(0, 12)}, head ${dh.slice(0, 12)}`);
  if (db !== dh) return judgment("failed", `${shown} prints different output on base and head`, evidence);
  return judgment("passed", `${shown} prints the same output on base and head`, evidence);
}

function metric(c: Of<"benchmark">, run: CommandResult): number | undefined {
  if (c.run.metric.source === "duration") return run.durationMs;
  let pattern: RegExp;
  try {
    pattern = new RegExp(c.run.metric.pattern, "u");
  } catch {
    return undefined;
  }
  const line = run.stdout
    .split("\n")
    .filter((l) => pattern.test(l))
    .at(-1);
  const value = line === undefined ? undefined : Number(pattern.exec(line)?.[1]);
  return value === undefined || !Number.isFinite(value) ? undefined : value;
}

export function judgeBenchmark(c: Of<"benchmark">, sides: Sides): Judgment {
  const base = baseFor(sides, "a benchmark compares base and head");
  if (!("commit" in base)) return base;
  const shown = `\`${formatCommand(c.run.command)}\``;
  const [b, h] = [lastCommand(base, c.id), lastCommand(sides.head, c.id)];
  if (b === undefined || h === undefined) return judgment("not_run", `${shown} was not run on ${b === undefined ? "the base" : "the head"} commit`, []);
  const evidence = [describeRun("base", base, b), describeRun("head", sides.head, h)];
  if (!succeeded(b) || !succeeded(h)) return judgment("failed", `the benchmark failed on ${succeeded(b) ? "head" : "base"}`, evidence);
  const [vb, vh] = [metric(c, b), metric(c, h)];
  if (vb === undefined || vh === undefined)
    return judgment("failed", `the metric was not found in the output of ${vb === undefined ? "base" : "head"}`, evidence);
  const unit = c.run.metric.unit;
  evidence.push(`metric: base ${vb} ${unit}, head ${vh} ${unit}`);
  if (vb === 0) return judgment("failed", "the base measurement is 0, so no relative change can be computed", evidence);
  const change = c.run.better === "lower" ? (vb - vh) / vb : (vh - vb) / vb;
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  if (change < c.run.minImprovement) {
    return judgment("failed", `improved by ${pct(change)}, less than the required ${pct(c.run.minImprovement)}`, evidence);
  }
  return judgment("passed", `improved by ${pct(change)} (required ${pct(c.run.minImprovement)})`, evidence);
}

export function judgeReview(c: Of<"review">, sides: Sides): Judgment {
  const review = sides.head.reviews.filter((r) => r.criterionId === c.id).at(-1);
  if (review === undefined) return judgment("not_run", `no ${c.run.reviewer} verdict was recorded on the head commit`, []);
  const evidence = [`${at("head", sides.head)}: ${c.run.reviewer} ${review.verdict} (${review.record})`];
  return review.verdict === "passed"
    ? judgment("passed", `the ${c.run.reviewer} approved`, evidence)
    : judgment("failed", `the ${c.run.reviewer} blocked the change`, evidence);
}
