/**
 * The thin IO edge of the oracle: oracle.json in a goal's directory, written
 * crash-safely (temp file, fsync, rename, fsync of the folder) and checked
 * against its hash when read back.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { type FrozenOracle, writeFileAtomicSync } from "@omk/state";
import { type Result, err, sha256 } from "@omk/core";
import { type OracleError, verifyFrozen } from "./freeze.js";

const ORACLE_FILE = "oracle.json";

/** Writes `<goalDir>/oracle.json`; returns its path and the sha256 of its bytes. */
export function writeOracleFile(goalDir: string, frozen: FrozenOracle): { path: string; sha256: string } {
  const file = path.join(goalDir, ORACLE_FILE);
  const text = `${JSON.stringify(frozen, null, 2)}\n`;
  writeFileAtomicSync(file, text);
  return { path: file, sha256: sha256(text) };
}

export type OracleFileError = OracleError | { readonly code: "missing" | "unreadable"; readonly message: string; readonly issues: readonly string[] };

/** An oracle.json is kilobytes; anything above this is not one. */
const ORACLE_MAX_BYTES = 16 * 1024 * 1024;

/** Reads and verifies `<goalDir>/oracle.json`: a file whose criteria no longer match its hash is refused. */
export function readOracleFile(goalDir: string): Result<FrozenOracle, OracleFileError> {
  const file = path.join(goalDir, ORACLE_FILE);
  let text: string;
  let fd: number;
  try {
    // O_NONBLOCK and a check on the open descriptor: a FIFO or device put in its place is refused, never waited on.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return err({ code: "missing", message: `${file} does not exist: the oracle was never frozen`, issues: [] });
    throw cause;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return err({ code: "unreadable", message: `${file} is not a regular file`, issues: [] });
    if (stat.size > ORACLE_MAX_BYTES)
      return err({ code: "unreadable", message: `${file} is ${stat.size} bytes, more than the ${ORACLE_MAX_BYTES} an oracle may have`, issues: [] });
    text = readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return err({ code: "unreadable", message: `${file} is not JSON: ${(cause as Error).message}`, issues: [] });
  }
  return verifyFrozen(value);
}
