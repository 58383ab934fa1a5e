// confinement: what the bubblewrap sandbox costs, against the same work unconfined, in one run.
// Per session: open a scripted engine (a real process) and run one turn and close it, confined
// (engine in bwrap) vs unconfined, sessions interleaved in alternating order. Per command: one
// session each way runs the same short commands through OMK's terminal (`true`, `sh -c`); the
// command's own time (create to exit, from the turn's commandsRun) is compared.
// Printed last: `confinement ratio <median confined session / median unconfined session> (target 1.25)`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ConfinementPolicy,
  confinedArgv,
  engineVisiblePaths,
  type EngineSpecInput,
  openSession,
  probeConfinement,
  type SessionConfinement,
  sandboxPolicy,
  scriptedEngine,
} from "@omk/wire";

// OMK_BENCH_QUICK=1: the short mode (a smoke run, docs/benchmarks/README.md).
const QUICK = process.env["OMK_BENCH_QUICK"] === "1";
const SESSIONS = Number(process.env["OMK_BENCH_SESSIONS"] ?? (QUICK ? 1 : 20));
const COMMANDS = Number(process.env["OMK_BENCH_COMMANDS"] ?? (QUICK ? 4 : 40));
const TARGET = 1.25;

const probe = await probeConfinement();
if (!probe.ok) {
  process.stderr.write(`${probe.error.message}\nfix: ${probe.error.fix}\n`);
  process.exit(1);
}
const bwrap = probe.value.bwrap;

const here = path.dirname(fileURLToPath(import.meta.url));
// The built scripted agent (as the CLI runs it); from source through tsx when the package is not built.
const builtAgent = path.resolve(here, "../../packages/wire/dist/scripted-agent.js");
const work = mkdtempSync(path.join(os.tmpdir(), "omk-bench-confine-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

// The shape of a real task session: a repository, OMK's state root holding the checkout and the session folder.
const repo = path.join(work, "repo");
mkdirSync(repo);
execFileSync("git", ["init", "-q", repo]);
const stateRoot = path.join(work, "state");
const checkout = path.join(stateRoot, "checkouts", "g", "t");
mkdirSync(path.join(checkout, ".git"), { recursive: true });

function engineFor(name: string, steps: unknown[]): EngineSpecInput {
  const file = path.join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify({ turns: [{ steps }] }));
  const spec = scriptedEngine(file);
  return existsSync(builtAgent) ? { ...spec, command: process.execPath, args: [builtAgent, "--scenario", file] } : spec;
}

function confinementFor(spec: EngineSpecInput, sessionDir: string, runDir: string): SessionConfinement {
  mkdirSync(runDir, { recursive: true });
  const policy = (network: "shared" | "none"): ConfinementPolicy =>
    sandboxPolicy({
      bwrap,
      hidden: [stateRoot, path.join(repo, ".git")],
      shownReadOnly: [path.join(repo, ".git", "objects"), sessionDir, repo, ...engineVisiblePaths(spec.command, spec.args ?? [], process.env)],
      writable: [checkout, runDir],
      readOnlyAfter: [path.join(checkout, ".git")],
      network,
    });
  return { engine: policy("shared"), commands: policy("none") };
}

let n = 0;
async function session(confined: boolean, steps: unknown[]) {
  n++;
  const sessionDir = path.join(stateRoot, "runs", `s${n}`);
  const runDir = path.join(sessionDir, "engine");
  mkdirSync(runDir, { recursive: true });
  const engine = engineFor(`s${n}`, steps);
  const started = performance.now();
  const opened = await openSession({ engine, cwd: checkout, runDir, ...(confined ? { confinement: confinementFor(engine, sessionDir, runDir) } : {}) });
  if (!opened.ok) throw new Error(opened.error.message);
  const turn = await opened.value.prompt("go");
  await opened.value.close();
  if (!turn.ok) throw new Error(turn.error.message);
  return { ms: performance.now() - started, commands: turn.value.commandsRun };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const f = (ms: number) => `${ms.toFixed(1)} ms`;

// Per session: one turn with a message, a file write and a command, as a small task session.
const oneTurn = [{ message: "working" }, { write: { path: "out.txt", content: "x" } }, { command: { command: "/bin/sh", args: ["-c", "echo done"] } }];
if (!QUICK) {
  await session(false, oneTurn);
  await session(true, oneTurn);
}
const plainMs: number[] = [];
const confinedMs: number[] = [];
for (let i = 0; i < SESSIONS; i++) {
  const order = i % 2 === 0 ? [false, true] : [true, false];
  for (const confined of order) (confined ? confinedMs : plainMs).push((await session(confined, oneTurn)).ms);
}

// Per command: the same commands through OMK's terminal in one session each way.
const commandSteps = Array.from({ length: COMMANDS }, (_, i) =>
  i % 2 === 0 ? { command: { command: "true" } } : { command: { command: "/bin/sh", args: ["-c", "echo hi > /dev/null"] } },
);
const plainCmd = (await session(false, commandSteps)).commands.map((c) => c.durationMs);
const confinedCmd = (await session(true, commandSteps)).commands.map((c) => c.durationMs);

// The bare cost: spawning `true` directly vs through bwrap with the commands' policy, synchronously, interleaved.
const commandPolicy = confinementFor(engineFor("bare", []), path.join(stateRoot, "runs"), path.join(stateRoot, "runs", "bare-engine")).commands;
const wrapped = confinedArgv(commandPolicy, checkout, "/bin/true", []);
const barePlain: number[] = [];
const bareConfined: number[] = [];
for (let i = 0; i < COMMANDS; i++) {
  let t = performance.now();
  execFileSync("/bin/true", [], { cwd: checkout });
  barePlain.push(performance.now() - t);
  t = performance.now();
  execFileSync(wrapped.command, wrapped.args, { cwd: checkout });
  bareConfined.push(performance.now() - t);
}

const sessionRatio = median(confinedMs) / median(plainMs);
process.stdout.write(`bwrap: ${bwrap} (${probe.value.version}); ${SESSIONS} sessions per side, interleaved; ${COMMANDS} commands per side\n`);
process.stdout.write(
  `per session (open, one turn with a write and a command, close): unconfined ${f(median(plainMs))}, confined ${f(median(confinedMs))}, +${f(median(confinedMs) - median(plainMs))}\n`,
);
process.stdout.write(
  `per command (true / sh -c, create to exit): unconfined ${f(median(plainCmd))}, confined ${f(median(confinedCmd))}, +${f(median(confinedCmd) - median(plainCmd))}, ratio ${(median(confinedCmd) / median(plainCmd)).toFixed(2)}\n`,
);
process.stdout.write(
  `bare spawn of /bin/true (${commandPolicy.mounts.length} mounts): direct ${f(median(barePlain))}, through bwrap ${f(median(bareConfined))}, +${f(median(bareConfined) - median(barePlain))}\n`,
);
process.stdout.write(`confinement ratio ${sessionRatio.toFixed(3)} (target ${TARGET})\n`);
