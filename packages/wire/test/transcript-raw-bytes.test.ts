import { readFileSync } from "node:fs";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { TranscriptLineSchema } from "../src/index.js";
import { rawSession, SECRET } from "./raw-agent.js";

afterAll(cleanupTempDirs);

const transcriptLines = (file: string) =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => TranscriptLineSchema.parse(JSON.parse(l)));

describe("transcripts never hold unredacted bytes", () => {
  it("a stdout line with a secret and a Latin-1 byte is decoded lossily and redacted, not kept as base64", async () => {
    const line = Buffer.concat([Buffer.from(`api_key=${SECRET} caf`), Buffer.from([0xe9])]);
    const { session, ws } = await rawSession({ during: [{ rawB64: line.toString("base64") }] });
    expect((await session.prompt("go")).ok).toBe(true);
    await session.close();
    const entries = transcriptLines(ws.transcript);
    expect(entries.filter((e) => e.b64 !== undefined)).toEqual([]);
    const lossy = entries.filter((e) => e.lossy === true);
    expect(lossy).toHaveLength(1);
    expect(lossy[0]?.line).toContain("[REDACTED:value]");
    expect(lossy[0]?.line).toContain("caf\uFFFD");
    expect(readFileSync(ws.transcript, "utf8")).not.toContain(SECRET);
    expect(readFileSync(ws.transcript, "utf8")).not.toContain(Buffer.from(SECRET).toString("base64").slice(0, 20));
  });

  it("a message over the 1 MiB line cap, cut inside a multibyte character, is kept as redacted text", async () => {
    const head = `{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"raw-1","update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"token ${SECRET} `;
    const MiB = 1024 * 1024;
    // the 2-byte "é" straddles the 1 MiB cut
    const text = `${head}${"a".repeat(MiB - Buffer.byteLength(head) - 1)}${"é".repeat(10)}"}}}}`;
    const { session, ws } = await rawSession({ during: [{ rawB64: Buffer.from(text).toString("base64") }] });
    expect((await session.prompt("go")).ok).toBe(true);
    await session.close();
    const entries = transcriptLines(ws.transcript);
    const cut = entries.filter((e) => e.dir === "in" && e.truncated !== undefined);
    expect(cut).toHaveLength(1);
    expect(cut[0]).toMatchObject({ truncated: 25 }); // 24 bytes past the cap, plus the first byte of the cut "é";
    expect(cut[0]?.b64).toBeUndefined();
    expect(cut[0]?.lossy).toBeUndefined();
    expect(cut[0]?.line?.startsWith('{"jsonrpc":"2.0","method":"session/update"')).toBe(true);
    expect(cut[0]?.line).toContain("[REDACTED:value]");
    expect(readFileSync(ws.transcript, "utf8")).not.toContain(SECRET);
  });
});
