/**
 * The thin IO edge of the oracle: oracle.json in a goal's directory, written
 * crash-safely (temp file, fsync, rename, fsync of the folder) and checked
 * against its hash when read back.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { type FrozenOracle, type Result, err, writeFileAtomicSync } from "@omk/state";
import { type OracleError, sha256Hex, verifyFrozen } from "./freeze.js";

export const ORACLE_FILE = "oracle.json";

/** Writes `<goalDir>/oracle.json`; returns its path and the sha256 of its bytes. */
export function writeOracleFile(goalDir: string, frozen: FrozenOracle): { path: string; sha256: string } {
  const file = path.join(goalDir, ORACLE_FILE);
  const text = `${JSON.stringify(frozen, null, 2)}\n`;
  writeFileAtomicSync(file, text);
  return { path: file, sha256: sha256Hex(text) };
}

export type OracleFileError = OracleError | { readonly code: "missing" | "unreadable"; readonly message: string; readonly issues: readonly string[] };

/** Reads and verifies `<goalDir>/oracle.json`: a file whose criteria no longer match its hash is refused. */
export function readOracleFile(goalDir: string): Result<FrozenOracle, OracleFileError> {
  const file = path.join(goalDir, ORACLE_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return err({ code: "missing", message: `${file} does not exist: the oracle was never frozen`, issues: [] });
    throw cause;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return err({ code: "unreadable", message: `${file} is not JSON: ${(cause as Error).message}`, issues: [] });
  }
  return verifyFrozen(value);
}
