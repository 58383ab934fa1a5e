import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { leftovers } from "./helpers.js";
import { rawSession } from "./raw-agent.js";

const started: number[] = [];

afterAll(() => {
  // A command that escaped close() (the bug this file guards against) must not outlive the test run.
  for (const pid of started) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone, as it should be
    }
  }
  cleanupTempDirs();
});

describe("close() ends terminals created while it runs", () => {
  it("a terminal/create arriving during close() is refused, and no command outlives close()", async () => {
    const dir = makeTempDir("omk-wire-term-");
    const pidFile = path.join(dir, "sleep.pid");
    const { session } = await rawSession({
      ignoreEof: true,
      // sent when close() closes the agent's stdin: it arrives while close() runs, whatever the load
      onEof: [{ method: "terminal/create", params: { command: "/bin/sh", args: ["-c", `echo $$ > '${pidFile}'; exec sleep 30`] } }],
    });
    expect((await session.prompt("go")).ok).toBe(true);
    await session.close();
    // let a command that did start write its pid
    await new Promise((r) => setTimeout(r, 300));
    const ran = existsSync(pidFile);
    if (ran) {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      started.push(pid);
      expect(leftovers(pid)).toEqual([]);
    }
    // refused outright (close() had begun), so it never ran; the refusal cannot reach the agent, whose stdin is closed
    expect(ran).toBe(false);
    expect(leftovers(session.pid)).toEqual([]);
  });
});
