// The transcript tap's inspector (openSession's `inspectLine`): it sees each whole JSON-RPC line before
// redaction, in both directions, with or without a transcript file, and never the engine's stderr.
import { readFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { TranscriptTap } from "../src/internal/transcript.js";
import { createRedactor } from "@omk/core";

const SECRET = "correct-horse-battery-staple-7731";
afterAll(() => cleanupTempDirs());

describe("TranscriptTap inspector", () => {
  it("sees whole lines unredacted (split over chunks), in and out, not stderr; the file has them redacted", () => {
    const file = path.join(makeTempDir(), "transcript.jsonl");
    const seen: Array<[string, string]> = [];
    const tap = new TranscriptTap(file, createRedactor({ env: { DEPLOY_TOKEN: SECRET } }).redact, undefined, (dir, line) => seen.push([dir, line]));
    const out = `{"method":"session/update","params":{"text":"token ${SECRET}"}}\n`;
    tap.record("out", Buffer.from(out.slice(0, 50)));
    tap.record("out", Buffer.from(out.slice(50)));
    tap.record("in", Buffer.from(`{"id":1,"result":{"output":"${SECRET}"}}\n`));
    tap.record("stderr", Buffer.from(`debug ${SECRET}\n`));
    tap.record("in", Buffer.from("partial"));
    tap.close();
    tap.record("out", Buffer.from("after close\n"));
    expect(seen).toEqual([
      ["out", out.trimEnd()],
      ["in", `{"id":1,"result":{"output":"${SECRET}"}}`],
      ["in", "partial"],
    ]);
    const written = readFileSync(file, "utf8");
    expect(written).not.toContain(SECRET);
    expect(written.split("\n").filter(Boolean)).toHaveLength(4);
  });

  it("inspects without a transcript file; a throwing inspector does not stop the tap", () => {
    const seen: string[] = [];
    const tap = new TranscriptTap(undefined, createRedactor().redact, undefined, (_dir, line) => {
      seen.push(line);
      throw new Error("inspector failed");
    });
    tap.record("out", Buffer.from("one\ntwo\n"));
    tap.close();
    expect(seen).toEqual(["one", "two"]);
  });
});
