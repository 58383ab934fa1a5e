// A budget the usage crossed: the store's failure.json names the dimension that ran out and its overrun.
import { readFileSync } from "node:fs";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { FailureSchema, openStore, requestResume } from "./index.js";

afterAll(cleanupTempDirs);

describe("budget enforcement: cause details", () => {
  it("names the exhausted dimension and its overrun; the resume command extends that dimension by at least twice the overrun", async () => {
    const store = openStore({ root: makeTempDir() });
    const created = await store.createGoal({ text: "add a flag", repoRoot: "/tmp/repo", limits: { timeMs: null, tokens: 1000, usd: null }, maxAgents: 1 });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    const running = await requestResume(store, id);
    if (!running.ok) throw new Error(running.error.message);
    const used = await store.recordUsage(id, { source: "test", tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: 1600 } });
    expect(used.ok && used.value.status).toBe("needs_more_budget");
    const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(id).failure, "utf8")));
    expect(failure.cause.details).toMatchObject({ exhausted: ["tokens"], dimension: "tokens", overrun: 600 });
    expect(failure.resume.command).toBe(`omk goal budget-add ${id} --tokens 1200 && omk goal resume ${id}`);
  });
});
