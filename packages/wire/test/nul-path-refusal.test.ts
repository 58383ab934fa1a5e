import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { scopeFromPaths } from "../src/index.js";
import { ofType } from "./helpers.js";
import { rawSession } from "./raw-agent.js";

afterAll(cleanupTempDirs);

describe("a path with a NUL byte is a documented refusal", () => {
  it("fs/write_text_file to a path containing NUL is answered -32010 with a scope event", async () => {
    const { session, events, log } = await rawSession(
      (root) => ({ during: [{ method: "fs/write_text_file", params: { path: `${root}/src/e\0.txt`, content: "X" } }] }),
      { scope: scopeFromPaths({ write: ["src"] }) },
    );
    await session.prompt("go");
    await session.close();
    expect(log()[0]).toMatchObject({ error: { code: -32010, message: expect.stringContaining("NUL") } });
    expect(ofType(events, "scope")).toMatchObject([{ access: "write", enforced: true, reason: expect.stringContaining("NUL") }]);
  });
});
