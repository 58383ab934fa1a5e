// The corpus itself: at least 8 real projects, each pinned by version and sha512 integrity, covering
// the test runners and package managers that issue 13 names, each with a regression that names the
// cases it breaks and a test that a fix must turn from red to green.
import { describe, expect, it } from "vitest";
import { corpusIndex, corpusManifest, planted, REGRESSION_TAG } from "./harness.js";
import { readFileSync } from "node:fs";
import path from "node:path";

describe("the real-projects corpus", () => {
  const manifest = corpusManifest();

  it("has at least 8 projects, each pinned by version and sha512 integrity, with distinct slugs", () => {
    expect(manifest.projects.length).toBeGreaterThanOrEqual(8);
    expect(new Set(manifest.projects.map((p) => p.slug)).size).toBe(manifest.projects.length);
    for (const p of manifest.projects) {
      expect(p.version, p.name).toMatch(/^\d+\.\d+\.\d+$/u);
      expect(p.integrity, p.name).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/u);
    }
  });

  it("covers node:test, tape, mocha, jest, ava, a TypeScript project and a pnpm project (vitest: see docs/decisions/real-projects.md)", () => {
    const runners = new Set(manifest.projects.map((p) => p.runner));
    for (const runner of ["node:test", "tape", "mocha", "jest", "ava"]) expect(runners, runner).toContain(runner);
    expect(manifest.projects.some((p) => p.covers.some((c) => c.startsWith("a project written in TypeScript")))).toBe(true);
    expect(manifest.projects.some((p) => p.packageManager === "pnpm")).toBe(true);
  });

  it("every regression applies once to the fetched file, and every regression test carries the oracle's tag", () => {
    const index = corpusIndex();
    for (const p of manifest.projects) {
      const cached = index.projects[p.slug];
      expect(cached, `${p.slug} is not in the corpus cache`).toBeDefined();
      const text = readFileSync(path.join(cached?.dir ?? "", p.regression.file), "utf8");
      expect(planted(text, p.regression.search, p.regression.replace, p.regression.file)).not.toBe(text);
      expect(p.regressionTest.append.join("\n"), p.slug).toContain(REGRESSION_TAG);
      expect(readFileSync(path.join(cached?.dir ?? "", p.regressionTest.file), "utf8"), p.slug).not.toContain(REGRESSION_TAG);
      expect(readFileSync(path.join(cached?.dir ?? "", cached?.lockfile ?? ""), "utf8").length, `${p.slug} lockfile`).toBeGreaterThan(0);
    }
  });
});
