import path from "node:path";
import { NoGatesDetectedError } from "./errors.js";
import { type Found, inGitRepo } from "./internal/detect/common.js";
import { detectNode } from "./internal/detect/node.js";
import { detectGo, detectMake, detectPython, detectRust } from "./internal/detect/others.js";
import { err, ok, type Result } from "@omk/core";
import { type GateKind, GatesConfigSchema } from "./schemas/config.js";
import type { Detection } from "./schemas/detection.js";

const CHECKED = ["package.json", "pyproject.toml/setup.cfg/requirements.txt", "Cargo.toml", "go.mod", "Makefile"];

/**
 * Find the gates of a project with no config, by project type: Node
 * (package manager from the lockfile; scripts build, typecheck, lint, test),
 * Python (pytest, ruff/flake8, mypy when configured), Rust (cargo fmt
 * --check, clippy, test), Go (gofmt, vet, test), Makefile targets. Each gate
 * says why it was chosen. In a git repository the builtin secret scan and
 * dependency list are added. Test gates get `tests: {format: auto}` (per-test
 * results from the runner behind the command). Nothing found is an error value, never an
 * empty pass.
 */
export function detectGates(dir: string): Result<Detection, NoGatesDetectedError> {
  const root = path.resolve(dir);
  const found: Found[] = [];
  for (const detector of [detectNode, detectPython, detectRust, detectGo]) {
    const f = detector(root);
    if (f !== undefined) found.push(f);
  }
  const covered = new Set<GateKind>(found.flatMap((f) => f.gates.map((g) => g.gate.kind)));
  const make = detectMake(root, covered);
  if (make !== undefined) found.push(make);
  const gates = found.flatMap((f) => f.gates);
  if (gates.length === 0) {
    const seen = found.map((f) => `${f.project.reason}: ${f.skipped.map((s) => s.reason).join("; ") || "no gates"}`);
    return err(new NoGatesDetectedError(root, found.length === 0 ? [`looked for ${CHECKED.join(", ")}`] : seen));
  }
  const repo = inGitRepo(root);
  if (repo !== undefined) {
    found.push({
      project: { type: "git", marker: ".git", reason: `git repository at ${repo}` },
      gates: [
        {
          gate: { name: "secrets", kind: "security", builtin: "secret-scan" },
          reason: "builtin: secret scan of the change (the diff against the base, and untracked files)",
        },
        {
          gate: { name: "dependencies", kind: "dependency", builtin: "dependency-changes", required: false },
          reason: "builtin: dependencies added or changed in manifests and lockfiles (informational: a review must justify them)",
        },
      ],
      skipped: [],
    });
  }
  const all = found.flatMap((f) => f.gates);
  // Test gates read their per-test results from the runner found behind the command (tests: {format: auto}).
  const config = GatesConfigSchema.parse({
    gates: all.map((g) =>
      g.gate.kind === "test" && g.gate.junit === undefined && g.gate.tests === undefined ? { ...g.gate, tests: { format: "auto" } } : g.gate,
    ),
  });
  return ok({
    root,
    projects: found.map((f) => f.project),
    gates: all.map((g) => ({ name: g.gate.name, reason: g.reason })),
    skipped: found.flatMap((f) => f.skipped),
    config,
  });
}
