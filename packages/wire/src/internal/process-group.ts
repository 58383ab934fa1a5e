import { readdirSync, readFileSync } from "node:fs";

/** Process groups OMK started and has not seen end; killed if this process exits first. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const pgid of liveGroups) signalGroup(pgid, "SIGKILL");
  });
}

export function trackGroup(pgid: number): void {
  installExitHook();
  liveGroups.add(pgid);
}

export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/** Sends a signal to every process of a group; false when the group is gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Pids of the live (not zombie) processes in a process group. On Linux this
 * reads /proc, so zombies that nobody reaps do not count as alive; elsewhere it
 * falls back to probing the group with signal 0.
 */
export function groupMembers(pgid: number): number[] {
  if (process.platform !== "linux") return signalGroup(pgid, 0 as unknown as NodeJS.Signals) ? [pgid] : [];
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return signalGroup(pgid, 0 as unknown as NodeJS.Signals) ? [pgid] : [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    const state = fields[0];
    const pgrp = Number(fields[2]);
    if (pgrp === pgid && state !== "Z" && state !== "X") members.push(Number(entry));
  }
  return members;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until the group has no live member or the time is up; true when it is gone. */
async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (Date.now() >= until) return false;
    await sleep(Math.min(25, Math.max(1, until - Date.now())));
  }
}

/**
 * Ends a process group: SIGTERM, then SIGKILL after `graceMs` if anything is
 * left. Resolves once the group is gone (or after a last bounded wait).
 * Returns whether SIGKILL was needed.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<{ forced: boolean }> {
  try {
    if (groupMembers(pgid).length === 0) return { forced: false };
    signalGroup(pgid, "SIGTERM");
    if (await waitGroupGone(pgid, graceMs)) return { forced: false };
    signalGroup(pgid, "SIGKILL");
    await waitGroupGone(pgid, 2_000);
    return { forced: true };
  } finally {
    untrackGroup(pgid);
  }
}
