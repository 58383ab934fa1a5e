import { randomBytes } from "node:crypto";
import { closeSync, constants, promises as fsp, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";

/** fsync a directory so a rename or create inside it survives a crash. */
async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

/** Crash-safe replace: temp file in the same dir, fsync, rename, fsync the dir. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const handle = await fsp.open(tmp, "w", 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (error) {
    await fsp.rm(tmp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

/**
 * The synchronous twin of writeFileAtomic, for IO edges that are synchronous
 * (oracle.json, plan artifacts): temp file, fsync, rename, fsync the dir.
 */
export function writeFileAtomicSync(file: string, data: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(tmp, "w", 0o644);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  try {
    const dirFd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}

/** Create a file only if it does not exist, with its full content visible at once (temp + link). */
export async function createFileExclusive(file: string, data: string): Promise<boolean> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.new`);
  await fsp.writeFile(tmp, data, { mode: 0o644 });
  try {
    await fsp.link(tmp, file);
    return true;
  } catch (error) {
    if (isErrno(error, "EEXIST")) return false;
    throw error;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

/** Append bytes and fsync before returning (the event log's durability rule). */
export async function appendDurable(file: string, data: string): Promise<void> {
  const handle = await fsp.open(file, "a", 0o644);
  try {
    await handle.appendFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Cut a file back to `length` bytes, durably. */
export async function truncateDurable(file: string, length: number): Promise<void> {
  const handle = await fsp.open(file, "r+");
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function readFileOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, "utf8");
  } catch (error) {
    if (isErrno(error, "ENOENT")) return undefined;
    throw error;
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

/** Whether a process with this pid runs on this host (EPERM: it runs, as another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrno(error, "EPERM");
  }
}

/** The writer's pid in a temp file's name (`.<file>.<pid>.<hex>.tmp|new`, as the writers here name them). */
const TEMP_PID = /\.(\d+)\.[0-9a-f]{8}\.(?:tmp|new)$/u;

/** The writer's pid in a temp file's name, when it is dead on this host (never this process). */
function deadWriter(name: string): boolean {
  const pid = Number(TEMP_PID.exec(name)?.[1] ?? Number.NaN);
  return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !pidAlive(pid);
}

const isTemp = (n: string) => n.startsWith(".") && (n.endsWith(".tmp") || n.endsWith(".new"));

/**
 * Remove temp files a killed writer left behind (they never became the real
 * file): one whose writer's pid is dead on this host at once (a resume right
 * after a kill -9 finds it), any other once it is older than `olderThanMs`.
 * `olderThanMs` Infinity: only the dead writers' ones (safe without the
 * goal's mutex: nobody else ever links or renames another writer's temp file).
 */
export async function removeStaleTemps(dir: string, olderThanMs = 60_000): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  await Promise.all(
    names.filter(isTemp).map(async (n) => {
      const p = path.join(dir, n);
      if (deadWriter(n)) return fsp.rm(p, { force: true });
      if (!Number.isFinite(olderThanMs)) return;
      const st = await fsp.stat(p).catch(() => undefined);
      if (st !== undefined && now - st.mtimeMs > olderThanMs) await fsp.rm(p, { force: true });
    }),
  );
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}
