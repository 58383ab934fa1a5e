/**
 * One engine session: open, one prompt, close (always closed). The engine
 * comes from the provider for the session's purpose; the session's events
 * are collected into the agent's text, its usage (reported as it arrives)
 * and the writes OMK refused. Failures are values: a SessionProblem and
 * whether running the session again may help.
 */
import { existsSync, mkdirSync, realpathSync, rmSync } from "node:fs";
import path from "node:path";
import { type KnownSecret, type KnownSecretHit, knownSecretMatcher, knownSecretValues } from "@omk/core";
import type { TokenUsage } from "@omk/state";
import {
  type Cost,
  isolationDirs,
  openSession,
  type ScopeCheck,
  type StopReason,
  type TurnUsage,
  type UsageQuality,
  type WireError,
  type WireEvent,
} from "@omk/wire";
import { agentCommandEnv, sessionConfinement } from "@omk/proof";
import { addSpend, problemOfWireError, ZERO_SPEND, ZERO_TOKENS } from "./session-spend.js";
import type { SessionProblem, EngineProvider, SessionPurpose, SpendReport } from "./types.js";

export type RunSessionInput = {
  readonly provider: EngineProvider;
  readonly purpose: SessionPurpose;
  /** The session root: the engine works here and may touch nothing outside it. */
  readonly cwd: string;
  /** The session's folder: scenario.json (scripted), transcript.jsonl, and the engine's own HOME under engine/. */
  readonly runDir: string;
  readonly prompt: string;
  /** Which paths inside the root may be read and written; a refused write never happens. Default: all of the root. */
  readonly scope?: ScopeCheck;
  /** Aborting it cancels the turn and closes the session. */
  readonly signal?: AbortSignal;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Literal secrets to redact from the transcript. */
  readonly secrets?: readonly string[];
  /** Usage as it arrives: each call is an increment, not a total. */
  readonly onUsage?: (increment: SpendReport) => void;
  readonly onWireEvent?: (event: WireEvent) => void;
};

type RefusedWrite = { readonly path: string; readonly reason: string };

export type SessionOutcome =
  | {
      readonly ok: true;
      /** All agent_message text of the turn. */
      readonly text: string;
      /** The final message: the agent_message text after the turn's last tool call (all of it when there was none). Answers are read from here. */
      readonly final: string;
      readonly stop: StopReason;
      readonly spend: SpendReport;
      /** Path of the transcript (JSON lines, redacted). */
      readonly transcript: string;
      readonly refusedWrites: RefusedWrite[];
      /** Secrets the run knows that the session's output carried (sessionSecretWatch); empty when none. */
      readonly secretsInOutput: readonly KnownSecretHit[];
    }
  | {
      readonly ok: false;
      readonly problem: SessionProblem;
      readonly retryable: boolean;
      readonly spend: SpendReport;
      readonly transcript: string | null;
      readonly secretsInOutput: readonly KnownSecretHit[];
    };

/**
 * The literal secrets a session's redactor knows (knownSecretValues of its env
 * and literal secrets), a literal one named by the variable that holds the
 * same value when there is one (an engine config's `{ from: VAR }`).
 */
export function sessionKnownSecrets(env: Readonly<Record<string, string | undefined>>, secrets: readonly string[]): KnownSecret[] {
  return knownSecretValues({ env: { ...env }, values: secrets }).map((k) => {
    if (k.label !== "value") return k;
    const holder = Object.entries(env).find(([, v]) => v !== undefined && v.trim() === k.value);
    return holder === undefined ? k : { value: k.value, label: `env:${holder[0]}` };
  });
}

/**
 * Watches a session's JSON-RPC lines for the secrets it knows, before they
 * are redacted: everything the engine writes (its messages, thoughts, tool
 * calls and their results, the commands it asks for) and OMK's answers to its
 * requests (a command's output, a file it read). OMK's own requests (the
 * prompt, session setup) are not the agent's output and are not counted.
 * Messages and thoughts arrive in chunks (a value split over two lines), so
 * their whole text is matched too (`streamed`).
 */
function sessionSecretWatch(known: readonly KnownSecret[]): {
  inspect: (dir: "in" | "out", line: string) => void;
  streamed: (kind: "message" | "thought", text: string) => void;
  hits: () => KnownSecretHit[];
  redact: (text: string) => string;
} {
  const matcher = knownSecretMatcher(known);
  const hits = new Map<string, KnownSecretHit>();
  const note = (found: readonly KnownSecretHit[]) => {
    for (const hit of found) hits.set(`${hit.label}\u0000${hit.form}`, hit);
  };
  const streams = { message: [] as string[], thought: [] as string[] };
  return {
    inspect: (dir, line) => {
      if (matcher.size === 0) return;
      const found = matcher.find(line);
      if (found.length === 0 || (dir === "in" && !isResponse(line))) return;
      note(found);
    },
    streamed: (kind, text) => {
      if (matcher.size > 0) streams[kind].push(text);
    },
    hits: () => {
      for (const texts of Object.values(streams)) if (texts.length > 0) note(matcher.find(texts.join("")));
      return [...hits.values()];
    },
    // The transcript's second pass: the encoded forms the wire's redactor does not know.
    redact: (text) => (matcher.size === 0 ? text : matcher.redact(text)),
  };
}

/** Whether a JSON-RPC line is a response (to the engine's request), not a request or notification of OMK's. */
function isResponse(line: string): boolean {
  try {
    const message: unknown = JSON.parse(line);
    return message !== null && typeof message === "object" && !("method" in message) && ("result" in message || "error" in message);
  } catch {
    return false;
  }
}

/** The path as the user knows it: relative to the session root when inside it. */
function relativeToRoot(root: string, target: string): string {
  if (!path.isAbsolute(target)) return target;
  const rel = path.relative(root, target);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : target;
}

/** Tracks the usage events of one turn and turns them into increments. */
class SpendTracker {
  total: SpendReport = ZERO_SPEND;
  private usdSeen = 0;

  /** The increment a usage event adds, or undefined when it adds nothing. */
  increment(event: Extract<WireEvent, { type: "usage" }>): SpendReport | undefined {
    const tokens: TokenUsage =
      event.delta === undefined
        ? ZERO_TOKENS
        : { input: event.delta.inputUncached, cacheRead: event.delta.cacheRead, cacheWrite: event.delta.cacheWrite, output: event.delta.output };
    let usd: number | null = null;
    if (event.turnCost !== "unknown") {
      usd = Math.max(0, event.turnCost.usd - this.usdSeen);
      this.usdSeen = Math.max(this.usdSeen, event.turnCost.usd);
    }
    const count = tokens.input + tokens.cacheRead + tokens.cacheWrite + tokens.output;
    if (count === 0 && (usd === null || usd === 0)) return undefined;
    const step: SpendReport = { tokens, usd };
    this.total = addSpend(this.total, step);
    return step;
  }
}

/**
 * Runs one session: the provider's engine for `purpose`, in `cwd`, one
 * prompt. The transcript goes to `<runDir>/transcript.jsonl`.
 */
export async function runSession(input: RunSessionInput): Promise<SessionOutcome> {
  const transcript = path.join(input.runDir, "transcript.jsonl");
  const spec = input.provider.specFor(input.purpose, input.runDir);
  if (!spec.ok) return { ok: false, problem: spec.error, retryable: false, spend: { ...ZERO_SPEND, quality: "exact" }, transcript: null, secretsInOutput: [] };
  try {
    mkdirSync(input.runDir, { recursive: true });
  } catch (cause) {
    return {
      ok: false,
      problem: {
        code: "run_dir_unwritable",
        message: `cannot create ${input.runDir}: ${(cause as Error).message}`,
        fix: "check that the goal's state dir is writable (omk doctor)",
      },
      retryable: false,
      spend: { ...ZERO_SPEND, quality: "exact" },
      transcript: null,
      secretsInOutput: [],
    };
  }
  const texts: string[] = [];
  let finals: string[] = [];
  const refused: RefusedWrite[] = [];
  const spend = new SpendTracker();
  const root = realOrSame(input.cwd);
  const secrets = [...(input.secrets ?? []), ...(input.provider.secrets ?? [])];
  const watch = sessionSecretWatch(sessionKnownSecrets(input.env, secrets));
  const onEvent = (event: WireEvent): void => {
    if (event.type === "message" || event.type === "thought") watch.streamed(event.type, event.text);
    if (event.type === "message") {
      texts.push(event.text);
      finals.push(event.text);
    } else if (event.type === "tool_call_started" || event.type === "tool_call_updated" || event.type === "tool_call_finished") finals = [];
    else if (event.type === "scope" && event.access === "write" && event.enforced)
      refused.push({ path: relativeToRoot(root, event.path), reason: event.reason });
    else if (event.type === "usage") {
      const step = spend.increment(event);
      if (step !== undefined) input.onUsage?.(step);
    }
    input.onWireEvent?.(event);
  };
  const failed = (error: WireError): SessionOutcome => {
    const mapped = problemOfWireError(error, input.provider.name);
    return {
      ok: false,
      problem: mapped.problem,
      retryable: mapped.retryable,
      spend: cutShort(spend.total),
      transcript: existsSync(transcript) ? transcript : null,
      secretsInOutput: watch.hits(),
    };
  };
  const confined = input.provider.confinement;
  const runDirs = { engineRunDir: path.join(input.runDir, "engine"), commandsRunDir: path.join(input.runDir, "commands") };
  const confinement =
    confined === undefined
      ? undefined
      : sessionConfinement(confined.run, spec.value, input.env, {
          stateRoot: confined.stateRoot,
          repo: confined.repo,
          cwd: input.cwd,
          writableRoot: input.purpose.kind === "task",
          sessionDir: input.runDir,
          ...runDirs,
        });
  const opened = await openSession({
    engine: spec.value,
    cwd: input.cwd,
    env: { ...input.env },
    // Agent commands get the gates' environment rule and a HOME and TMPDIR of their own (not the engine's), confined or not.
    commandEnv: (engineEnv) => agentCommandEnv(engineEnv, runDirs),
    ...(confinement === undefined ? {} : { confinement }),
    runDir: path.join(input.runDir, "engine"),
    transcriptPath: transcript,
    inspectLine: watch.inspect,
    redactAlso: watch.redact,
    onEvent,
    ...(input.scope === undefined ? {} : { scope: input.scope }),
    ...(input.signal === undefined ? {} : { signal: input.signal }),
    ...(input.secrets === undefined && input.provider.secrets === undefined ? {} : { secrets }),
    ...(input.provider.priceTable === undefined ? {} : { priceTable: input.provider.priceTable }),
  });
  if (!opened.ok) return failed(opened.error);
  const session = opened.value;
  try {
    const turn = await session.prompt(input.prompt, input.signal === undefined ? {} : { signal: input.signal });
    if (!turn.ok) return failed(turn.error);
    if (input.signal?.aborted === true) {
      // The engine honoured the cancel and ended the turn: still not a finished session.
      return {
        ok: false,
        problem: {
          code: "engine_aborted",
          message: `engine ${input.provider.name}: aborted by the caller; the turn ended ${turn.value.stopReason}`,
          fix: "resume the goal (omk goal resume)",
        },
        retryable: true,
        spend: finalSpend(turn.value.usage, turn.value.cost, spend.total, turn.value.usageQuality),
        transcript,
        secretsInOutput: watch.hits(),
      };
    }
    const final = finalSpend(turn.value.usage, turn.value.cost, spend.total, turn.value.usageQuality);
    return {
      ok: true,
      text: texts.join(""),
      final: finals.join(""),
      stop: turn.value.stopReason,
      spend: final,
      transcript,
      refusedWrites: refused,
      secretsInOutput: watch.hits(),
    };
  } finally {
    await session.close();
    // The engine's private temp folder (its TMPDIR, the only writable /tmp it has in the sandbox) goes with the session.
    try {
      rmSync(isolationDirs(runDirs.engineRunDir).tmp, { recursive: true, force: true });
      // The commands' own HOME and TMPDIR (their caches, whatever they wrote there) too.
      rmSync(runDirs.commandsRunDir, { recursive: true, force: true });
    } catch {
      // left behind: it is inside the session's own run folder
    }
  }
}

function realOrSame(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** The turn's own figures when the engine reported them (a turn total wins over the sum of deltas); else what the increments added up to. */
function finalSpend(usage: TurnUsage, cost: Cost, summed: SpendReport, quality: UsageQuality): SpendReport {
  const tokens: TokenUsage =
    usage === "unknown" ? summed.tokens : { input: usage.inputUncached, cacheRead: usage.cacheRead, cacheWrite: usage.cacheWrite, output: usage.output };
  const usd = cost === "unknown" ? summed.usd : cost.usd;
  return { tokens, usd, quality };
}

/** A session that ended without a turn result: what arrived is a lower bound (partial), or nothing is known. */
function cutShort(summed: SpendReport): SpendReport {
  const t = summed.tokens;
  return { ...summed, quality: t.input + t.cacheRead + t.cacheWrite + t.output > 0 || (summed.usd ?? 0) > 0 ? "partial" : "unknown" };
}
