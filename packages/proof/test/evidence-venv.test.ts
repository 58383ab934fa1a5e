// A Python project's venv: the gates get its bin first on PATH (@omk/gates, runGates with `setup`); the oracle's own
// commands in the same checkout must see the same PATH, or a criterion like `pytest` or `python -c 'import dep'` fails
// where the gate passes. A real venv (python3 -m venv, pip with an empty requirements file: no network).
import { readFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { collectOracleEvidence } from "../src/index.js";
import { withDetachedCheckout } from "../src/evidence/checkout.js";
import { frozenOracle } from "./evidence-fixture.js";

afterAll(cleanupTempDirs);

/** Exits 0 only when the `python` first on PATH is a venv's (prints which). */
const IN_VENV = ["python", "-c", "import sys; print(sys.prefix); sys.exit(0 if sys.prefix != sys.base_prefix else 4)"];

describe("the oracle's commands in a checkout with a venv", () => {
  it("see the venv's bin first on PATH, as the gates do", async () => {
    const repo = makeTempDir("omk-venv-repo-");
    const commit = await initGitRepo(repo, { "requirements.txt": "# no dependencies\n", "app.py": "print('hi')\n" });
    const frozen = frozenOracle([
      { id: "in-venv", kind: "command", description: "python is the venv's", mustFailOnBase: false, run: { command: IN_VENV, cwd: "." } },
    ]);
    const outFile = path.join(makeTempDir("omk-venv-out-"), "head.json");
    const deps = { env: process.env, cacheDir: makeTempDir("omk-venv-cache-") };
    const set = await withDetachedCheckout(
      repo,
      commit,
      async (dir, setup) => {
        expect(setup?.path).toEqual([path.join(dir, ".venv", "bin")]);
        return await collectOracleEvidence({
          side: "head",
          root: dir,
          commit,
          frozen,
          gates: [],
          testCases: [],
          env: process.env,
          ...(setup === undefined ? {} : { setup }),
          outFile,
        });
      },
      "omk-venv-",
      deps,
    );
    if (!set.ok) throw new Error(set.error.message);
    const run = set.value.commands.find((c) => c.criterionId === "in-venv");
    expect(run?.exitCode, JSON.stringify(run)).toBe(0);
    expect(run?.stdout).toMatch(/\.venv/);
    expect(readFileSync(outFile, "utf8")).toContain("in-venv");
  }, 180_000);
});
