import { writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, commitFiles, filesContaining, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runIn } from "./helpers.js";

afterAll(cleanupTempDirs);

const GATES = [
  { name: "secrets", kind: "security" as const, builtin: "secret-scan" as const, ignore: ["fixtures/**"] },
  { name: "deps", kind: "dependency" as const, builtin: "dependency-changes" as const, required: false },
];

describe("builtin gates over the change from a base", () => {
  it("scan committed and untracked changes for secrets, and list dependency changes", async () => {
    const dir = makeTempDir("gates-builtin-");
    const base = await initGitRepo(dir, { "package.json": JSON.stringify({ name: "x", dependencies: { zod: "^3.0.0" } }, null, 2), "README.md": "# x\n" });
    const aws = "AKIA" + "Q3EXAMPLE7KEY2ID";
    await commitFiles(dir, {
      "package.json": JSON.stringify({ name: "x", dependencies: { zod: "^4.0.0", "left-pad": "1.3.0" } }, null, 2),
      "src/aws.ts": `export const id = "${aws}";\n`,
      "fixtures/key.txt": `${aws}\n`,
    });
    writeFileSync(path.join(dir, "notes.txt"), "Authorization: Bearer abcdefABCDEF0123456789xyz\n");

    const clean = await runIn(dir, GATES, { outDir: path.join(makeTempDir("gates-out-"), "head") });
    expect(clean.gate("secrets")).toMatchObject({ outcome: "failed", findings: [{ file: "notes.txt", line: 1, rule: "bearer-token" }] });
    expect(clean.report.diffBase).toMatchObject({ ref: "HEAD" });

    const { report, gate } = await runIn(dir, GATES, { diffBase: base, outDir: path.join(makeTempDir("gates-out-"), "base") });
    expect(report.diffBase).toEqual({ ref: base, commit: base });
    expect(gate("secrets")?.findings?.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual(["src/aws.ts:1 aws-access-key-id", "notes.txt:1 bearer-token"]);
    expect(gate("secrets")?.outcome).toBe("failed");
    expect(gate("deps")).toMatchObject({ outcome: "passed", notes: ["2 dependency change(s): a review must give the rationale"] });
    expect(gate("deps")?.dependencies?.map((d) => `${d.change} ${d.name} ${d.from ?? ""}->${d.to ?? ""}`)).toEqual([
      "changed zod ^3.0.0->^4.0.0",
      "added left-pad ->1.3.0",
    ]);
    expect(report.verdict).toBe("failed");
    expect(filesContaining(report.outDir, aws)).toEqual([]);
    expect(filesContaining(report.outDir, "abcdefABCDEF0123456789xyz")).toEqual([]);
  });

  it("are an error outside git, not a silent pass", async () => {
    const { gate } = await runIn(makeTempDir("gates-nogit-"), GATES);
    expect(gate("secrets")).toMatchObject({ outcome: "error", error: "builtin gates need a git repository" });
  });
});
