import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { RequestError, type ReadTextFileRequest, type ReadTextFileResponse, type WriteTextFileRequest } from "@agentclientprotocol/sdk";
import type { AcpHost } from "./host.js";

/** JSON-RPC code OMK answers a refused file or terminal request with (implementation-defined server error range). */
const REFUSED_CODE = -32010;

/** The error the agent sees when OMK refuses a path. */
export function refused(what: string, reason: string): RequestError {
  return new RequestError(REFUSED_CODE, `OMK refused ${what}: ${reason}`, { reason });
}

/** fs/read_text_file: inside the root and the read scope only; `line` is 1-based, `limit` counts lines. */
export async function readTextFile(host: AcpHost, params: ReadTextFileRequest): Promise<ReadTextFileResponse> {
  const verdict = host.judge(params.path, "read");
  if (!verdict.allowed) {
    host.recordScope("read", params.path, verdict.reason, true);
    throw refused(`to read ${params.path}`, verdict.reason);
  }
  const absolute = verdict.real;
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw RequestError.resourceNotFound(params.path);
    throw RequestError.internalError({ path: params.path, code }, (cause as Error).message);
  }
  host.emit({ type: "file_read", path: absolute, rel: verdict.rel });
  const line = params.line ?? undefined;
  const limit = params.limit ?? undefined;
  if (line === undefined && limit === undefined) return { content: text };
  const lines = text.split("\n");
  const start = Math.max(0, (line ?? 1) - 1);
  const end = limit === undefined ? lines.length : start + limit;
  return { content: lines.slice(start, end).join("\n") };
}

/**
 * fs/write_text_file: checked against the root and the write scope at the
 * moment of the write; a refused write is an error the agent sees and a scope
 * event. Written through a temp file and a rename, parents created.
 */
export async function writeTextFile(host: AcpHost, params: WriteTextFileRequest): Promise<Record<string, never>> {
  const verdict = host.judge(params.path, "write");
  if (!verdict.allowed) {
    host.recordScope("write", params.path, verdict.reason, true);
    throw refused(`to write ${params.path}`, verdict.reason);
  }
  const absolute = verdict.real;
  await mkdir(path.dirname(absolute), { recursive: true });
  const temp = `${absolute}.omk-${process.pid}-${Date.now()}.tmp`;
  await writeFile(temp, params.content, "utf8");
  await rename(temp, absolute);
  host.recordWrite(verdict.rel, absolute, Buffer.byteLength(params.content), "client");
  return {};
}
