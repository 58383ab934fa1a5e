// What every project of the corpus must show (issue 13, "Done when"), as one ordered suite per
// project: each step acts on the repository the step before left (HEAD as published, then the
// planted regression committed on top).
import { existsSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupE2e } from "../e2e/helpers.js";
import { caseIs, describeRun, fixBook, goalIdOf, type ProjectWorld, parseReport, plantRegression, proofOf, projectWorld, REGRESSION_TAG } from "./harness.js";

export function realProjectSuite(slug: string): void {
  describe.sequential(`${slug} (a real npm project, as published)`, () => {
    let w: ProjectWorld;
    beforeAll(async () => {
      w = await projectWorld(slug);
    }, 600_000);
    afterAll(() => {
      if (process.env["OMK_KEEP_TMP"] !== undefined) return;
      cleanupE2e();
      cleanupTempDirs();
    });

    it("omk-gates detect finds its test gate, with no config", async () => {
      expect(existsSync(path.join(w.repo, ".omk"))).toBe(false);
      const run = await w.gates("detect", "--json");
      expect(run.exitCode, describeRun("omk-gates detect", run)).toBe(0);
      const detection = JSON.parse(run.stdout) as { config: { gates: { name: string; kind: string; command?: unknown }[] } };
      const test = detection.config.gates.find((g) => g.kind === "test");
      expect(test, run.stdout).toBeDefined();
      // The project's own test script, run by its package manager (flags that turn its pre/post hooks off may sit anywhere).
      const command = Array.isArray(test?.command) ? (test.command as string[]) : [];
      expect(
        command.filter((arg) => !arg.startsWith("-")),
        run.stdout,
      ).toEqual([w.project.packageManager, "run", "test"]);
    });

    it("omk-gates run passes on HEAD (the tree as published, dependencies installed)", async () => {
      const run = await w.gates("run", "--json", "--quiet", "--out", path.join(w.gatesOut, "head"));
      expect(run.exitCode, describeRun("omk-gates run", run)).toBe(0);
      const report = parseReport(run);
      expect(report.verdict).toBe("passed");
      const test = report.gates.find((g) => g.kind === "test");
      expect(test?.outcome, run.stdout.slice(-3000)).toBe("passed");
    });

    it(`the planted regression (one function broken, committed) makes omk-gates compare --base HEAD~1 exit 1, naming exactly the newly failing case(s) as new`, async () => {
      await plantRegression(w);
      const run = await w.gates("compare", "--base", "HEAD~1", "--json", "--quiet", "--out", path.join(w.gatesOut, "compare"));
      expect(run.exitCode, describeRun("omk-gates compare", run)).toBe(1);
      const report = parseReport(run);
      const comparison = report.comparison;
      expect(comparison?.verdict).toBe("failed");
      const test = comparison?.gates.find((g) => g.kind === "test");
      expect(test?.status, JSON.stringify(comparison, null, 2)).toBe("new_failure");
      const newFailures = test?.tests?.newFailures ?? [];
      const expected = w.project.regression.newlyFailing;
      // Exactly the planted regression's cases, each once, and nothing else.
      expect(newFailures.length, `new failures: ${JSON.stringify(newFailures)}`).toBe(expected.length);
      for (const name of expected)
        expect(
          newFailures.filter((id) => caseIs(id, name)),
          `new failures: ${JSON.stringify(newFailures)}; wanted ${JSON.stringify(name)}`,
        ).toHaveLength(1);
    });

    it("omk goal run, asked in a user's words to fix it, ends ready with the regression test red on the base and green on the head (scripted engine, no .omk/ config)", async () => {
      expect(existsSync(path.join(w.repo, ".omk"))).toBe(false);
      const book = fixBook(w);
      const run = await w.omk("goal", "run", w.project.goal, "--until-ready", "--engine", "scripted", "--script", book);
      expect(run.exitCode, describeRun("omk goal run", run)).toBe(0);
      expect(run.stdout).toMatch(/^status: ready/mu);
      const proof = proofOf(w, goalIdOf(run.stdout));
      const criterion = proof.criteria.find((c) => c.id === "regression-test");
      expect(criterion?.verdict, JSON.stringify(proof.criteria, null, 2)).toBe("passed");
      // Per-test evidence: the tagged case failed on the base commit and passed on the head commit.
      const evidence = criterion?.evidence ?? [];
      const tagged = (line: string) => line.includes(REGRESSION_TAG);
      expect(
        evidence.some((line) => tagged(line) && /^base\b/u.test(line) && /\b(failed|error)$/u.test(line)),
        evidence.join("\n"),
      ).toBe(true);
      expect(
        evidence.some((line) => tagged(line) && /^head\b/u.test(line) && /\bpassed$/u.test(line)),
        evidence.join("\n"),
      ).toBe(true);
      expect(
        proof.criteria.every((c) => c.verdict === "passed"),
        JSON.stringify(proof.criteria, null, 2),
      ).toBe(true);
      // The head holds the fix (the function as published) and the new test.
      const head = (file: string) => w.git("show", `${proof.headCommit}:${file}`);
      expect(await head(w.project.regression.file)).toBe(w.original(w.project.regression.file).trim());
      expect(await head(w.project.regressionTest.file)).toContain(REGRESSION_TAG);
    });
  });
}
