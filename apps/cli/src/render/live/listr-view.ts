import type { ControllerEvent, ControllerEventSink, PhaseOutcome } from "@omk/controller";
import type { Phase, TaskGraph } from "@omk/state";
import { DefaultRenderer, Listr, type ListrDefaultRendererOptions, ListrLogger, type ListrTaskWrapper, ProcessOutput } from "listr2";
import { terminalSafe } from "../safe.js";
import { describeEvent, taskFacts } from "./plain.js";

type TaskState = Extract<ControllerEvent, { type: "task_update" }>;
type Wrapper = ListrTaskWrapper<unknown, typeof DefaultRenderer, never>;
/** Resolved with a reason when the entry ends neither done nor failed (paused, not started): drawn with listr2's neutral skip mark, never a ✔. */
type Deferred = { promise: Promise<string | undefined>; resolve: (skip?: string) => void; reject: (error: Error) => void };

function deferred(): Deferred {
  let resolve: (skip?: string) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<string | undefined>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A task that fails before listr2 awaits its entry (a quick failure) is not an unhandled rejection: the entry shows it.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

const TERMINAL: ReadonlySet<TaskState["state"]> = new Set(["succeeded", "failed", "blocked", "cancelled", "interrupted"]);
/** Roles the scheduler never runs (the review phase performs them): no entry under execution. */
const NOT_SCHEDULED = new Set(["reviewer", "security-reviewer"]);

/** One phase on screen: its own Listr, run while the phase runs, left printed when it ends. */
type PhaseEntry = {
  phase: Phase;
  round: number;
  done: Deferred;
  title: string;
  /** How many of `lines` (gate results, refusals, notes) are shown under the entry. */
  shown: number;
  wrapper?: Wrapper;
  lines: string[];
  tasks: Map<string, { wrapper?: Wrapper; done: Deferred }>;
};

/** The default (TTY) renderer, used as is: the CLI chose this view because stdout is a terminal (tests draw into their own stream). */
class TtyRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

export type ListrViewOptions = {
  /** Where the list is drawn (default process.stdout / process.stderr). Tests pass their own streams. */
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
};

/**
 * The TTY live view: one listr2 entry per phase (a new list is drawn when a
 * phase starts and left on screen when it ends), nested entries per task
 * under execution (engine, attempt, tokens, USD), gate results under the
 * baseline and verification phases. Driven only by ControllerEvents; the
 * controller never renders.
 */
export function createListrView(options: ListrViewOptions = {}): { sink: ControllerEventSink; close: () => Promise<void> } {
  const tasks = new Map<string, TaskState>();
  const graph = new Map<string, { title: string; role: string }>();
  let current: PhaseEntry | undefined;
  let chain: Promise<void> = Promise.resolve();
  const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(options.stdout, options.stderr) });

  const taskTitle = (id: string) => {
    const t = tasks.get(id);
    const known = graph.get(id);
    const title = t?.title ?? known?.title ?? id;
    return terminalSafe(
      t === undefined ? `${id}: ${title} — queued` : `${id}: ${title} — ${t.state} (${taskFacts(t)})${t.message === undefined ? "" : ` — ${t.message}`}`,
    );
  };

  const refresh = (entry: PhaseEntry) => {
    if (entry.wrapper !== undefined) {
      if (entry.wrapper.title !== entry.title) entry.wrapper.title = entry.title;
      // Each line once: the entry's output bar keeps the last lines written.
      for (; entry.shown < entry.lines.length; entry.shown++) entry.wrapper.output = entry.lines[entry.shown] ?? "";
    }
    for (const [id, sub] of entry.tasks) {
      if (sub.wrapper !== undefined) sub.wrapper.title = taskTitle(id);
      const t = tasks.get(id);
      if (t !== undefined && TERMINAL.has(t.state)) {
        if (t.state === "succeeded") sub.done.resolve();
        else if (t.state === "interrupted") sub.done.resolve(`${taskTitle(id)} — paused`);
        else if (t.state === "cancelled") sub.done.resolve(`${taskTitle(id)} — cancelled`);
        else sub.done.reject(new Error(taskTitle(id)));
      }
    }
  };

  const finishPhase = (outcome: PhaseOutcome, detail?: string) => {
    const entry = current;
    if (entry === undefined) return;
    current = undefined;
    const title = terminalSafe(`${entry.title} ${outcome}${detail === undefined ? "" : ` — ${detail}`}`);
    entry.title = title;
    refresh(entry);
    // Tasks still open when the phase ends (a pause, a cancel) end with it: neither done nor failed, so a neutral mark that says which.
    for (const [id, sub] of entry.tasks) {
      const t = tasks.get(id);
      sub.done.resolve(
        t === undefined || t.state === "queued" ? terminalSafe(`${id}: ${graph.get(id)?.title ?? t?.title ?? id} — not started`) : `${taskTitle(id)} — paused`,
      );
    }
    if (outcome === "failed" || outcome === "partial") entry.done.reject(new Error(title));
    else if (outcome === "stopped") entry.done.resolve(title);
    else entry.done.resolve();
  };

  const startPhase = (phase: Phase, round: number, detail?: string) => {
    finishPhase("passed");
    const entry: PhaseEntry = {
      phase,
      round,
      title: `${phase}${round > 1 ? ` (round ${round})` : ""}`,
      shown: 0,
      done: deferred(),
      lines: detail === undefined ? [] : [terminalSafe(detail)],
      tasks: new Map(),
    };
    // Failures are shown, not thrown: the run's outcome is reported after the list.
    entry.done.promise.catch(() => {});
    if (phase === "execution") {
      for (const [id, t] of graph) if (!NOT_SCHEDULED.has(t.role) && tasks.get(id)?.state !== "succeeded") entry.tasks.set(id, { done: deferred() });
      for (const [id, t] of tasks) if (!TERMINAL.has(t.state) && !entry.tasks.has(id)) entry.tasks.set(id, { done: deferred() });
    }
    current = entry;
    const listr = new Listr(
      [
        {
          title: entry.title,
          // Keep the entry's lines (gate results) on screen after the phase ends.
          rendererOptions: { outputBar: 8, persistentOutput: true },
          task: async (_ctx: unknown, wrapper: Wrapper) => {
            entry.wrapper = wrapper;
            refresh(entry);
            const stopped = (skip: string | undefined) => {
              if (skip !== undefined) wrapper.skip(skip);
            };
            if (entry.tasks.size === 0) return entry.done.promise.then(stopped);
            return wrapper.newListr(
              [
                ...[...entry.tasks.entries()].map(([id, sub]) => ({
                  title: taskTitle(id),
                  task: async (_c: unknown, w: Wrapper) => {
                    sub.wrapper = w;
                    refresh(entry);
                    const skip = await sub.done.promise;
                    if (skip !== undefined) w.skip(skip);
                  },
                })),
                // Untitled (not drawn): keeps the phase entry open until the phase ends, so its outcome reaches the screen.
                { task: () => entry.done.promise.then(stopped) },
              ],
              { concurrent: true, exitOnError: false },
            );
          },
        },
      ],
      {
        renderer: TtyRenderer,
        registerSignalListeners: false,
        exitOnError: false,
        rendererOptions: { collapseSubtasks: false, collapseErrors: false, showErrorMessage: false, logger } satisfies ListrDefaultRendererOptions,
      },
    );
    chain = chain.then(async () => {
      await listr.run().catch(() => {});
      // Execution: the phase entry's end also waits for the phase, not only its tasks.
      await entry.done.promise.catch(() => {});
    });
  };

  const sink: ControllerEventSink = (e) => {
    switch (e.type) {
      case "phase_started":
        startPhase(e.phase, e.round, e.detail);
        return;
      case "phase_finished":
        if (current?.phase === e.phase) finishPhase(e.outcome, e.detail);
        return;
      case "task_update": {
        tasks.set(e.taskId, e);
        if (current !== undefined) {
          if (current.phase === "execution" && !current.tasks.has(e.taskId)) current.lines.push(terminalSafe(describeEvent(e) ?? ""));
          refresh(current);
        }
        return;
      }
      case "goal_event": {
        const ev = e.event;
        if (ev.type === "task_graph_set") setGraph((ev.data as { graph: TaskGraph }).graph.tasks);
        else if (ev.type === "task_graph_mutated") setGraph((ev.data as { added: TaskGraph["tasks"] }).added);
        else if (ev.type === "task_interrupted") {
          const t = tasks.get(ev.data.taskId);
          if (t !== undefined && t.state !== "succeeded") tasks.set(ev.data.taskId, { ...t, state: "interrupted" });
          if (current !== undefined) refresh(current);
        }
        return;
      }
      case "run_started":
        return;
      case "run_finished":
        // A run that stopped mid-phase (paused, cancelled, budget) leaves that phase stopped, not passed.
        if (current !== undefined) finishPhase(e.status === "ready" ? "passed" : "stopped", e.status);
        return;
      default: {
        const described = describeEvent(e);
        const line = described === undefined ? undefined : terminalSafe(described);
        if (line !== undefined && current !== undefined) {
          current.lines.push(line);
          refresh(current);
        } else if (line !== undefined && (e.type === "tree_dirty" || e.type === "note")) {
          // Before the first phase (a dirty working tree at the start): a line of its own, in order with the lists.
          chain = chain.then(() => {
            (options.stdout ?? process.stdout).write(`${line}\n`);
          });
        }
      }
    }
  };

  const setGraph = (list: TaskGraph["tasks"]) => {
    for (const t of list) graph.set(t.id, { title: t.title, role: t.role });
  };

  const close = async () => {
    finishPhase("stopped");
    await chain;
  };
  return { sink, close };
}
