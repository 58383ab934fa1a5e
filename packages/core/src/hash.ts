import { createHash, type Hash } from "node:crypto";
import { readFileSync } from "node:fs";

/** sha256 (lowercase hex) of a string (as UTF-8) or of bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** sha256 (lowercase hex) of a file's bytes, read whole. For a file that may be huge or not regular, feed sha256Hasher in chunks. */
export function sha256File(file: string): string {
  return sha256(readFileSync(file));
}

/** An incremental sha256: `update` strings (UTF-8) or bytes as they come, then `digest("hex")`. */
export function sha256Hasher(): Hash {
  return createHash("sha256");
}
