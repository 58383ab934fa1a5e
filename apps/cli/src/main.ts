// Start-up imports only commander and light modules (no @omk package, no zod): every command, the
// context (the store) and the error rendering are loaded on use, so `omk --help` starts fast (bench cold-start).
import { Command, CommanderError, Option } from "commander";
import type { Context } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { applyHelp, CONFIG_FILES_HELP } from "./help.js";
import { printable } from "./invocation.js";
import { VERSION } from "./version.js";

export type Io = { argv: string[]; stdout: (t: string) => void; stderr: (t: string) => void; env: NodeJS.ProcessEnv; cwd: string };

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Parse argv, run one command, return the exit code. The composition root of `omk`. */
export async function main(io: Io): Promise<number> {
  // `-v` is the version only as the sole argument (as bin.ts answers it): elsewhere (`goal run x -v`) it is an unknown option.
  if (io.argv.length === 1 && io.argv[0] === "-v") {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  let exitCode: number = EXIT.ok;
  let ctx: Context | undefined;
  const context = async () => {
    ctx ??= (await import("./context.js")).createContext(io);
    return ctx;
  };
  const run =
    <A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<number>) =>
    async (...args: A) => {
      exitCode = await fn(await context(), ...args);
    };

  const program = new Command("omk")
    .description("Drive a goal to a proven result: plan, run agents, verify, prove.")
    .version(VERSION, "--version", "print the version (also -v, as the only argument)")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showSuggestionAfterError();

  const goal = program.command("goal").description("run goals and inspect, steer and decide on them");
  const json = () => new Option("--json", "print JSON");
  /**
   * The flags of every command that drives a goal (run, resume, execute, review, plan).
   * `remembered`: how the command's defaults relate to what the goal recorded (resume remembers:
   * "always" for an existing goal, "id" for `goal run` whose argument may be an id, "never" for a new goal).
   */
  const driveFlags = (cmd: Command, remembered: "always" | "id" | "never") => {
    const recorded = { always: "what the goal ran with, else ", id: "what the goal ran with when <goal> is an id, else ", never: "" }[remembered];
    return cmd
      .option(
        "--until-ready",
        `after a not_ready verification or review, plan follow-ups and run again (bounded)${remembered === "never" ? "" : " (default: what the goal ran with)"}`,
      )
      .option("--no-until-ready", "stop at the first not_ready (turns off an --until-ready the goal ran with before)")
      .option("--max-rounds <n>", `rounds in all with --until-ready, the first included (default: ${recorded}3)`)
      .option(
        "--engine <name>",
        `engine for every session: an engine of the config files (omk engines), a preset (kimi, gemini, claude, codex, qwen, copilot, kimi-wire) or scripted (default: ${recorded}$OMK_ENGINE, else the config's defaultEngine, else the first preset installed)`,
      )
      .option("--script <file>", `the script book the scripted engine plays (default: ${recorded}$OMK_SCRIPT)`)
      .option("--model <model>", `model to select in the engine (default: ${recorded}the config's model; another --engine drops a recorded model)`)
      .option("--trust-repo-config", "trust the repository's .omk/config.yaml for this run only, as `omk config trust` would (CI)")
      .option("--gates <file>", `gates config (default: ${recorded}.omk/gates.yaml in the repository, else detection)`)
      .option("--plain", "plain timestamped lines instead of the live task list")
      .option("--unconfined", "run the agents without a sandbox (where bubblewrap cannot run); proof.json and failure.json record it")
      .addOption(new Option("--json", "every controller event as one JSON line on stdout (nothing else on stdout)"));
  };
  /** The flags that shape a new goal (as `goal create`). */
  const createFlags = (cmd: Command) =>
    cmd
      .option("--budget-time <duration>", "time budget, e.g. 90m, 2h (default 2h; 'none' for no cap)")
      .option("--budget-tokens <n>", "token budget (default 2000000; 'none' for no cap)")
      .option("--budget-usd <x>", "USD budget (default 10; 'none' for no cap)")
      .option("--max-agents <n>", "agents that may run at once (default 4)")
      .option("--repo <dir>", "repository the goal is about (default: the current one)")
      .option("--constraint <text>", "a constraint (repeatable)", collect)
      .option("--done-when <text>", "a terminal criterion in words (repeatable)", collect);
  // Loaded on use: the controller (and everything it pulls in) stays out of start-up.
  const runCommands = () => import("./commands/goal-run.js");

  createFlags(goal.command("create").description("create a goal (it does not start running)").argument("<text>", "the goal, in words"))
    .addOption(json())
    .action(run(async (c, text: string, opts) => (await import("./commands/goal-create.js")).goalCreate(c, text, opts)));

  goal
    .command("list")
    .description("list goals, oldest first")
    .addOption(json())
    .action(run(async (c, opts) => (await import("./commands/goal-read.js")).goalList(c, opts)));
  goal
    .command("status")
    .description("what a goal is doing now")
    .argument("[id]", "goal id (default: latest)")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-read.js")).goalStatus(c, id, opts)));
  goal
    .command("show")
    .description("a goal in full")
    .argument("[id]", "goal id (default: latest)")
    .option("--format <format>", "text, json or md", "text")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-read.js")).goalShow(c, id, opts)));
  goal
    .command("budget")
    .description("budget used and left")
    .argument("[id]", "goal id (default: latest)")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-read.js")).goalBudget(c, id, opts)));
  goal
    .command("budget-add")
    .description("extend a goal's budget")
    .argument("[id]", "goal id (default: latest)")
    .option("--time <duration>", "more time, e.g. 30m")
    .option("--tokens <n>", "more tokens")
    .option("--usd <x>", "more USD")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-lifecycle.js")).goalBudgetAdd(c, id, opts)));
  goal
    .command("pause")
    .description("pause a goal (from any process)")
    .argument("[id]", "goal id (default: latest)")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-lifecycle.js")).goalPause(c, id, opts)));
  driveFlags(
    goal
      .command("resume")
      .description(
        "continue a goal and drive it to the end: paused, killed or crashed, budget-extended (after budget-add), not_ready (plans follow-up tasks from the failing evidence) or amended (after amend --answer)",
      )
      .argument("[id]", "goal id (default: latest)"),
    "always",
  ).action(run(async (c, id, opts) => (await runCommands()).goalResume(c, id, opts)));
  driveFlags(
    createFlags(
      goal
        .command("run")
        .description("run a goal to a proven result: a new one from text, or an existing id")
        .argument("<goal>", "the goal in words, or the id of an existing goal"),
    ),
    "id",
  )
    .option(
      "--dry-run",
      "plan (with the planner the run would use: the engine's plan session when it offers one) and form the oracle, report what would run; records no goal and writes nothing to the repository; exit 0",
    )
    .option("--new", "make the argument the text of a new goal even when it looks like a goal id")
    .action(run(async (c, text: string, opts) => (await runCommands()).goalRun(c, text, opts)));
  driveFlags(
    createFlags(
      goal.command("plan").description("plan a new goal and freeze its oracle, then stop (prints tasks and criteria)").argument("<goal>", "the goal in words"),
    ),
    "never",
  ).action(run(async (c, text: string, opts) => (await runCommands()).goalPlan(c, text, opts)));
  driveFlags(
    goal.command("execute").description("drive a goal through its execution phase, then stop").argument("[id]", "goal id (default: latest)"),
    "always",
  ).action(run(async (c, id, opts) => (await runCommands()).goalExecute(c, id, opts)));
  driveFlags(
    goal.command("review").description("drive a goal through verification and review, then stop").argument("[id]", "goal id (default: latest)"),
    "always",
  ).action(run(async (c, id, opts) => (await runCommands()).goalReview(c, id, opts)));
  goal
    .command("accept")
    .description("accept a ready goal: record the decision; prints how to merge (never touches the base branch); accepting again is a no-op")
    .argument("[id]", "goal id (default: latest)")
    .option("--change", "replace an earlier rejection")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-decision.js")).goalAccept(c, id, opts)));
  goal
    .command("reject")
    .description("reject a goal's result: record the decision and why")
    .argument("[id]", "goal id (default: latest)")
    .option("--reason <text>", "why (required)")
    .option("--change", "replace an earlier acceptance")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-decision.js")).goalReject(c, id, opts)));
  goal
    .command("cancel")
    .description("cancel a goal (final)")
    .argument("[id]", "goal id (default: latest)")
    .option("--reason <text>", "why")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-lifecycle.js")).goalCancel(c, id, opts)));
  goal
    .command("amend")
    .description("amend the goal text or answer its open questions")
    .argument("[id]", "goal id (default: latest)")
    .option("--text <text>", "new goal text")
    .option("--answer <text>", "an answer to the goal's questions")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-lifecycle.js")).goalAmend(c, id, opts)));
  goal
    .command("replay")
    .description("fold the event log from scratch")
    .argument("[id]", "goal id (default: latest)")
    .option("--verify", "fail unless goal.json matches the events")
    .option("--rebuild", "rewrite goal.json from the events")
    .option("--quarantine", "set aside the lines that fail the log's hash chain or MAC (a running goal ends not_ready, cause tampering)")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-replay.js")).goalReplay(c, id, opts)));
  goal
    .command("proof")
    .description("the goal's proof or failure record")
    .argument("[id]", "goal id (default: latest)")
    .addOption(json())
    .action(run(async (c, id, opts) => (await import("./commands/goal-read.js")).goalProof(c, id, opts)));
  goal
    .command("verify")
    .description("run the verification wall (gates) in the goal's repo and record the evidence")
    .argument("[id]", "goal id (default: latest)")
    .option("--base <ref>", "judge against this base (default: the goal's base commit)")
    .option("--no-baseline", "do not compare with the base; every required gate must pass")
    .option("--config <file>", "gates config (default: .omk/gates.yaml, else detection)")
    .option("--only <names>", "run only these gates (comma-separated) and what they need")
    .option("--parallel <n>", "gates running at once")
    .option("--junit <file>", "also write a JUnit XML report")
    .option("--markdown <file>", "also write a Markdown report")
    .option("--checkout [dir]", "no goal: verify this checkout (default: current dir); needs --out")
    .option("--out <file>", "with --checkout: where to write the verification record")
    .addOption(json())
    // Loaded on use: the gate runner's dependencies stay out of every other command's start-up.
    .action(run(async (c, id, opts) => (await import("./commands/goal-verify.js")).goalVerify(c, id, opts)));

  program
    .command("proof")
    .description("proof files")
    .command("verify")
    .description("re-run a proof's gates and oracle checks on its head commit; exit 0 when its verdict holds")
    .argument("[path]", "a proof.json, or a goal dir holding one (default: the latest goal's)")
    .option("--repo <dir>", "the repository holding the proof's commits (default: the goal's repository, from the state dir)")
    .addOption(json())
    .action(run(async (c, file, opts) => (await import("./commands/proof-verify.js")).proofVerify(c, file, opts)));

  program
    .command("demo")
    .description("run a real goal with the scripted engine on an example repository copied to a temporary folder")
    .option("--plain", "plain timestamped lines instead of the live task list")
    .option("--unconfined", "run the scripted agent without a sandbox (where bubblewrap cannot run)")
    .addOption(new Option("--json", "every controller event as one JSON line on stdout"))
    .action(run(async (c, opts) => (await import("./commands/demo.js")).demo(c, opts)));
  program
    .command("engines")
    .description(
      "list every engine (presets and the config files' engines): where each is defined, its protocol and command, whether the command is found (no engine is started)",
    )
    .option("--repo <dir>", "the repository whose .omk/config.yaml applies (default: the current one)")
    .addOption(json())
    .addHelpText("after", `\n${CONFIG_FILES_HELP}`)
    .action(run(async (c, opts) => (await import("./commands/engines.js")).engines(c, opts)));
  const config = program.command("config").description("OMK's config files: trust the repository's file, show the merged config");
  config
    .command("trust")
    .description("trust the repository's .omk/config.yaml as it is now (records its sha256 in the user's trusted.json; a changed file is untrusted again)")
    .option("--repo <dir>", "the repository whose .omk/config.yaml to trust (default: the current one)")
    .addOption(json())
    .action(run(async (c, opts) => (await import("./commands/config.js")).configTrust(c, opts)));
  config
    .command("show")
    .description(
      "the merged config (user file, then the repository's file over it) with the file each setting comes from, and whether the repository's file is trusted",
    )
    .option("--repo <dir>", "the repository whose .omk/config.yaml applies (default: the current one)")
    .addOption(json())
    .action(run(async (c, opts) => (await import("./commands/config.js")).configShow(c, opts)));
  program
    .command("doctor")
    .description("check git, node, the state dir, the config files, the engines (version and a real handshake) and the GitHub token")
    .option("--trust-repo-config", "trust the repository's .omk/config.yaml for this run only (doctor starts its engines)")
    .option(
      "--handshake-timeout <duration>",
      "deadline of each engine's handshake, e.g. 120s, 5m (default: the engine's deadlines.handshakeMs in the config, else 120s)",
    )
    .addOption(json())
    // Loaded on use: the engine clients stay out of every other command's start-up.
    .action(run(async (c, opts) => (await import("./commands/doctor.js")).doctor(c, opts)));

  // Groups, examples, the workflow and the docs (help.ts: strings only).
  applyHelp(program);

  // Commander's own errors (missing argument, unknown option or command) follow the one-line rule: kept here, printed below.
  let parseError: { command: Command; message: string } | undefined;
  const catchErrors = (cmd: Command) => {
    cmd.configureOutput({
      outputError: (message: string) => {
        parseError = { command: cmd, message };
      },
    });
    for (const sub of cmd.commands) catchErrors(sub);
  };
  catchErrors(program);

  try {
    await program.parseAsync(io.argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // `omk help <command>` ends as commander.help with exit code 0 (bare `omk goal` as commander.help with 1: usage).
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || (error.code === "commander.help" && error.exitCode === 0))
        return EXIT.ok;
      if (error.code === "commander.executeSubCommandAsync") return EXIT.internal;
      if (parseError !== undefined) io.stderr(`${commanderLine(parseError.command, parseError.message)}\n`);
      return EXIT.usage;
    }
    const described = (await import("./errors.js")).describeError(error);
    io.stderr(`${described.lines.join("\n")}\n`);
    return described.exitCode;
  }
}

/** `omk: <problem> — fix: see `omk <command> --help`` from commander's `error: …` text (its suggestion kept on the line). */
function commanderLine(command: Command, message: string): string {
  const problem = message
    .replace(/^error: /, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join(" ");
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return `omk: ${problem} — fix: see \`${printable(`${names.join(" ")} --help`)}\``;
}
