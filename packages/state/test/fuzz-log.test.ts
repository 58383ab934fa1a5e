/**
 * Fuzz (issue 14, standing test): whatever bytes events.jsonl (and goal.json)
 * hold, opening the goal — reading it, replaying it, and a writer's open that
 * repairs a torn tail — returns a value or throws a typed OmkError (a code,
 * a one-line message, a fix); never a bare TypeError/SyntaxError (exit 70).
 * And no byte of the log is lost: afterwards the log still starts with every
 * byte it had, or the bytes cut off as a torn tail are kept, byte for byte,
 * in the `events.jsonl.torn-<offset>` file the repair names.
 * Inputs: a real goal's log, mutated line by line (duplicated seq, swapped,
 * dropped, foreign JSON, random events) and byte by byte (truncated,
 * inserted, flipped, invalid UTF-8), torn tails, damaged goal.json, and a
 * few huge lines. The seed of a failure is printed by fast-check;
 * OMK_FUZZ_SEED replays it.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, FUZZ_TIMEOUT_MS, fuzzParams, makeTempDir } from "@omk/test-fixtures";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OmkError } from "@omk/core";
import { type GoalStore, openStore } from "../src/store.js";

afterAll(cleanupTempDirs);

const LIMITS = { timeMs: 3_600_000, tokens: 10_000, usd: 5 };
const HUGE_RUNS = 12;

/** A real goal's files: its id, events.jsonl and goal.json. */
let base: { id: string; lines: Buffer[]; snapshot: Buffer; keys: string | undefined };

beforeAll(async () => {
  const store = openStore({ root: makeTempDir("state-fuzz-base-") });
  const created = await store.createGoal({ text: "Add a --json flag to report — vérifié ✓", repoRoot: "/tmp/repo", limits: LIMITS, maxAgents: 2 });
  if (!created.ok) throw new Error(created.error.message);
  const id = created.value.id;
  const steps = [
    () => store.amend(id, { answer: "use the existing formatter, ünïcödé 🙂" }),
    () => store.transition(id, "running", { reason: "started" }),
    () => store.setPhase(id, "intake"),
    () => store.recordUsage(id, { source: "engine", tokens: { input: 120, output: 30, cacheRead: 0, cacheWrite: 0 }, usd: 0.01 }),
    () => store.extendBudget(id, { tokens: 5000 }),
    () => store.setPhase(id, "planning"),
  ];
  for (const step of steps) {
    const r = await step();
    if (!r.ok) throw new Error(r.error.message);
  }
  const p = store.paths(id);
  const bytes = readFileSync(p.events);
  const lines: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const end = bytes.indexOf(0x0a, start) + 1;
    lines.push(bytes.subarray(start, end));
    start = end;
  }
  // The log's MAC key (when the store keeps one): each case's state root gets a copy, so a case's lines are checked against it.
  const keys = path.join(store.root, "keys");
  base = { id, lines, snapshot: readFileSync(p.snapshot), keys: existsSync(keys) ? keys : undefined };
});

/** Bytes that are not UTF-8 (lone continuation, truncated sequences, overlongs, surrogates) and some that are. */
const oddBytes = fc
  .oneof(
    fc.constantFrom(
      [0xff],
      [0xfe],
      [0x80],
      [0xc3],
      [0xe2, 0x82],
      [0xf0, 0x9f, 0x99],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0x00],
      [0x0d],
      [0x22],
      [0x5c],
      [0x7b],
      [0x7d],
      [0xc3, 0xa9],
      [0xf0, 0x9f, 0x99, 0x82],
    ),
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 }),
  )
  .map((b) => Buffer.from(b));

/** A line that is JSON but maybe not an event: foreign objects, events with odd fields, other schema versions. */
const foreignLine = fc
  .oneof(
    fc.json({ maxDepth: 3 }),
    fc
      .record({
        v: fc.oneof(fc.constant(1), fc.integer({ min: -2, max: 5 }), fc.constant("1"), fc.double()),
        seq: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.constant(1e300), fc.constant(null)),
        ts: fc.oneof(fc.constant("2026-03-01T10:00:00.000Z"), fc.string({ maxLength: 30 })),
        type: fc.constantFrom(
          "goal_created",
          "status_changed",
          "phase_changed",
          "usage_recorded",
          "budget_extended",
          "goal_amended",
          "task_graph_set",
          "log_repaired",
          "outcome_recorded",
          "bogus",
        ),
        actor: fc.constantFrom("user", "controller", "system", ""),
        data: fc.oneof(
          fc.object({ maxDepth: 2 }),
          fc.constant({ add: { tokens: 999_999_999 } }),
          fc.constant({ from: "created", to: "ready" }),
          fc.constant({ from: null, to: "planning" }),
          fc.constant({ answer: "x" }),
          fc.constant({ droppedBytes: 3, sha256: "0".repeat(64), savedTo: "../../../etc/passwd" }),
        ),
      })
      .map((e) => JSON.stringify(e)),
  )
  .map((text) => Buffer.from(`${text}\n`));

type LineEdit =
  | { op: "duplicate" | "drop"; at: number }
  | { op: "swap"; at: number; with: number }
  | { op: "insert"; at: number; line: Buffer }
  | { op: "reseq"; at: number; seq: number };

const lineEdit: fc.Arbitrary<LineEdit> = fc.oneof(
  fc.record({ op: fc.constantFrom("duplicate" as const, "drop" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), line: foreignLine }),
  fc.record({ op: fc.constant("reseq" as const), at: fc.nat(), seq: fc.integer({ min: -1, max: 20 }) }),
);

type ByteEdit = { op: "insert" | "replace"; at: number; bytes: Buffer } | { op: "delete"; at: number; len: number } | { op: "truncate"; at: number };

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({ op: fc.constantFrom("insert" as const, "replace" as const), at: fc.nat(), bytes: oddBytes }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
);

/** What goal.json holds next to the log. */
const snapshotCase = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "kept" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "missing" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncated" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("bytes" as const), bytes: fc.uint8Array({ maxLength: 64 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("logBytes" as const),
      logBytes: fc.oneof(fc.nat({ max: 5000 }), fc.constant(-1), fc.constant(1e20)),
      lastSeq: fc.integer({ min: 0, max: 12 }),
    }),
  },
);

type Op = "readGoal" | "replay" | "readEvents" | "rebuild" | "touch" | "amend" | "quarantine";
const ops = fc.array(fc.constantFrom<Op>("readGoal", "replay", "readEvents", "rebuild", "touch", "amend", "quarantine"), { minLength: 1, maxLength: 3 });

const logCase = fc.record({
  lineEdits: fc.array(lineEdit, { maxLength: 4 }),
  byteEdits: fc.array(byteEdit, { maxLength: 4 }),
  torn: fc.option(
    fc.oneof(
      oddBytes,
      fc.constant(Buffer.from('{"v":1,"seq":7,"ts":"2026-03-01T10:00:00.000Z","type":"budget_extended","actor":"user","data":{"add":{"tokens":9')),
    ),
    { nil: undefined },
  ),
  snapshot: snapshotCase,
  ops,
});

function applyLineEdits(lines: Buffer[], edits: readonly LineEdit[]): Buffer[] {
  const out = [...lines];
  for (const e of edits) {
    const i = out.length === 0 ? 0 : e.at % out.length;
    if (e.op === "duplicate" && out.length > 0) out.splice(i + 1, 0, out[i] as Buffer);
    else if (e.op === "drop" && out.length > 0) out.splice(i, 1);
    else if (e.op === "swap" && out.length > 1) {
      const j = e.with % out.length;
      [out[i], out[j]] = [out[j] as Buffer, out[i] as Buffer];
    } else if (e.op === "insert") out.splice(e.at % (out.length + 1), 0, e.line);
    else if (e.op === "reseq" && out.length > 0) out[i] = Buffer.from((out[i] as Buffer).toString("utf8").replace(/"seq":-?\d+/, `"seq":${e.seq}`));
  }
  return out;
}

function applyByteEdits(bytes: Buffer, edits: readonly ByteEdit[]): Buffer {
  let out = bytes;
  for (const e of edits) {
    const i = e.at % (out.length + 1);
    if (e.op === "insert") out = Buffer.concat([out.subarray(0, i), e.bytes, out.subarray(i)]);
    else if (e.op === "replace") out = Buffer.concat([out.subarray(0, i), e.bytes, out.subarray(Math.min(out.length, i + e.bytes.length))]);
    else if (e.op === "delete") out = Buffer.concat([out.subarray(0, i), out.subarray(Math.min(out.length, i + e.len))]);
    else out = out.subarray(0, i);
  }
  return Buffer.from(out);
}

function snapshotBytes(c: { kind: string; at?: number; bytes?: Uint8Array; logBytes?: number; lastSeq?: number }): Buffer | undefined {
  const snap = base.snapshot;
  if (c.kind === "missing") return undefined;
  if (c.kind === "truncated") return snap.subarray(0, (c.at ?? 0) % (snap.length + 1));
  if (c.kind === "bytes") return Buffer.from(c.bytes ?? []);
  if (c.kind === "logBytes") {
    const goal = JSON.parse(snap.toString("utf8")) as Record<string, unknown>;
    return Buffer.from(JSON.stringify({ ...goal, logBytes: c.logBytes, lastSeq: c.lastSeq }));
  }
  return snap;
}

let caseNo = 0;
const root = () => {
  const dir = path.join(fuzzRoot, String(caseNo++));
  mkdirSync(dir);
  return dir;
};
let fuzzRoot = "";
beforeAll(() => {
  // On tmpfs when there is one: fsync is then free, and the cases are about bytes, not disks.
  fuzzRoot = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/omk-state-fuzz-") : makeTempDir("state-fuzz-");
});
afterAll(() => rmSync(fuzzRoot, { recursive: true, force: true }));

/** How the ops ended, by op and error code (printed with OMK_FUZZ_STATS=1, to see what the cases reach). */
const outcomes = new Map<string, number>();
const tally = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
afterAll(() => {
  if (process.env["OMK_FUZZ_STATS"] === "1")
    process.stderr.write(
      `${[...outcomes]
        .sort()
        .map(([k, n]) => `${k}: ${n}`)
        .join("\n")}\n`,
    );
});

async function runOp(store: GoalStore, id: string, op: Op): Promise<void> {
  if (op === "readGoal") await store.readGoal(id);
  else if (op === "replay") await store.replay(id);
  else if (op === "readEvents") await store.readEvents(id);
  else if (op === "rebuild") await store.rebuildSnapshot(id);
  // A writer's open (repairs a torn tail) that appends nothing, and one that appends.
  else if (op === "touch") await store.append(id, () => []);
  // `omk goal replay --quarantine`: sets a forged tail aside.
  else if (op === "quarantine") await store.quarantineForgedTail(id);
  else await store.amend(id, { answer: "fuzz" });
}

/** Open a goal whose files hold `log` (and `snapshot`), run the ops, and check the properties. */
async function openAndCheck(log: Buffer, snapshot: Buffer | undefined, opList: readonly Op[]): Promise<void> {
  const stateRoot = root();
  const store = openStore({ root: stateRoot, mutexWaitMs: 2000 });
  const p = store.paths(base.id);
  mkdirSync(p.dir, { recursive: true });
  if (base.keys !== undefined) cpSync(base.keys, path.join(stateRoot, "keys"), { recursive: true });
  writeFileSync(p.events, log);
  if (snapshot !== undefined) writeFileSync(p.snapshot, snapshot);
  try {
    for (const op of opList) {
      try {
        await runOp(store, base.id, op);
        tally(`${op} ok`);
      } catch (error) {
        tally(`${op} ${(error as { code?: string }).code ?? (error as Error).name}`);
        // A typed error: the CLI maps its code to an exit code and prints its one line and fix.
        if (!(error instanceof OmkError)) throw new Error(`${op} threw a bare ${(error as Error)?.name}: ${(error as Error)?.message}`, { cause: error });
        expect(error.code).toMatch(/^OMK_[A-Z_]+$/);
        expect(error.message).not.toMatch(/[\r\n]/);
        expect(error.fix ?? "").not.toBe("");
      }
    }
    // No byte lost: the log, with the bytes set aside (a torn tail, a quarantined forged tail) put back
    // where they were cut, starts with every byte it had.
    const now = readFileSync(p.events);
    const aside = readdirSync(p.dir)
      .map((f) => /^events\.jsonl\.(?:torn|forged)-(\d+)$/.exec(f))
      .filter((m) => m !== null)
      .map((m) => ({ offset: Number(m[1]), bytes: readFileSync(path.join(p.dir, m[0])) }))
      .sort((a, b) => a.offset - b.offset);
    let rebuilt = now;
    if (aside.length > 0) {
      const parts = [now.subarray(0, (aside[0] as { offset: number }).offset)];
      aside.forEach((a, i) => {
        const next = aside[i + 1];
        parts.push(next === undefined ? a.bytes : a.bytes.subarray(0, next.offset - a.offset));
      });
      rebuilt = Buffer.concat(parts);
    }
    expect(rebuilt.subarray(0, log.length).equals(log), `bytes of the log were lost (set aside: ${aside.map((a) => a.offset).join(", ") || "none"})`).toBe(
      true,
    );
  } finally {
    rmSync(stateRoot, { recursive: true, force: true });
  }
}

describe("fuzz: the event log, opened by the store", () => {
  it("opens any mutated log to a value or a typed error, and loses no byte", { timeout: FUZZ_TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(logCase, async (c) => {
        const lines = applyLineEdits(base.lines, c.lineEdits);
        const log = applyByteEdits(Buffer.concat([...lines, c.torn ?? Buffer.alloc(0)]), c.byteEdits);
        await openAndCheck(log, snapshotBytes(c.snapshot), c.ops);
      }),
      { ...fuzzParams("stateLog"), numRuns: fuzzParams("stateLog").numRuns - HUGE_RUNS },
    );
  });

  it("opens a log with a huge line (megabytes, complete or torn) the same way", { timeout: FUZZ_TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ mb: fc.integer({ min: 1, max: 6 }), at: fc.nat(), torn: fc.boolean(), json: fc.boolean(), ops }),
        async ({ mb, at, torn, json, ops: opList }) => {
          const filler = "x".repeat(mb * 1024 * 1024);
          const line = json ? `{"v":1,"seq":99,"ts":"2026-03-01T10:00:00.000Z","type":"goal_amended","actor":"user","data":{"answer":"${filler}"}}` : filler;
          const lines = [...base.lines];
          if (torn) lines.push(Buffer.from(line));
          else lines.splice(at % (lines.length + 1), 0, Buffer.from(`${line}\n`));
          await openAndCheck(Buffer.concat(lines), base.snapshot, opList);
        },
      ),
      { ...fuzzParams("stateLog"), numRuns: HUGE_RUNS },
    );
  });

  it("keeps the fuzz cases apart (each case's goal dir is removed)", () => {
    expect(existsSync(fuzzRoot) && readdirSync(fuzzRoot)).toEqual([]);
  });
});
