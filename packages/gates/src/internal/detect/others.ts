import type { GateKind } from "../../schemas/config.js";
import { type Found, has, read } from "./common.js";

/**
 * Python: pytest, ruff or flake8, and mypy, each only when the project
 * configures it (a config file or section, or pytest as a declared
 * dependency). Commands run through uv or poetry when their lockfile exists.
 */
export function detectPython(dir: string): Found | undefined {
  const markers = ["pyproject.toml", "setup.cfg", "setup.py", "requirements.txt", "pytest.ini", "tox.ini"].filter((f) => has(dir, f));
  if (markers.length === 0) return undefined;
  const pyproject = read(dir, "pyproject.toml") ?? "";
  const setupCfg = read(dir, "setup.cfg") ?? "";
  const tox = read(dir, "tox.ini") ?? "";
  const requirements = read(dir, "requirements.txt") ?? "";
  const prefix = has(dir, "uv.lock") ? ["uv", "run"] : has(dir, "poetry.lock") ? ["poetry", "run"] : [];
  const via = prefix.length > 0 ? ` (through ${prefix[0]}: ${prefix[0] === "uv" ? "uv.lock" : "poetry.lock"})` : "";
  const run = (tool: string[]) => (prefix.length > 0 ? [...prefix, ...tool] : tool);
  const found: Found = { project: { type: "python", marker: markers[0] as string, reason: `Python project (${markers.join(", ")})` }, gates: [], skipped: [] };

  const pytestWhy = has(dir, "pytest.ini")
    ? "pytest.ini"
    : /^\[tool\.pytest\.ini_options\]/m.test(pyproject)
      ? "[tool.pytest.ini_options] in pyproject.toml"
      : /^\[tool:pytest\]/m.test(setupCfg)
        ? "[tool:pytest] in setup.cfg"
        : /^\[pytest\]/m.test(tox)
          ? "[pytest] in tox.ini"
          : has(dir, "conftest.py")
            ? "conftest.py"
            : /(^|["'\s])pytest\b/m.test(pyproject) || /^pytest\b/im.test(requirements)
              ? "pytest is a declared dependency"
              : undefined;
  if (pytestWhy !== undefined)
    found.gates.push({ gate: { name: "pytest", kind: "test", command: run(["python3", "-m", "pytest"]) }, reason: `${pytestWhy}${via}` });
  else found.skipped.push({ name: "pytest", reason: "pytest is not configured (no pytest.ini, [tool.pytest.ini_options], conftest.py or dependency)" });

  const ruffWhy = has(dir, "ruff.toml")
    ? "ruff.toml"
    : has(dir, ".ruff.toml")
      ? ".ruff.toml"
      : /^\[tool\.ruff/m.test(pyproject)
        ? "[tool.ruff] in pyproject.toml"
        : undefined;
  const flake8Why = has(dir, ".flake8")
    ? ".flake8"
    : /^\[flake8\]/m.test(setupCfg)
      ? "[flake8] in setup.cfg"
      : /^\[flake8\]/m.test(tox)
        ? "[flake8] in tox.ini"
        : undefined;
  if (ruffWhy !== undefined) found.gates.push({ gate: { name: "ruff", kind: "lint", command: run(["ruff", "check", "."]) }, reason: `${ruffWhy}${via}` });
  if (flake8Why !== undefined)
    found.gates.push({ gate: { name: "flake8", kind: "lint", command: run(["python3", "-m", "flake8"]) }, reason: `${flake8Why}${via}` });
  if (ruffWhy === undefined && flake8Why === undefined) found.skipped.push({ name: "ruff/flake8", reason: "no ruff or flake8 configuration" });

  const mypyWhy = has(dir, "mypy.ini")
    ? "mypy.ini"
    : has(dir, ".mypy.ini")
      ? ".mypy.ini"
      : /^\[tool\.mypy\]/m.test(pyproject)
        ? "[tool.mypy] in pyproject.toml"
        : /^\[mypy\]/m.test(setupCfg)
          ? "[mypy] in setup.cfg"
          : undefined;
  if (mypyWhy !== undefined)
    found.gates.push({ gate: { name: "mypy", kind: "typecheck", command: run(["python3", "-m", "mypy", "."]) }, reason: `${mypyWhy}${via}` });
  else found.skipped.push({ name: "mypy", reason: "no mypy configuration" });
  return found;
}

/** Rust: cargo fmt --check, clippy (warnings are errors), cargo test; workspace-wide when Cargo.toml has [workspace]. */
export function detectRust(dir: string): Found | undefined {
  const manifest = read(dir, "Cargo.toml");
  if (manifest === undefined) return undefined;
  const workspace = /^\[workspace\]/m.test(manifest);
  const ws = workspace ? ["--workspace"] : [];
  const reason = `Cargo.toml${workspace ? " ([workspace])" : ""}`;
  return {
    project: { type: "rust", marker: "Cargo.toml", reason: `Rust crate (${reason})` },
    gates: [
      { gate: { name: "cargo-fmt", kind: "lint", command: ["cargo", "fmt", "--all", "--check"] }, reason: `${reason}: formatting is checked, not changed` },
      {
        gate: { name: "cargo-clippy", kind: "lint", command: ["cargo", "clippy", ...ws, "--all-targets", "--", "-D", "warnings"] },
        reason: `${reason}: clippy with warnings as errors`,
      },
      { gate: { name: "cargo-test", kind: "test", command: ["cargo", "test", ...ws] }, reason },
    ],
    skipped: [],
  };
}

/** Go: gofmt (fails when it lists files), go vet, go test over ./... */
export function detectGo(dir: string): Found | undefined {
  if (!has(dir, "go.mod")) return undefined;
  const gofmt = 'files=$(gofmt -l .); if [ -n "$files" ]; then echo "not gofmt-formatted:"; echo "$files"; exit 1; fi';
  return {
    project: { type: "go", marker: "go.mod", reason: "Go module (go.mod)" },
    gates: [
      {
        gate: { name: "gofmt", kind: "lint", command: gofmt, shell: true },
        reason: "go.mod: gofmt -l lists unformatted files but exits 0, so a shell line turns a non-empty list into a failure",
      },
      { gate: { name: "go-vet", kind: "lint", command: ["go", "vet", "./..."] }, reason: "go.mod" },
      { gate: { name: "go-test", kind: "test", command: ["go", "test", "./..."] }, reason: "go.mod" },
    ],
    skipped: [],
  };
}

const MAKE_TARGETS: ReadonlyArray<[string, GateKind]> = [
  ["build", "build"],
  ["typecheck", "typecheck"],
  ["lint", "lint"],
  ["test", "test"],
  ["check", "test"],
];

/** Makefile targets build, typecheck, lint, test, check; a kind another project type already covers is left out. */
export function detectMake(dir: string, coveredKinds: ReadonlySet<GateKind>): Found | undefined {
  const file = ["GNUmakefile", "makefile", "Makefile"].find((f) => has(dir, f));
  if (file === undefined) return undefined;
  const text = read(dir, file) ?? "";
  const targets = new Set([...text.matchAll(/^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)/gm)].map((m) => m[1] as string));
  const found: Found = {
    project: { type: "make", marker: file, reason: `${file} with targets ${[...targets].slice(0, 8).join(", ") || "(none)"}` },
    gates: [],
    skipped: [],
  };
  const kinds = new Set<GateKind>();
  for (const [target, kind] of MAKE_TARGETS) {
    if (!targets.has(target)) continue;
    if (coveredKinds.has(kind)) {
      found.skipped.push({ name: `make-${target}`, reason: `a ${kind} gate was already found for this project` });
      continue;
    }
    if (kinds.has(kind)) {
      found.skipped.push({ name: `make-${target}`, reason: `make target for ${kind} already chosen` });
      continue;
    }
    kinds.add(kind);
    found.gates.push({ gate: { name: `make-${target}`, kind, command: ["make", target] }, reason: `${file} target "${target}"` });
  }
  return found;
}
