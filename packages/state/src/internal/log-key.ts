import { createHmac, randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { OmkError } from "@omk/core";
import { isErrno } from "./fs.js";

/**
 * The local key that MACs every event line (docs/decisions/state-store.md,
 * "chained log"): `<state root>/keys/log.key`, 32 random bytes in hex, mode
 * 0600 in a 0700 dir. It sits beside the goals it protects but outside every
 * goal folder; the sandbox hides the whole state root from agents.
 */
export function logKeyFile(root: string): string {
  return path.join(root, "keys", "log.key");
}

function parseKey(text: string, file: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new OmkError("OMK_STATE_LOG_KEY_INVALID", `${file} is not a log key (64 lowercase hex digits)`, {
      fix: `restore ${file} from a backup; a goal whose log it signed cannot be continued without it`,
    });
  }
  return Buffer.from(hex, "hex");
}

/** The key, or undefined when this state root has none yet (readers never create it). */
export async function readLogKey(root: string): Promise<Buffer | undefined> {
  const file = logKeyFile(root);
  try {
    return parseKey(await fsp.readFile(file, "utf8"), file);
  } catch (error) {
    if (isErrno(error, "ENOENT")) return undefined;
    throw error;
  }
}

/** The key, created (exclusively, 0600) when missing; concurrent creators agree on one. */
export async function ensureLogKey(root: string): Promise<Buffer> {
  const existing = await readLogKey(root);
  if (existing !== undefined) return existing;
  const file = logKeyFile(root);
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.new`;
  const handle = await fsp.open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(`${randomBytes(32).toString("hex")}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.link(tmp, file);
  } catch (error) {
    if (!isErrno(error, "EEXIST")) throw error;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  return (await readLogKey(root)) as Buffer;
}

/** The MAC of one line's signed text (the line without its mac field), bound to the goal. */
export function lineMac(key: Buffer, goalId: string, signed: string): string {
  return createHmac("sha256", key).update(`${goalId}\n`).update(signed).digest("hex");
}
