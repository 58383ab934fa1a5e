import { sha256, sha256Hasher, type Result, err, ok } from "@omk/core";
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import path from "node:path";
import { type EvidenceSet, EvidenceSetSchema, type ReviewResult } from "@omk/oracle";
import {
  type FrozenOracle,
  type Goal,
  type GoalEvent,
  GoalNotFoundError,
  type GoalStore,
  idProblem,
  LogTamperedError,
  openStore,
  type Proof,
  ProofSchema,
} from "@omk/state";
import type { ProofProblem } from "../types.js";
import { messageOf, problem } from "./problem.js";

const PROOF_FIX = "pass the path of a goal's proof.json (omk proof verify <goal dir>/proof.json); a goal writes one when it ends ready";

/** proof.json is a few kB to a few MB; anything above this is not one (and is refused before it is read). */
const PROOF_MAX_BYTES = 64 * 1024 * 1024;
/** An evidence file (gate log, review record, evidence set) is hashed in chunks; above this it is refused. */
const EVIDENCE_MAX_BYTES = 1024 * 1024 * 1024;

/** Why a path cannot be read as a bounded regular file. */
class NotARegularFile extends Error {
  constructor(
    readonly file: string,
    readonly why: "not_regular" | "too_large",
    detail: string,
  ) {
    super(`${file} ${detail}`);
  }
}

/**
 * The bytes of a regular file of at most `max` bytes: a FIFO, socket or
 * device (/dev/zero) is refused without blocking (opened O_NONBLOCK and
 * checked on the open descriptor, so a swap after a stat does not help), and
 * a file larger than `max` is refused before it is read. `onChunk`: stream
 * instead of collecting (hashing).
 */
function readRegularFile(file: string, max: number, onChunk?: (chunk: Buffer) => void): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new NotARegularFile(
        file,
        "not_regular",
        `is not a regular file (a ${stat.isFIFO() ? "FIFO" : stat.isCharacterDevice() ? "character device" : stat.isBlockDevice() ? "block device" : stat.isSocket() ? "socket" : "special file"})`,
      );
    if (stat.size > max) throw new NotARegularFile(file, "too_large", `is ${stat.size} bytes, more than the ${max} bytes allowed`);
    const chunks: Buffer[] = [];
    const chunk = Buffer.alloc(Math.min(1024 * 1024, Math.max(1, stat.size)));
    let total = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      // The file grew while it was read: still bounded.
      if (total > max) throw new NotARegularFile(file, "too_large", `grew past the ${max} bytes allowed while it was read`);
      const part = Buffer.from(chunk.subarray(0, n));
      if (onChunk === undefined) chunks.push(part);
      else onChunk(part);
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

/** proof.json, checked: a clear problem for a missing, unreadable, corrupt or foreign file. A directory means its proof.json. */
export function readProof(file: string): Result<{ file: string; proof: Proof; raw: Record<string, unknown>; sha256: string }, ProofProblem> {
  let target = path.resolve(file);
  if (existsSync(target) && statSync(target).isDirectory()) target = path.join(target, "proof.json");
  let bytes: Buffer;
  try {
    bytes = readRegularFile(target, PROOF_MAX_BYTES);
  } catch (cause) {
    if (cause instanceof NotARegularFile) {
      return err(problem(cause.why === "too_large" ? "proof_too_large" : "proof_unreadable", `${cause.message}: not a proof`, PROOF_FIX));
    }
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return err(problem("proof_missing", `${target} does not exist`, PROOF_FIX));
    return err(problem("proof_unreadable", `${target} cannot be read: ${messageOf(cause)}`, PROOF_FIX));
  }
  const text = bytes.toString("utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    return err(
      problem("proof_corrupt", `${target} is not JSON: ${messageOf(cause)}`, "restore the proof file the goal wrote (it was damaged), or run the goal again"),
    );
  }
  const kind = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)["kind"] : undefined;
  if (kind === "omk.failure") {
    const status = (raw as Record<string, unknown>)["status"];
    return err(
      problem(
        "proof_foreign",
        `${target} is a failure record (status ${String(status)}), not a proof: the goal did not end ready, so there is no verdict to re-check`,
        "read the failure's cause and resume the goal; verify its proof.json once it is ready",
      ),
    );
  }
  if (kind !== "omk.proof") {
    return err(problem("proof_foreign", `${target} is not an omk proof (its kind is ${kind === undefined ? "missing" : JSON.stringify(kind)})`, PROOF_FIX));
  }
  const parsed = ProofSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    return err(
      problem(
        "proof_corrupt",
        `${target} does not match the proof schema: ${issues.slice(0, 5).join("; ")}`,
        "restore the proof file the goal wrote (it was edited or damaged), or run the goal again",
      ),
    );
  }
  return ok({ file: target, proof: parsed.data, raw: raw as Record<string, unknown>, sha256: sha256(bytes) });
}

/** sha256 of a regular file (hashed in chunks); a FIFO, device or oversized file throws NotARegularFile. */
function sha256OfFile(file: string): string {
  const hash = sha256Hasher();
  readRegularFile(file, EVIDENCE_MAX_BYTES, (chunk) => hash.update(chunk));
  return hash.digest("hex");
}

/** The proof's goal as its event log tells it: where the log is, the goal, its events. */
export type GoalRecord = { readonly goal: Goal; readonly events: readonly GoalEvent[]; readonly goalDir: string };

/**
 * The proof's goal: from `store` when it holds the goal, else from the state
 * root the proof sits in (`<root>/goals/<id>/proof.json`, with the goal's
 * event log beside it). A proof that names another goal than the goal dir it
 * sits in is a problem (`broken`); an unreadable log is a note.
 */
export async function goalRecord(
  store: GoalStore | undefined,
  proofFile: string,
  goalId: string,
  broken: string[],
  notes: string[],
): Promise<GoalRecord | null> {
  const read = async (from: GoalStore, id: string): Promise<GoalRecord | null> => {
    try {
      const goal = await from.readGoal(id);
      return { goal, events: await from.readEvents(id), goalDir: from.paths(id).dir };
    } catch (cause) {
      // A log that fails its chain or MAC is a verdict on the proof, not a note: its goal's history was changed.
      if (cause instanceof LogTamperedError) {
        broken.push(`the event log of goal ${id} fails its hash chain: ${cause.message}`);
        return null;
      }
      if (!(cause instanceof GoalNotFoundError))
        notes.push(`the event log of goal ${id} under ${from.root} cannot be read (${messageOf(cause)}): the proof was not checked against it`);
      return null;
    }
  };
  const fromStore = store === undefined ? null : await read(store, goalId);
  if (fromStore !== null) return fromStore;
  const dir = path.dirname(proofFile);
  const dirId = path.basename(dir);
  if (path.basename(path.dirname(dir)) !== "goals" || idProblem(dirId) !== undefined || !existsSync(path.join(dir, "events.jsonl"))) return null;
  if (dirId !== goalId)
    broken.push(`the proof names goal ${goalId}, but it sits in the goal dir of goal ${dirId} (${dir}), whose event log is what it is checked against`);
  return read(openStore({ root: path.dirname(path.dirname(dir)) }), dirId);
}

/** Digests the goal's event log recorded for files of the goal dir (relative path → sha256): baseline, evaluations, reviews. */
export type RecordedFiles = {
  readonly digests: ReadonlyMap<string, string>;
  /** Evidence files of the latest evaluation of the head commit, then the baseline's. */
  readonly evidence: readonly string[];
};

export function recordedFiles(events: readonly GoalEvent[], headCommit: string): RecordedFiles {
  const digests = new Map<string, string>();
  const evaluated: string[] = [];
  const baseline: string[] = [];
  for (const e of events) {
    if (e.type === "baseline_recorded") {
      digests.set(path.normalize(e.data.evidence.path), e.data.evidence.sha256);
      baseline.splice(0, baseline.length, path.normalize(e.data.evidence.path));
    } else if (e.type === "oracle_evaluated") {
      for (const f of e.data.evidence) digests.set(path.normalize(f.path), f.sha256);
      if (e.data.headCommit === headCommit) evaluated.splice(0, evaluated.length, ...e.data.evidence.map((f) => path.normalize(f.path)));
    } else if (e.type === "review_recorded") {
      digests.set(path.normalize(e.data.record.path), e.data.record.sha256);
    }
  }
  return { digests, evidence: [...evaluated, ...baseline] };
}

/**
 * The evidence files a proof relies on, looked up in the proof's dir, then
 * the goal dir of the state store. Each file is checked once: a missing file
 * is remembered in `missing` (evidence to find, not a verdict); a file whose
 * content differs from the digest recorded for it is a problem (`broken`).
 */
export class EvidenceFiles {
  readonly missing = new Set<string>();
  private readonly seen = new Map<string, string | undefined>();
  constructor(
    readonly dirs: readonly string[],
    private readonly digests: ReadonlyMap<string, string>,
    private readonly broken: string[],
  ) {}

  /** The file, or undefined when it is missing or changed. `sha256`: the digest the proof names (else the goal's log's). */
  check(rel: string, what: string, sha256?: string): string | undefined {
    const key = path.normalize(rel);
    if (this.seen.has(key)) return this.seen.get(key);
    const file = this.locate(rel);
    let result: string | undefined = file;
    if (file === undefined) this.missing.add(rel);
    else {
      const want = sha256 ?? this.digests.get(key);
      let actual: string | undefined;
      try {
        actual = want === undefined ? undefined : sha256OfFile(file);
      } catch (cause) {
        if (!(cause instanceof NotARegularFile)) throw cause;
        this.broken.push(`${what} ${rel} cannot be the recorded file: ${cause.message}`);
        this.seen.set(key, undefined);
        return undefined;
      }
      if (want !== undefined && actual !== want) {
        this.broken.push(
          `${what} ${rel} was changed after it was recorded (its sha256 differs from the one ${sha256 === undefined ? "the goal's log" : "the proof"} names)`,
        );
        result = undefined;
      }
    }
    this.seen.set(key, result);
    return result;
  }

  /** Whether the goal's log (or the proof) names a digest for this file. */
  hasDigest(rel: string): boolean {
    return this.digests.has(path.normalize(rel));
  }

  private locate(rel: string): string | undefined {
    if (path.isAbsolute(rel)) return existsSync(rel) ? rel : undefined;
    for (const dir of this.dirs) {
      const file = path.resolve(dir, rel);
      if (existsSync(file)) return file;
    }
    return undefined;
  }
}

/** Recorded evidence sets of the goal (the latest evaluation of the head, then the baseline), digest-checked and bound to the oracle. */
export function recordedEvidence(files: EvidenceFiles, recorded: RecordedFiles, frozen: FrozenOracle, notes: string[]): EvidenceSet[] {
  const fallback = path.join("baseline", "evidence.json");
  const named = recorded.evidence.length > 0;
  const list = named ? recorded.evidence : files.dirs.some((d) => existsSync(path.join(d, fallback))) ? [fallback] : [];
  const sets: EvidenceSet[] = [];
  for (const rel of list) {
    const file = files.check(rel, "the evidence file");
    if (file === undefined) continue;
    try {
      const set = EvidenceSetSchema.parse(JSON.parse(readRegularFile(file, EVIDENCE_MAX_BYTES).toString("utf8")));
      if (set.oracleHash !== frozen.hash) notes.push(`the evidence file ${rel} was produced against oracle ${set.oracleHash}, not ${frozen.hash}: not used`);
      else sets.push(set);
    } catch (cause) {
      notes.push(`the evidence file ${rel} is not an evidence set: ${messageOf(cause)}`);
    }
  }
  return sets;
}

/**
 * The review verdicts to judge review criteria by: the recorded head evidence's
 * reviews, else the proof's reviews matched to the oracle's review criteria
 * by reviewer. Every review record the proof or that evidence names is
 * checked (call before the re-run, so a missing one is known up front); a
 * verdict counts only when its record file exists with the digest the proof
 * (or the goal's log) names.
 */
export function checkedReviews(input: {
  proof: Proof;
  frozen: FrozenOracle;
  files: EvidenceFiles;
  headSets: readonly EvidenceSet[];
  notes: string[];
}): ReviewResult[] {
  const { proof, files } = input;
  const proofDigest = new Map(proof.reviews.flatMap((r) => (r.sha256 === undefined ? [] : [[path.normalize(r.record), r.sha256] as const])));
  const check = (record: string) => files.check(record, "the review record", proofDigest.get(path.normalize(record)));
  for (const r of proof.reviews) check(r.record);
  const fromSets = input.headSets.flatMap((s) => s.reviews);
  const results: ReviewResult[] =
    fromSets.length > 0
      ? fromSets
      : input.frozen.oracle.criteria.flatMap((c) =>
          c.kind !== "review"
            ? []
            : proof.reviews.filter((r) => r.kind === c.run.reviewer).map((r) => ({ criterionId: c.id, verdict: r.verdict, record: r.record })),
        );
  const out: ReviewResult[] = [];
  const unsigned = new Set<string>();
  for (const r of results) {
    if (check(r.record) === undefined) continue;
    if (!proofDigest.has(path.normalize(r.record)) && !files.hasDigest(r.record)) unsigned.add(r.record);
    out.push(r);
  }
  for (const record of unsigned) input.notes.push(`the review record ${record} has no recorded sha256: its presence was checked, not its content`);
  return out;
}
