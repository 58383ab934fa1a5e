import { createHash, createHmac, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptStateError, LogKeyMissingError, LogTamperedError } from "./errors.js";
import { requestResume } from "./lifecycle.js";
import { FailureSchema } from "./schemas/outcome.js";
import { type GoalStore, openStore } from "./store.js";

afterAll(cleanupTempDirs);

const LIMITS = { timeMs: 3_600_000, tokens: 10_000, usd: 5 };
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const ZEROS = "0".repeat(64);

async function runningGoal(store: GoalStore) {
  const created = await store.createGoal({ text: "Add a --json flag", repoRoot: "/tmp/repo", limits: LIMITS, maxAgents: 1 });
  if (!created.ok) throw new Error(created.error.message);
  const running = await requestResume(store, created.value.id);
  if (!running.ok) throw new Error(running.error.message);
  return running.value;
}

const linesOf = (file: string) => readFileSync(file, "utf8").trimEnd().split("\n");

/** The attack: a line appended by `printf … >> events.jsonl`, with the next seq and the right chain hash, but no key. */
function forgedBudgetLine(events: string, mac: string | null): string {
  const lines = linesOf(events);
  const last = lines.at(-1) as string;
  const seq = (JSON.parse(last) as { seq: number }).seq + 1;
  const body = JSON.stringify({
    v: 1,
    seq,
    ts: new Date().toISOString(),
    actor: "user",
    prev: sha256(last),
    type: "budget_extended",
    data: { add: { tokens: 999999999 } },
  });
  return mac === null ? `${body}\n` : `${body.slice(0, -1)},"mac":"${mac}"}\n`;
}

describe("the chained event log", () => {
  it("chains every line to the one before and MACs it with a 0600 key outside the goal folder", async () => {
    const root = makeTempDir();
    const store = openStore({ root });
    const goal = await runningGoal(store);
    const file = store.paths(goal.id).events;
    const lines = linesOf(file);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const keyFile = path.join(root, "keys", "log.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(keyFile)).mode & 0o777).toBe(0o700);
    const key = Buffer.from(readFileSync(keyFile, "utf8").trim(), "hex");
    let prev = ZEROS;
    for (const line of lines) {
      const match = /,"mac":"([0-9a-f]{64})"\}$/.exec(line);
      expect(match).not.toBeNull();
      const signed = `${line.slice(0, match?.index)}}`;
      expect(JSON.parse(signed).prev).toBe(prev);
      expect(createHmac("sha256", key).update(`${goal.id}\n${signed}`).digest("hex")).toBe(match?.[1]);
      prev = sha256(line);
    }
    const replay = await store.replay(goal.id);
    expect(replay.chain).toMatchObject({ unchainedLines: 0, chainedLines: lines.length, macChecked: true, head: prev });
    expect(replay.goal.chainHead).toBe(prev);
    expect((await store.readGoal(goal.id)).chainHead).toBe(prev);
  });

  it.each([
    ["a MAC made without the key", () => randomBytes(32).toString("hex"), /MAC the log key does not confirm/],
    ["no MAC", () => null, /chain hash but no MAC/],
  ])("refuses a forged budget_extended with the right seq and chain hash and %s, on every open, and never folds it", async (_, mac, reason) => {
    const store = openStore({ root: makeTempDir() });
    const goal = await runningGoal(store);
    const file = store.paths(goal.id).events;
    appendFileSync(file, forgedBudgetLine(file, mac()));

    await expect(store.readGoal(goal.id)).rejects.toThrow(LogTamperedError);
    await expect(store.readGoal(goal.id)).rejects.toThrow(reason);
    await expect(store.readEvents(goal.id)).rejects.toThrow(LogTamperedError);
    await expect(store.replay(goal.id)).rejects.toThrow(LogTamperedError);
    // A writer (the controller's next usage record, a user's budget-add) refuses too.
    await expect(store.recordUsage(goal.id, { source: "t", tokens: { input: 1, cacheRead: 0, cacheWrite: 0, output: 1 } })).rejects.toThrow(LogTamperedError);
    // Another process (a fresh store) as well.
    const other = openStore({ root: store.root });
    const error = await other.readGoal(goal.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogTamperedError);
    expect((error as LogTamperedError).code).toBe("OMK_STATE_LOG_TAMPERED");
    expect((error as LogTamperedError).message).not.toContain("\n");
    expect((error as LogTamperedError).fix).toContain(`omk goal replay ${goal.id} --quarantine`);
    expect((error as LogTamperedError).line).toBe(linesOf(file).length);
  });

  it("refuses a forged line even when goal.json was made to agree with it (writers never trust goal.json)", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await runningGoal(store);
    const p = store.paths(goal.id);
    const forged = forgedBudgetLine(p.events, randomBytes(32).toString("hex"));
    appendFileSync(p.events, forged);
    const snap = JSON.parse(readFileSync(p.snapshot, "utf8"));
    snap.budget.limits.tokens = 999999999;
    snap.lastSeq += 1;
    snap.logBytes = statSync(p.events).size;
    snap.chainHead = sha256(forged.trimEnd());
    writeFileSync(p.snapshot, `${JSON.stringify(snap, null, 2)}\n`);
    await expect(openStore({ root: store.root }).extendBudget(goal.id, { usd: 1 })).rejects.toThrow(LogTamperedError);
  });

  it("never takes a budget from a goal.json edited outside omk: readers trust it only when goal.json.mac confirms it", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await runningGoal(store);
    const p = store.paths(goal.id);
    expect(readFileSync(`${p.snapshot}.mac`, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await openStore({ root: store.root }).readGoal(goal.id)).budget.limits.tokens).toBe(LIMITS.tokens);
    writeFileSync(p.snapshot, readFileSync(p.snapshot, "utf8").replace(`"tokens": ${LIMITS.tokens}`, '"tokens": 999999999'));
    expect(readFileSync(p.snapshot, "utf8")).toContain('"tokens": 999999999');
    const fresh = openStore({ root: store.root });
    expect((await fresh.readGoal(goal.id)).budget.limits.tokens).toBe(LIMITS.tokens);
    // The next write puts goal.json back as the log says.
    await fresh.setPhase(goal.id, "intake");
    expect(JSON.parse(readFileSync(p.snapshot, "utf8")).budget.limits.tokens).toBe(LIMITS.tokens);
  });

  it("refuses an edited line in the middle, and a line without a chain hash after the chain began", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await runningGoal(store);
    const p = store.paths(goal.id);
    await store.extendBudget(goal.id, { tokens: 10 });
    await store.setPhase(goal.id, "intake");
    const original = readFileSync(p.events, "utf8");
    const lines = linesOf(p.events);
    const at = lines.findIndex((l) => l.includes('"budget_extended"'));
    lines[at] = (lines[at] as string).replace('"tokens":10', '"tokens":99');
    writeFileSync(p.events, `${lines.join("\n")}\n`);
    const edited = await store.replay(goal.id).catch((e: unknown) => e);
    expect(edited).toBeInstanceOf(LogTamperedError);
    expect((edited as LogTamperedError).line).toBe(at + 1);

    writeFileSync(
      p.events,
      `${original}${JSON.stringify({ v: 1, seq: lines.length + 1, ts: new Date().toISOString(), actor: "user", type: "budget_extended", data: { add: { tokens: 999999999 } } })}\n`,
    );
    await expect(openStore({ root: store.root }).readGoal(goal.id)).rejects.toThrow(/no chain hash, but the chain began at line 1/);
  });

  it("refuses a line copied from another goal's log (the MAC binds the goal id)", async () => {
    const store = openStore({ root: makeTempDir() });
    const a = await runningGoal(store);
    const b = await runningGoal(store);
    await store.extendBudget(b.id, { tokens: 999999999 });
    const donor = linesOf(store.paths(b.id).events).at(-1) as string;
    const target = store.paths(a.id).events;
    const last = linesOf(target).at(-1) as string;
    const seq = (JSON.parse(last) as { seq: number }).seq + 1;
    // Renumbered and re-chained, but the MAC stays the donor's: it signed another goal's line.
    const body = JSON.parse(donor.replace(/,"mac":"[0-9a-f]{64}"\}$/, "}"));
    body.seq = seq;
    body.prev = sha256(last);
    appendFileSync(target, `${JSON.stringify(body).slice(0, -1)},"mac":"${/"mac":"([0-9a-f]{64})"/.exec(donor)?.[1]}"}\n`);
    await expect(store.readGoal(a.id)).rejects.toThrow(LogTamperedError);
  });

  it("quarantines the forged tail on request: saved aside byte-exact, the run ends not_ready (tampering), the budget untouched", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await runningGoal(store);
    const p = store.paths(goal.id);
    const before = statSync(p.events).size;
    const forged = forgedBudgetLine(p.events, randomBytes(32).toString("hex"));
    appendFileSync(p.events, forged);

    const report = await store.quarantineForgedTail(goal.id);
    expect(report).toMatchObject({
      fromLine: linesOf(p.events).findIndex((l) => l.includes("log_quarantined")) + 1,
      droppedBytes: Buffer.byteLength(forged),
      savedTo: `events.jsonl.forged-${before}`,
    });
    expect(readFileSync(path.join(p.dir, `events.jsonl.forged-${before}`), "utf8")).toBe(forged);
    const after = await store.readGoal(goal.id);
    expect(after.status).toBe("not_ready");
    expect(after.statusCause).toMatchObject({ code: "tampering" });
    expect(after.budget.limits.tokens).toBe(LIMITS.tokens);
    expect(after.budget.extensions).toBe(0);
    expect(FailureSchema.parse(JSON.parse(readFileSync(p.failure, "utf8"))).cause.code).toBe("tampering");
    const events = await store.readEvents(goal.id);
    expect(events.find((e) => e.type === "log_quarantined")?.data).toMatchObject({ droppedBytes: Buffer.byteLength(forged), sha256: sha256(forged) });
    expect(events.some((e) => e.type === "budget_extended")).toBe(false);
    const replay = await store.replay(goal.id);
    expect(replay.differences).toEqual([]);
    // Nothing left to set aside; the goal can be resumed.
    expect(await store.quarantineForgedTail(goal.id)).toBeUndefined();
    expect((await requestResume(store, goal.id)).ok).toBe(true);
  });

  it("reads a log written before the chain (unchained prefix) and chains the first line written after it", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await runningGoal(store);
    const p = store.paths(goal.id);
    // Strip prev and mac: the log as an older omk wrote it.
    const legacy = linesOf(p.events).map((l) => {
      const { prev: _prev, ...rest } = JSON.parse(l.replace(/,"mac":"[0-9a-f]{64}"\}$/, "}"));
      return JSON.stringify(rest);
    });
    writeFileSync(p.events, `${legacy.join("\n")}\n`);
    rmSync(p.snapshot);
    const fresh = openStore({ root: store.root });
    const replay = await fresh.replay(goal.id);
    expect(replay.chain).toMatchObject({ unchainedLines: legacy.length, chainedLines: 0 });
    await fresh.extendBudget(goal.id, { usd: 1 });
    const lines = linesOf(p.events);
    expect(JSON.parse(lines.at(-1) as string).prev).toBe(sha256(legacy.at(-1) as string));
    expect((await openStore({ root: store.root }).replay(goal.id)).chain).toMatchObject({ unchainedLines: legacy.length, chainedLines: 1, macChecked: true });
  });

  it("reads a signed log without its key (MACs unchecked) but refuses to continue it", async () => {
    const root = makeTempDir();
    const store = openStore({ root });
    const goal = await runningGoal(store);
    rmSync(path.join(root, "keys"), { recursive: true });
    const fresh = openStore({ root });
    expect((await fresh.replay(goal.id)).chain).toMatchObject({ macChecked: false, unchainedLines: 0 });
    await expect(fresh.extendBudget(goal.id, { usd: 1 })).rejects.toThrow(LogKeyMissingError);
    expect(existsSync(path.join(root, "keys", "log.key"))).toBe(false);
  });
});

describe("the log's bytes", () => {
  it("saves a torn last line with non-ASCII bytes (cut inside a character) byte-exact, so its sha256 matches log_repaired", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await runningGoal(store);
    const p = store.paths(goal.id);
    const size = statSync(p.events).size;
    const full = Buffer.from('{"v":1,"seq":99,"note":"Grüße — 日本語', "utf8");
    const torn = full.subarray(0, full.length - 2); // the last character cut in half
    appendFileSync(p.events, torn);
    await openStore({ root: store.root }).extendBudget(goal.id, { usd: 1 });
    const saved = readFileSync(path.join(p.dir, `events.jsonl.torn-${size}`));
    expect(saved.equals(torn)).toBe(true);
    const repaired = (await store.readEvents(goal.id)).find((e) => e.type === "log_repaired");
    expect(repaired?.data).toEqual({ droppedBytes: torn.length, sha256: sha256(torn), savedTo: `events.jsonl.torn-${size}` });
  });

  it("refuses invalid UTF-8 in a complete line with its line number (never decoded to U+FFFD silently)", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await runningGoal(store);
    const p = store.paths(goal.id);
    const lines = readFileSync(p.events);
    // Replace the first byte of the goal text with 0xff (invalid in UTF-8), keeping the length.
    const at = lines.indexOf(Buffer.from("Add a --json"));
    lines[at] = 0xff;
    writeFileSync(p.events, lines);
    const error = await openStore({ root: store.root })
      .replay(goal.id)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptStateError);
    expect((error as Error).message).toMatch(/line 1 is not valid UTF-8/);
  });

  it("refuses an event log that is a FIFO instead of blocking on it", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await runningGoal(store);
    const p = store.paths(goal.id);
    rmSync(p.events);
    execFileSync("mkfifo", [p.events]);
    await expect(openStore({ root: store.root }).replay(goal.id)).rejects.toThrow(/is not a regular file/);
  });
});
