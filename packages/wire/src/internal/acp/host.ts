import type { PathJudge } from "../../policy.js";
import type { CommandRun, WireEventInput } from "../../schemas/event.js";

/** What ACP handlers need from their session. */
export interface AcpHost {
  readonly judge: PathJudge;
  emit(event: WireEventInput): void;
  recordWrite(rel: string, absolute: string, bytes: number | undefined, via: "client" | "agent"): void;
  recordScope(access: "read" | "write" | "command", target: string, reason: string, enforced: boolean): void;
  recordCommand(run: CommandRun): void;
  /** Scope events for the writes the sandbox refused that `text` names (src/refusals.ts), paths resolved against `cwd`. */
  noteRefusals(text: string, cwd: string): void;
  /** Output of a command counts as activity for the turn inactivity deadline. */
  activity(): void;
}
