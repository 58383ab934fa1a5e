import { execFileSync } from "node:child_process";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Oracle } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { sha256 } from "@omk/core";
import { canonicalJson, freeze, oracleEvent, oracleHash, revise, verifyFrozen } from "./freeze.js";
import { readOracleFile, writeOracleFile } from "./oracle-file.js";

afterAll(cleanupTempDirs);

const ORACLE: Oracle = {
  schemaVersion: 1,
  goalClass: "bugfix",
  classes: ["bugfix"],
  criteria: [
    {
      id: "regression-test",
      description: "a regression test fails on base and passes on head",
      kind: "test_case",
      mustFailOnBase: true,
      run: { command: ["npx", "vitest", "run"], case: { name: "[oracle:regression-test]", match: "contains" } },
    },
    { id: "gate-unit", description: "unit tests pass", kind: "gate", mustFailOnBase: false, run: { gate: "unit" } },
  ],
};

/** The same value with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    );
  }
  return value;
}

describe("canonical JSON", () => {
  it("sorts keys and drops whitespace (RFC 8785)", () => {
    expect(canonicalJson({ b: [1, { d: 1, c: "x y" }], a: 1.5e3 })).toBe('{"a":1500,"b":[1,{"c":"x y","d":1}]}');
  });

  it("does not depend on key order, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(reversedKeys(value))).toBe(canonicalJson(value));
        expect(canonicalJson(JSON.parse(canonicalJson(value)))).toBe(canonicalJson(value));
      }),
      { numRuns: 200 },
    );
  });

  it("refuses values JSON cannot hold", () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
  });
});

describe("freeze and revise", () => {
  it("freezes revision 1 with the sha256 of the canonical JSON, whatever the key order", () => {
    const frozen = freeze(ORACLE);
    if (!frozen.ok) throw new Error(frozen.error.message);
    expect(frozen.value).toMatchObject({ kind: "omk.oracle", revision: 1, previousHash: null, reason: null });
    expect(frozen.value.hash).toBe(sha256(canonicalJson(ORACLE)));
    const again = freeze(reversedKeys(ORACLE));
    expect(again.ok && again.value.hash).toBe(frozen.value.hash);
    expect(oracleEvent(frozen.value)).toEqual({ type: "oracle_frozen", actor: "controller", data: { revision: 1, hash: frozen.value.hash, oracle: ORACLE } });
  });

  it("changes the hash when any criterion changes", () => {
    const changed = { ...ORACLE, criteria: ORACLE.criteria.map((c) => (c.id === "gate-unit" ? { ...c, run: { gate: "unit-all" } } : c)) };
    expect(oracleHash(changed as Oracle)).not.toBe(oracleHash(ORACLE));
  });

  it("refuses an invalid oracle with the issues", () => {
    const r = freeze({ ...ORACLE, criteria: [] });
    expect(!r.ok && r.error).toMatchObject({ code: "invalid_oracle", issues: [expect.stringContaining("criteria")] });
    const golden = freeze({
      ...ORACLE,
      criteria: [{ id: "g", description: "d", kind: "golden", mustFailOnBase: true, run: { command: ["x"], compare: "stdout" } }],
    });
    expect(golden.ok).toBe(false);
  });

  it("makes a change a new revision that names the hash it replaces, and refuses a revision that changes nothing", () => {
    const first = freeze(ORACLE);
    if (!first.ok) throw new Error("freeze");
    const unchanged = revise(first.value, reversedKeys(ORACLE), "reordered");
    expect(!unchanged.ok && unchanged.error.code).toBe("unchanged");
    const second = revise(first.value, { ...ORACLE, criteria: ORACLE.criteria.slice(0, 1) }, "the unit gate moved to the gate phase");
    if (!second.ok) throw new Error(second.error.message);
    expect(second.value).toMatchObject({ revision: 2, previousHash: first.value.hash, reason: "the unit gate moved to the gate phase" });
    expect(oracleEvent(second.value)).toMatchObject({ type: "oracle_revised", data: { revision: 2, previousHash: first.value.hash, hash: second.value.hash } });
    expect(revise(first.value, { ...ORACLE, criteria: ORACLE.criteria.slice(0, 1) }, " ").ok).toBe(false);
  });
});

describe("oracle.json", () => {
  it("is written crash-safely and read back verified", () => {
    const dir = makeTempDir();
    const frozen = freeze(ORACLE);
    if (!frozen.ok) throw new Error("freeze");
    const written = writeOracleFile(dir, frozen.value);
    expect(written.sha256).toBe(sha256(readFileSync(written.path, "utf8")));
    expect(readOracleFile(dir)).toEqual({ ok: true, value: frozen.value });
  });

  it("refuses a file whose criteria were edited after freezing", () => {
    const dir = makeTempDir();
    const frozen = freeze(ORACLE);
    if (!frozen.ok) throw new Error("freeze");
    const { path: file } = writeOracleFile(dir, frozen.value);
    const edited = JSON.parse(readFileSync(file, "utf8"));
    edited.oracle.criteria[0].mustFailOnBase = false;
    writeFileSync(file, JSON.stringify(edited));
    const r = readOracleFile(dir);
    expect(!r.ok && r.error).toMatchObject({ code: "hash_mismatch", message: expect.stringContaining("changed after freezing") });
    expect(verifyFrozen(edited).ok).toBe(false);
  });

  it("tells a missing file from a damaged one", () => {
    const dir = makeTempDir();
    expect(readOracleFile(dir)).toMatchObject({ ok: false, error: { code: "missing" } });
    writeFileSync(path.join(dir, "oracle.json"), "{");
    expect(readOracleFile(dir)).toMatchObject({ ok: false, error: { code: "unreadable" } });
  });

  it("refuses an oracle.json that is a FIFO or a link to /dev/zero instead of blocking on it or reading forever", () => {
    const fifo = makeTempDir();
    execFileSync("mkfifo", [path.join(fifo, "oracle.json")]);
    expect(readOracleFile(fifo)).toMatchObject({ ok: false, error: { code: "unreadable", message: expect.stringContaining("is not a regular file") } });
    const zero = makeTempDir();
    symlinkSync("/dev/zero", path.join(zero, "oracle.json"));
    expect(readOracleFile(zero)).toMatchObject({ ok: false, error: { code: "unreadable", message: expect.stringContaining("is not a regular file") } });
  });
});
