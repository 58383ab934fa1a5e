import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, existsSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir, runOmk } from "@omk/test-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOAL_TEXT, makeRepo, readyBook, writeBook } from "./cli-goal-fixture.js";

afterAll(cleanupTempDirs);

/** One goal run to ready through the built binary, shared by the checks below (each a separate `omk` process). */
let stateDir = "";
let repo = "";
let goalId = "";
let proofFile = "";
const omk = (...args: string[]) => runOmk(args, { stateDir, cwd: repo });

beforeAll(async () => {
  stateDir = makeTempDir();
  repo = (await makeRepo()).repo;
  const r = await runOmk(["goal", "run", GOAL_TEXT, "--script", writeBook(readyBook())], { stateDir, cwd: repo });
  expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
  goalId = (r.stdout.match(/^goal (\S+)$/m) ?? [])[1] ?? "";
  proofFile = (r.stdout.match(/^proof: (.+)$/m) ?? [])[1] ?? "";
  expect(existsSync(proofFile)).toBe(true);
}, 120_000);

describe("omk proof verify", () => {
  it("re-runs the proof's checks and says the proof holds (exit 0), as a table or JSON; the default is the latest goal's proof", async () => {
    const r = await omk("proof", "verify", proofFile);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^check\s+recorded\s+now/m);
    expect(r.stdout).toMatch(/^gate test\s+passed\s+passed\s+holds$/m);
    expect(r.stdout).toMatch(/^criterion acceptance-tests\s+passed\s+passed\s+holds$/m);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("the proof holds");
    const json = await omk("proof", "verify", "--json");
    expect(json.exitCode).toBe(0);
    expect(json.json()).toMatchObject({ proofFile, holds: true, problems: [] });
  }, 120_000);

  it("a proof whose oracle was changed does not hold (exit 1)", async () => {
    const copy = makeTempDir("omk-proof-copy-");
    const goalDir = path.dirname(proofFile);
    writeFileSync(path.join(copy, "proof.json"), readFileSync(proofFile));
    writeFileSync(
      path.join(copy, "oracle.json"),
      readFileSync(path.join(goalDir, "oracle.json"), "utf8").replace(/"description": "/, '"description": "(edited) '),
    );
    const r = await omk("proof", "verify", path.join(copy, "proof.json"));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toMatch(/^the proof does not hold: /m);
  }, 60_000);

  it("--repo names the repository holding the proof's commits", async () => {
    const held = await omk("proof", "verify", proofFile, "--repo", repo);
    expect(held.exitCode, `${held.stdout}\n${held.stderr}`).toBe(0);
    expect(held.stdout.trimEnd().split("\n").at(-1)).toBe("the proof holds");
    // A repository without the proof's commits: the problem and its fix (exit 2), naming the option that exists.
    const other = (await makeRepo()).repo;
    const wrong = await omk("proof", "verify", proofFile, "--repo", other);
    expect(wrong.exitCode, wrong.stderr).toBe(2);
    expect(wrong.stderr).toMatch(
      new RegExp(`^omk: ${other} does not hold the proof's \\w+ commit [0-9a-f]{40} — fix: pass the repository the goal ran in \\(--repo\\)`),
    );
    const missing = await omk("proof", "verify", proofFile, "--repo", path.join(repo, "nope"));
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^omk: --repo .*nope is not a directory — fix: /);
    expect((await omk("proof", "verify", "--help")).stdout).toMatch(/--repo <dir>/);
  }, 120_000);

  it("bad input: exit 2 with the fix", async () => {
    const notProof = path.join(makeTempDir(), "notes.json");
    writeFileSync(notProof, '{"hello": "world"}\n');
    const cases: Array<[string[], RegExp]> = [
      [["proof", "verify", path.join(repo, "nope.json")], /nope\.json does not exist — fix: pass the path of a proof\.json/],
      [["proof", "verify", notProof], /notes\.json.* — fix: /],
      [["proof", "verify", makeTempDir()], /holds no proof\.json — fix: /],
    ];
    for (const [args, message] of cases) {
      const r = await omk(...args);
      expect(r.exitCode, `${args.join(" ")}\n${r.stderr}`).toBe(2);
      expect(r.stderr.split("\n")[0]).toMatch(message);
    }
    const empty = await runOmk(["proof", "verify"], { stateDir: makeTempDir(), cwd: repo });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toMatch(/no goals under .* — fix: pass the path of a proof\.json/);
  }, 60_000);

  it("refuses /dev/zero, a FIFO and an oversized file at once (exit 2, one line), never reading or waiting on them", async () => {
    const fifo = path.join(makeTempDir(), "proof.json");
    execFileSync("mkfifo", [fifo]);
    const huge = path.join(makeTempDir(), "proof.json");
    writeFileSync(huge, "");
    truncateSync(huge, 100 * 1024 * 1024);
    const cases: Array<[string, RegExp]> = [
      ["/dev/zero", /^omk: \/dev\/zero is not a regular file \(a character device\): not a proof — fix: pass the path of a goal's proof\.json/],
      [fifo, /^omk: .*proof\.json is not a regular file \(a FIFO\): not a proof — fix: /],
      [huge, /^omk: .*proof\.json is 104857600 bytes, more than the 67108864 bytes allowed: not a proof — fix: /],
    ];
    for (const [file, message] of cases) {
      const r = await omk("proof", "verify", file);
      expect(r.exitCode, `${file}\n${r.stderr}`).toBe(2);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);

  it("a proof whose goal's event log was forged after it ended does not hold (exit 1), naming the forged line", async () => {
    const copy = makeTempDir("omk-state-copy-");
    cpSync(stateDir, copy, { recursive: true });
    const events = path.join(copy, "goals", goalId, "events.jsonl");
    const last = readFileSync(events, "utf8").trimEnd().split("\n").at(-1) as string;
    const seq = (JSON.parse(last) as { seq: number }).seq + 1;
    const prev = createHash("sha256").update(last).digest("hex");
    const forged = JSON.stringify({
      v: 1,
      seq,
      ts: new Date().toISOString(),
      actor: "user",
      prev,
      type: "budget_extended",
      data: { add: { tokens: 999999999 } },
    });
    appendFileSync(events, `${forged.slice(0, -1)},"mac":"${"0f".repeat(32)}"}\n`);
    const r = await runOmk(["proof", "verify", path.join(copy, "goals", goalId, "proof.json")], { stateDir: copy, cwd: repo });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`the event log of goal ${goalId} fails its hash chain: .*line ${seq} has a MAC the log key does not confirm`));
    // replay --verify on it: exit 1 with the fix.
    const replay = await runOmk(["goal", "replay", goalId, "--verify"], { stateDir: copy, cwd: repo });
    expect(replay.exitCode).toBe(1);
    expect(replay.stderr).toMatch(new RegExp(`line ${seq} has a MAC the log key does not confirm .* — fix: .*--quarantine`));
    // The untouched goal's log verifies and its proof binds the chain head at its lastSeq.
    const ok = await omk("goal", "replay", goalId, "--verify");
    expect(ok.exitCode, ok.stderr).toBe(0);
    const proof = JSON.parse(readFileSync(proofFile, "utf8")) as { logHead?: string; lastSeq: number };
    const line = readFileSync(path.join(stateDir, "goals", goalId, "events.jsonl"), "utf8").split("\n")[proof.lastSeq - 1] as string;
    expect(proof.logHead).toBe(createHash("sha256").update(line).digest("hex"));
  }, 120_000);
});

describe("omk goal accept / reject", () => {
  it("accept needs a ready goal; it records the decision, names the merge and leaves the base branch alone", async () => {
    const before = (await runGit(repo, ["rev-parse", "HEAD"])).trim();
    const r = await omk("goal", "accept", goalId);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`goal ${goalId} accepted`);
    expect(r.stdout).toContain(`git merge --ff-only omk/${goalId}/integration`);
    expect((await runGit(repo, ["rev-parse", "HEAD"])).trim()).toBe(before);
    const shown = (await omk("goal", "status", goalId, "--json")).json() as { decision?: { decision: string } };
    expect(shown.decision?.decision).toBe("accepted");

    // A goal that is not ready cannot be accepted; a rejection needs a reason.
    const other = await omk("goal", "create", "another goal", "--json");
    const otherId = (other.json() as { id: string }).id;
    const refused = await omk("goal", "accept", otherId);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/is created; only a ready goal is accepted — fix: /);
    const noReason = await omk("goal", "reject", goalId);
    expect(noReason.exitCode).toBe(2);
    expect(noReason.stderr).toMatch(/reject needs a reason — fix: pass --reason/);
    // Accepting again records nothing and says so; flipping the decision needs --change.
    const eventsBefore = (await omk("goal", "status", goalId, "--json")).json() as { lastSeq: number };
    const again = await omk("goal", "accept", goalId);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout.split("\n")[0]).toBe(`goal ${goalId} is already accepted; nothing was recorded`);
    expect(((await omk("goal", "status", goalId, "--json")).json() as { lastSeq: number }).lastSeq).toBe(eventsBefore.lastSeq);
    const flip = await omk("goal", "reject", goalId, "--reason", "naming does not match the codebase");
    expect(flip.exitCode).toBe(2);
    expect(flip.stderr).toBe(`omk: goal ${goalId} is already accepted — fix: pass --change to record "rejected" instead`);
    const rejected = await omk("goal", "reject", goalId, "--reason", "naming does not match the codebase", "--change", "--json");
    expect(rejected.exitCode, rejected.stderr).toBe(0);
    expect(rejected.json()).toMatchObject({
      goalId,
      decision: "rejected",
      reason: "naming does not match the codebase",
      changedFrom: "accepted",
      unchanged: false,
    });

    // goal show displays the decision (text, md, json).
    const text = await omk("goal", "show", goalId);
    expect(text.stdout).toMatch(/^decision rejected at [0-9a-f]{12}: naming does not match the codebase$/m);
    const md = await omk("goal", "show", goalId, "--format", "md");
    expect(md.stdout).toMatch(/^- \*\*Decision:\*\* rejected at [0-9a-f]{12}: naming does not match the codebase$/m);
    const json = (await omk("goal", "show", goalId, "--format", "json")).json() as { decision?: { decision: string; reason?: string } };
    expect(json.decision).toMatchObject({ decision: "rejected", reason: "naming does not match the codebase" });
  }, 60_000);
});

async function runGit(cwd: string, args: string[]): Promise<string> {
  const { execa } = await import("execa");
  return String((await execa("git", args, { cwd })).stdout);
}
