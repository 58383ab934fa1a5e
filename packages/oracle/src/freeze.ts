/**
 * Freezing: the oracle is fixed before execution as canonical JSON (RFC 8785
 * through `canonicalize`: sorted keys, no whitespace, one number format) and
 * its sha256. Changing it later is a new revision that names the hash it
 * replaces; evidence is bound to one hash and is refused under any other.
 */
import { sha256, type Result, err, ok } from "@omk/core";
import { type FrozenOracle, FrozenOracleSchema, type NewEvent, type Oracle, OracleSchema, SCHEMA_VERSION } from "@omk/state";
import canonicalize from "canonicalize";
import type { z } from "zod";

export type OracleError = {
  readonly code: "invalid_oracle" | "unchanged" | "hash_mismatch";
  readonly message: string;
  readonly issues: readonly string[];
};

/** Canonical JSON (RFC 8785). Throws on values JSON cannot hold (undefined, NaN, cycles): those are bugs. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("canonicalJson: the value has no JSON form");
  return text;
}

/** The hash evidence is bound to: sha256 of the canonical JSON of the parsed oracle. */
export function oracleHash(oracle: Oracle): string {
  return sha256(canonicalJson(oracle));
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
}

function parseOracle(input: unknown): Result<Oracle, OracleError> {
  const parsed = OracleSchema.safeParse(input);
  if (parsed.success) return ok(parsed.data);
  const issues = describeIssues(parsed.error);
  return err({ code: "invalid_oracle", message: `the oracle is invalid: ${issues.join("; ")}`, issues });
}

/** Revision 1 of an oracle. */
export function freeze(input: unknown): Result<FrozenOracle, OracleError> {
  const parsed = parseOracle(input);
  if (!parsed.ok) return parsed;
  return ok({
    schemaVersion: SCHEMA_VERSION,
    kind: "omk.oracle",
    revision: 1,
    hash: oracleHash(parsed.value),
    previousHash: null,
    reason: null,
    oracle: parsed.value,
  });
}

/** The next revision; refused when the criteria did not change (same hash). */
export function revise(current: FrozenOracle, input: unknown, reason: string): Result<FrozenOracle, OracleError> {
  const parsed = parseOracle(input);
  if (!parsed.ok) return parsed;
  const hash = oracleHash(parsed.value);
  if (hash === current.hash) {
    return err({ code: "unchanged", message: `the revised oracle is identical to revision ${current.revision} (${hash})`, issues: [] });
  }
  if (reason.trim() === "") return err({ code: "invalid_oracle", message: "a revision needs a reason", issues: ["reason: empty"] });
  return ok({
    schemaVersion: SCHEMA_VERSION,
    kind: "omk.oracle",
    revision: current.revision + 1,
    hash,
    previousHash: current.hash,
    reason,
    oracle: parsed.value,
  });
}

/** Parses an oracle.json value and checks that its hash matches its criteria. */
export function verifyFrozen(input: unknown): Result<FrozenOracle, OracleError> {
  const parsed = FrozenOracleSchema.safeParse(input);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    return err({ code: "invalid_oracle", message: `the frozen oracle is invalid: ${issues.join("; ")}`, issues });
  }
  const actual = oracleHash(parsed.data.oracle);
  if (actual !== parsed.data.hash) {
    return err({
      code: "hash_mismatch",
      message: `the frozen oracle says ${parsed.data.hash}, but its criteria hash to ${actual}: it was changed after freezing`,
      issues: [],
    });
  }
  return ok(parsed.data);
}

/** The event that records a frozen oracle: oracle_frozen for revision 1, oracle_revised after. */
export function oracleEvent(frozen: FrozenOracle, actor = "controller"): NewEvent {
  if (frozen.revision === 1) {
    return { type: "oracle_frozen", actor, data: { revision: 1, hash: frozen.hash, oracle: frozen.oracle } };
  }
  return {
    type: "oracle_revised",
    actor,
    data: {
      revision: frozen.revision,
      hash: frozen.hash,
      previousHash: frozen.previousHash ?? "",
      reason: frozen.reason ?? "",
      oracle: frozen.oracle,
    },
  };
}
