// Kimi Code's session log sits in the engine's own HOME, which the agent can write: OMK reads it as
// untrusted input within its caps. A link to /dev/zero, a FIFO, an endless line and more bytes than
// the session's cap are refused or cut, promptly, and named; honest records next to them still count.
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { KIMI_LOG_LIMITS, KimiUsageLog } from "../src/internal/kimi-usage-log.js";
import type { Usage } from "../src/schemas/usage.js";

afterAll(cleanupTempDirs);

const SESSION = "session_1";
const record = (n: number) =>
  `${JSON.stringify({ type: "llm.request", agentId: "main" })}\n${JSON.stringify({ type: "usage.record", agentId: "main", usage: { inputOther: n, output: n, inputCacheRead: 0, inputCacheCreation: 0 } })}\n`;

function kimiHome(): { home: string; agent: (name: string) => string } {
  const home = makeTempDir("omk-kimi-log-");
  const agent = (name: string) => {
    const dir = path.join(home, "sessions", "wd_x", SESSION, "agents", name);
    mkdirSync(dir, { recursive: true });
    return path.join(dir, "wire.jsonl");
  };
  return { home, agent };
}

function reader(home: string) {
  const usage: Usage[] = [];
  const problems: string[] = [];
  const log = new KimiUsageLog(
    home,
    () => SESSION,
    (u) => usage.push(u),
    (p) => problems.push(p),
  );
  return { log, usage, problems };
}

describe("KimiUsageLog: the agent-writable log read within OMK's caps", () => {
  it("a link to /dev/zero and a FIFO are refused (not followed, never blocking) and named; the honest file next to them counts", () => {
    const { home, agent } = kimiHome();
    writeFileSync(agent("main"), record(10));
    symlinkSync("/dev/zero", agent("sub1"));
    execFileSync("mkfifo", [agent("sub2")]);
    const { log, usage, problems } = reader(home);
    log.poll();
    log.poll();
    expect(usage).toEqual([{ inputUncached: 10, cacheRead: 0, cacheWrite: 0, output: 10 }]);
    expect(problems).toHaveLength(2);
    expect(problems.find((p) => p.includes("sub1"))).toMatch(/a symbolic link; its usage is not counted$/);
    expect(problems.find((p) => p.includes("sub2"))).toMatch(/not a regular file; its usage is not counted$/);
  });

  it("a line longer than the cap is dropped with a problem named, and the records after it still count", () => {
    const { home, agent } = kimiHome();
    const file = agent("main");
    const { log, usage, problems } = reader(home);
    // One endless line, written in pieces across polls, then an honest record.
    const piece = "x".repeat(KIMI_LOG_LIMITS.chunkBytes);
    for (let written = 0; written <= KIMI_LOG_LIMITS.lineBytes; written += piece.length) {
      appendFileSync(file, piece);
      log.poll();
    }
    appendFileSync(file, `tail of the long line\n${record(7)}`);
    log.poll();
    expect(problems).toEqual([`a line longer than ${KIMI_LOG_LIMITS.lineBytes} bytes in ${file}: dropped`]);
    expect(usage).toEqual([{ inputUncached: 7, cacheRead: 0, cacheWrite: 0, output: 7 }]);
  });

  it("reads at most chunkBytes per file per poll, and past the session's total cap reads no more", () => {
    const { home, agent } = kimiHome();
    const file = agent("main");
    // A sparse file as large as the cap, then a record past it: never read.
    execFileSync("truncate", ["-s", String(KIMI_LOG_LIMITS.totalBytes), file]);
    appendFileSync(file, `\n${record(5)}`);
    const { log, usage, problems } = reader(home);
    const polls = Math.ceil(KIMI_LOG_LIMITS.totalBytes / KIMI_LOG_LIMITS.chunkBytes);
    for (let i = 0; i < polls + 2; i++) log.poll();
    expect(usage).toEqual([]);
    expect(problems.some((p) => p === `cannot read ${file}: the session's logs passed ${KIMI_LOG_LIMITS.totalBytes} bytes; its usage is not counted`)).toBe(
      true,
    );
  });
});
