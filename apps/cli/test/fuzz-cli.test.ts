/**
 * Fuzz through the built binary (issue 14, standing test; the many cases
 * run in-process in each package's fuzz test, these few prove the process
 * edge): `omk goal status`, `omk goal replay --verify` and `omk goal budget`
 * on a fuzzed events.jsonl, and `omk goal verify --checkout` with a fuzzed
 * gates config, never exit 70 (an internal error) and never print a stack
 * trace (nor does `omk goal create|run|plan` with any text where no goal can
 * be made: it exits 2 naming the text, else git, before the engine): whatever is broken is named on one line with its fix. The seed of
 * a failure is printed by fast-check; OMK_FUZZ_SEED replays it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, FUZZ_TIMEOUT_MS, fuzzParams, makeTempDir, runOmk } from "@omk/test-fixtures";
import { execa } from "execa";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepo } from "./cli-goal-fixture.js";

afterAll(cleanupTempDirs);

const INTERNAL = 70;
const LOG_RUNS = Math.ceil(fuzzParams("cli").numRuns / 2);
const GATES_RUNS = fuzzParams("cli").numRuns - LOG_RUNS;

let world: { stateDir: string; repo: string; id: string; events: string; log: Buffer; snapshot: string; snapshotBytes: Buffer };

beforeAll(async () => {
  const stateDir = makeTempDir();
  const { repo } = await makeRepo();
  const created = await runOmk(["goal", "create", "Add a slugify(text) helper — ünïcödé", "--json"], { stateDir, cwd: repo });
  if (created.exitCode !== 0) throw new Error(created.stderr);
  const id = (created.json() as { id: string }).id;
  await runOmk(["goal", "amend", id, "--answer", "keep it small", "--json"], { stateDir, cwd: repo });
  await runOmk(["goal", "budget-add", id, "--tokens", "5000", "--json"], { stateDir, cwd: repo });
  const events = path.join(stateDir, "goals", id, "events.jsonl");
  const snapshot = path.join(stateDir, "goals", id, "goal.json");
  world = { stateDir, repo, id, events, log: readFileSync(events), snapshot, snapshotBytes: readFileSync(snapshot) };
});

const FORGED = '{"v":1,"seq":4,"ts":"2026-03-01T10:00:00.000Z","type":"budget_extended","actor":"user","data":{"add":{"tokens":999999999}}}';

const UNCHANGED = { dup: undefined, drop: undefined, foreign: undefined, bytes: undefined, cut: undefined };

/** The log's lines, mutated: dropped, duplicated, a foreign line, bytes that are not UTF-8, cut short. */
const logMutation = fc.record({
  dup: fc.option(fc.nat(), { nil: undefined }),
  drop: fc.option(fc.nat(), { nil: undefined }),
  foreign: fc.option(fc.tuple(fc.nat(), fc.oneof(fc.json({ maxDepth: 2 }), fc.constant(FORGED))), { nil: undefined }),
  bytes: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 6 })), { nil: undefined }),
  cut: fc.option(fc.nat(), { nil: undefined }),
  snapshot: fc.constantFrom("kept", "missing", "garbage"),
});

function mutate(m: {
  dup?: number | undefined;
  drop?: number | undefined;
  foreign?: [number, string] | undefined;
  bytes?: [number, Uint8Array] | undefined;
  cut?: number | undefined;
}): Buffer {
  const lines = world.log.toString("latin1").split(/(?<=\n)/);
  if (m.dup !== undefined) lines.splice(m.dup % lines.length, 0, lines[m.dup % lines.length] as string);
  if (m.drop !== undefined && lines.length > 1) lines.splice(m.drop % lines.length, 1);
  if (m.foreign !== undefined) lines.splice(m.foreign[0] % (lines.length + 1), 0, `${m.foreign[1]}\n`);
  let out = Buffer.from(lines.join(""), "latin1");
  if (m.bytes !== undefined) {
    const i = m.bytes[0] % (out.length + 1);
    out = Buffer.concat([out.subarray(0, i), Buffer.from(m.bytes[1]), out.subarray(i)]);
  }
  if (m.cut !== undefined) out = out.subarray(0, m.cut % (out.length + 1));
  return out;
}

function expectNoCrash(r: { exitCode: number; stderr: string }, what: string): void {
  expect(r.exitCode, `${what}: ${r.stderr}`).not.toBe(INTERNAL);
  expect(r.stderr, what).not.toMatch(/internal error|\n\s+at .*:\d+:\d+/);
}

describe("fuzz through the built omk", () => {
  it("goal status, replay --verify and budget on a fuzzed events.jsonl never exit 70", { timeout: FUZZ_TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(
        logMutation,
        fc.constantFrom(
          ["goal", "status", "--json"],
          ["goal", "status"],
          ["goal", "show", "--format", "md"],
          ["goal", "replay", "--verify", "--json"],
          ["goal", "budget", "--json"],
        ),
        async (m, args) => {
          writeFileSync(world.events, mutate(m));
          if (m.snapshot === "missing") writeFileSync(world.snapshot, "");
          else writeFileSync(world.snapshot, m.snapshot === "garbage" ? "{not json" : world.snapshotBytes);
          const r = await runOmk([...args.slice(0, 2), world.id, ...args.slice(2)], { stateDir: world.stateDir, cwd: world.repo });
          expectNoCrash(r, args.join(" "));
        },
      ),
      {
        ...fuzzParams("cli"),
        numRuns: LOG_RUNS,
        // Always: a forged budget extension appended by hand (the chain refuses it), and invalid UTF-8 in a line.
        examples: [
          [{ ...UNCHANGED, foreign: [99, FORGED], snapshot: "kept" }, ["goal", "status", "--json"]],
          [{ ...UNCHANGED, bytes: [1e9, new Uint8Array([0xc3, 0x28, 0xff])], snapshot: "missing" }, ["goal", "replay", "--verify", "--json"]],
        ],
      },
    );
  });

  it("goal create, run and plan with any text, outside a repository or in one with no commit: exit 2, one line with the fix, no goal", {
    timeout: FUZZ_TIMEOUT_MS,
  }, async () => {
    const stateDir = makeTempDir();
    const outside = makeTempDir("cli-fuzz-no-repo-");
    const noCommit = makeTempDir("cli-fuzz-no-commit-");
    await execa("git", ["init", "-q"], { cwd: noCommit });
    // Text that is not an option (a leading "-" is commander's to judge), blank text included.
    const texts = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("", " ", "\t\n", "Add a --json flag", "ünïcödé ✓")).filter((t) => !t.startsWith("-"));
    await fc.assert(
      fc.asyncProperty(texts, fc.constantFrom("create", "run", "plan"), fc.constantFrom(outside, noCommit), async (text, command, cwd) => {
        const r = await runOmk(["goal", command, text], { stateDir, cwd, env: { OMK_ENGINE: "warp-drive" } });
        const what = `goal ${command} ${JSON.stringify(text)} in ${cwd === outside ? "no repository" : "a repository with no commit"}`;
        expectNoCrash(r, what);
        expect(r.exitCode, `${what}: ${r.stderr}`).toBe(2);
        expect(r.stderr.trimEnd().split("\n"), what).toHaveLength(1);
        // The user's text first, then git, never the engine (OMK_ENGINE names none that exists).
        expect(r.stderr, what).toMatch(
          text.trim() === ""
            ? /^omk: the goal text is empty — fix: /
            : cwd === outside
              ? /is not a git repository: .* — fix: /
              : /has no commit yet: .* — fix: make a first commit/,
        );
      }),
      { ...fuzzParams("cli"), numRuns: GATES_RUNS },
    );
    expect(existsSync(path.join(stateDir, "goals")) ? readdirSync(path.join(stateDir, "goals")) : []).toEqual([]);
  });

  it("goal verify --checkout with a fuzzed gates config never exits 70", { timeout: FUZZ_TIMEOUT_MS }, async () => {
    const dir = makeTempDir("cli-fuzz-gates-");
    const config = path.join(dir, "gates.yaml");
    // Every one of these runs (as examples), then random text.
    const known = [
      "gates:\n  - *nope\n",
      "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\ngates: *c\n",
      "gates:\n  - {name: a, kind: test, command: [node, -e, '0'], cwd: ../../..}\n",
      "gates:\n  - {name: a, kind: test, command: [node, -e, '0'], cwd: /etc}\n",
      `gates: ${"[".repeat(3000)}\n`,
      "gates:\n  - {name: a, kind: test, command: [node, -e, '0'], timeout: 1e999, retries: 99999999999999999999}\n",
    ];
    const texts = fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 80 }), fc.json({ maxDepth: 3 }));
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        writeFileSync(config, text);
        const r = await runOmk(["goal", "verify", "--checkout", world.repo, "--config", config, "--out", path.join(dir, "verify.json")], {
          stateDir: makeTempDir(),
          cwd: dir,
        });
        expectNoCrash(r, text);
      }),
      { ...fuzzParams("cli"), numRuns: GATES_RUNS, examples: known.map((t) => [t] as [string]) },
    );
  });
});
