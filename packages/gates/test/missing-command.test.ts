import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { formatMarkdown, formatText } from "../src/index.js";
import { write } from "./cli-helpers.js";
import { runIn } from "./helpers.js";

afterAll(cleanupTempDirs);

describe("a missing command is an error with its reason, in the text and Markdown tables", () => {
  it("a program that is not there (spawn ENOENT) and a script's command that is not there (sh exit 127)", async () => {
    const dir = write(makeTempDir("hyg-missing-"), { "package.json": { name: "p", version: "1.0.0", scripts: { test: "tape-not-installed test/*.js" } } });
    const { report, gate } = await runIn(dir, [
      { name: "direct", kind: "test", command: ["tape-not-installed", "test.js"] },
      { name: "script", kind: "test", command: ["npm", "run", "test", "--ignore-scripts"] },
      { name: "fails", kind: "test", command: [process.execPath, "-e", "process.exit(3)"] },
    ]);
    for (const name of ["direct", "script"]) {
      expect(gate(name)?.outcome, name).toBe("error");
      expect(gate(name)?.error, name).toMatch(/^command not found: tape-not-installed — install the project's dependencies/);
    }
    // An ordinary failure stays a failure, with no reason made up.
    expect(gate("fails")?.outcome).toBe("failed");
    expect(gate("fails")?.error).toBeUndefined();
    const text = formatText(report);
    expect(text).toMatch(/^gate\s+kind\s+req\s+outcome\s+time\s+exit\s+why$/m);
    expect(text).toMatch(/^direct\s+test\s+yes\s+error\s+.*command not found: tape-not-installed — install/m);
    expect(text).toMatch(/^script\s+test\s+yes\s+error\s+.*127\s+command not found: tape-not-installed/m);
    expect(formatMarkdown(report)).toMatch(
      /\| direct \| test \| yes \| 💥 error: command not found: tape-not-installed — install the project's dependencies .* \|/,
    );
  });
});
