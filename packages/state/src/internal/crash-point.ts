/**
 * A test-only crash point (the crash sweep, apps/cli/test/e2e-crash-sweep.test.ts):
 * with `OMK_CRASH_AT` set, the process SIGKILLs itself (and its process
 * group, when it leads one) right after the event log durably holds the
 * named event, before goal.json or any other file is written:
 *  - `OMK_CRASH_AT=<n>`: after event seq n is appended;
 *  - `OMK_CRASH_AT=<event type>`: after the first event of that type this
 *    process appends.
 * Unset (always, outside tests) it does nothing but one env read per append.
 */
let typeSeen = false;

export function crashPoint(lastSeq: number, drafts: ReadonlyArray<{ type: string }>): void {
  const at = process.env["OMK_CRASH_AT"];
  if (at === undefined || at === "") return;
  const firstSeq = lastSeq - drafts.length + 1;
  const hit = /^\d+$/u.test(at) ? Number(at) >= firstSeq && Number(at) <= lastSeq : !typeSeen && drafts.some((d) => d.type === at);
  if (!hit) return;
  typeSeen = true;
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    // not a process group leader
  }
  process.kill(process.pid, "SIGKILL");
}
