// Round verdicts and review records read back from disk go through their zod schemas: a bad file is a problem value naming it, never a cast.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { GoalEvent } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { readVerdict, type RoundVerdict, verdictFile } from "../src/internal/run-verdict.js";
import { parseReviewRecord, readKeptReviews, recordFile, REVIEW_RECORD_VERSION, type ReviewRecord, writeRecord } from "@omk/review";
import { readRoundVerdictFile } from "../src/schemas/verdict.js";

afterAll(() => cleanupTempDirs());

const BASE = "a".repeat(40);
const HEAD = "b".repeat(40);
const VERDICT: RoundVerdict = {
  round: 1,
  headCommit: HEAD,
  ready: false,
  cause: "gates_failed",
  failing: [{ kind: "gate", key: "gate:test", detail: "1 failed", files: ["src/a.ts"] }],
  evidence: ["evidence/r1-head.json"],
  failedCriteria: ["c1"],
};

function writeVerdictText(goalDir: string, round: number, text: string): string {
  const file = verdictFile(goalDir, round);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe("round verdicts read back (rounds/r<n>.json)", () => {
  it("a verdict reads back as written; no file is ok(null)", () => {
    const goalDir = makeTempDir("omk-verdict-");
    expect(readRoundVerdictFile(verdictFile(goalDir, 1))).toEqual({ ok: true, value: null });
    writeVerdictText(goalDir, 1, JSON.stringify(VERDICT));
    expect(readRoundVerdictFile(verdictFile(goalDir, 1))).toEqual({ ok: true, value: VERDICT });
    expect(readVerdict(goalDir, 1)).toEqual(VERDICT);
  });

  it.each([
    ["not JSON", "{round: 1", /is not a round verdict: not JSON/],
    ["failing that is not a list", JSON.stringify({ ...VERDICT, failing: "gate:test" }), /is not a round verdict: .* at failing$/],
    ["a head that is not a commit", JSON.stringify({ ...VERDICT, headCommit: "HEAD" }), /is not a round verdict: a full git commit sha at headCommit$/],
    ["an unknown cause", JSON.stringify({ ...VERDICT, cause: "bad_luck" }), /at cause$/],
  ])("a verdict file with %s is a round_verdict_invalid problem naming the file, and readVerdict treats it as absent", (_name, text, message) => {
    const goalDir = makeTempDir("omk-verdict-");
    const file = writeVerdictText(goalDir, 2, text);
    const read = readRoundVerdictFile(file);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.error).toMatchObject({
      code: "round_verdict_invalid",
      message: expect.stringContaining(file),
      fix: expect.stringMatching(/verifies the round again/),
      details: { file },
    });
    expect(read.error.message).toMatch(message);
    expect(read.error.message).not.toContain("\n");
    expect(readVerdict(goalDir, 2)).toBeNull();
  });
});

const RECORD: ReviewRecord = {
  schemaVersion: REVIEW_RECORD_VERSION,
  goalId: "g-1",
  round: 1,
  pass: "reviewer",
  verdict: "blocked",
  baseCommit: BASE,
  headCommit: HEAD,
  engine: "scripted",
  findings: [{ source: "reviewer", severity: "major", message: "no test for the empty case", file: "src/a.ts", line: 3, waivable: true }],
  promptSha256: "c".repeat(64),
  transcript: "reviews/r1-reviewer/transcript.jsonl",
  spend: { tokens: { input: 10, cacheRead: 0, cacheWrite: 0, output: 5 }, usd: null, quality: "exact" },
};

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function loggedAs(pass: ReviewRecord["pass"], file: string, digest: string): GoalEvent {
  return {
    seq: 1,
    ts: "2026-01-01T00:00:00.000Z",
    actor: "controller",
    type: "review_recorded",
    data: { round: 1, pass, verdict: "blocked", findings: 1, blocking: 1, record: { path: file, sha256: digest } },
  } as GoalEvent;
}

describe("review records read back (reviews/r<round>-<pass>.json)", () => {
  it("a record written by writeRecord is kept on resume, parsed through the schema", () => {
    const goalDir = makeTempDir("omk-records-");
    const ref = writeRecord(goalDir, RECORD, { env: {}, secrets: [] });
    const kept = readKeptReviews({ goalDir, events: [loggedAs("reviewer", ref.file, ref.sha256)], round: 1, baseCommit: BASE, headCommit: HEAD });
    expect(kept.get("reviewer")).toEqual({ record: RECORD, ref });
  });

  it.each([
    ["not JSON", "{ verdict: passed"],
    ["findings that are not a list", JSON.stringify({ ...RECORD, findings: "none" })],
    ["an unknown verdict", JSON.stringify({ ...RECORD, verdict: "waived" })],
    ["another schema version", JSON.stringify({ ...RECORD, schemaVersion: 2 })],
    ["no spend", JSON.stringify({ ...RECORD, spend: undefined })],
  ])("a record with %s whose digest matches the log is not kept (its pass runs again); parseReviewRecord names the file", (_name, text) => {
    const goalDir = makeTempDir("omk-records-");
    const rel = recordFile(1, "reviewer");
    mkdirSync(path.join(goalDir, "reviews"), { recursive: true });
    writeFileSync(path.join(goalDir, rel), text);
    const kept = readKeptReviews({ goalDir, events: [loggedAs("reviewer", rel, sha256(text))], round: 1, baseCommit: BASE, headCommit: HEAD });
    expect(kept.size).toBe(0);
    const parsed = parseReviewRecord(text, rel);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toMatchObject({
      code: "review_record_invalid",
      message: expect.stringMatching(/^reviews\/r1-reviewer\.json is not a review record: /),
      fix: expect.stringMatching(/runs that review pass again/),
    });
    expect(parsed.error.message).not.toContain("\n");
  });
});
