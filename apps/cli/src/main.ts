import { Command, CommanderError, Option } from "commander";
import { demo } from "./commands/demo.js";
import { goalCreate } from "./commands/goal-create.js";
import { goalAmend, goalBudgetAdd, goalCancel, goalPause, goalResume } from "./commands/goal-lifecycle.js";
import { goalBudget, goalList, goalProof, goalShow, goalStatus } from "./commands/goal-read.js";
import { goalReplay } from "./commands/goal-replay.js";
import { type Context, createContext } from "./context.js";
import { describeError } from "./errors.js";
import { EXIT } from "./exit-codes.js";

export type Io = { argv: string[]; stdout: (t: string) => void; stderr: (t: string) => void; env: NodeJS.ProcessEnv; cwd: string };

const VERSION = "0.1.0";
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Parse argv, run one command, return the exit code. The composition root of `omk`. */
export async function main(io: Io): Promise<number> {
  let exitCode: number = EXIT.ok;
  let ctx: Context | undefined;
  const context = () => {
    ctx ??= createContext(io);
    return ctx;
  };
  const run =
    <A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<number>) =>
    async (...args: A) => {
      exitCode = await fn(context(), ...args);
    };

  const program = new Command("omk")
    .description("Drive a goal to a proven result: plan, run agents, verify, prove.")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showSuggestionAfterError();

  const goal = program.command("goal").description("create, inspect and steer goals");
  const json = () => new Option("--json", "print JSON");

  goal
    .command("create")
    .description("create a goal (it does not start running)")
    .argument("<text>", "the goal, in words")
    .option("--budget-time <duration>", "time budget, e.g. 90m, 2h (default 2h; 'none' for no cap)")
    .option("--budget-tokens <n>", "token budget (default 2000000; 'none' for no cap)")
    .option("--budget-usd <x>", "USD budget (default 10; 'none' for no cap)")
    .option("--max-agents <n>", "agents that may run at once (default 4)")
    .option("--repo <dir>", "repository the goal is about (default: the current one)")
    .option("--constraint <text>", "a constraint (repeatable)", collect)
    .option("--done-when <text>", "a terminal criterion in words (repeatable)", collect)
    .addOption(json())
    .action(run((c, text: string, opts) => goalCreate(c, text, opts)));

  goal.command("list").description("list goals, oldest first").addOption(json()).action(run((c, opts) => goalList(c, opts)));
  goal.command("status").description("what a goal is doing now").argument("[id]", "goal id (default: latest)").addOption(json()).action(run((c, id, opts) => goalStatus(c, id, opts)));
  goal
    .command("show")
    .description("a goal in full")
    .argument("[id]", "goal id (default: latest)")
    .option("--format <format>", "text, json or md", "text")
    .addOption(json())
    .action(run((c, id, opts) => goalShow(c, id, opts)));
  goal.command("budget").description("budget used and left").argument("[id]", "goal id (default: latest)").addOption(json()).action(run((c, id, opts) => goalBudget(c, id, opts)));
  goal
    .command("budget-add")
    .description("extend a goal's budget")
    .argument("[id]", "goal id (default: latest)")
    .option("--time <duration>", "more time, e.g. 30m")
    .option("--tokens <n>", "more tokens")
    .option("--usd <x>", "more USD")
    .addOption(json())
    .action(run((c, id, opts) => goalBudgetAdd(c, id, opts)));
  goal.command("pause").description("pause a goal (from any process)").argument("[id]", "goal id (default: latest)").addOption(json()).action(run((c, id, opts) => goalPause(c, id, opts)));
  goal.command("resume").description("resume a paused or extended goal").argument("[id]", "goal id (default: latest)").addOption(json()).action(run((c, id, opts) => goalResume(c, id, opts)));
  goal
    .command("cancel")
    .description("cancel a goal (final)")
    .argument("[id]", "goal id (default: latest)")
    .option("--reason <text>", "why")
    .addOption(json())
    .action(run((c, id, opts) => goalCancel(c, id, opts)));
  goal
    .command("amend")
    .description("amend the goal text or answer its open questions")
    .argument("[id]", "goal id (default: latest)")
    .option("--text <text>", "new goal text")
    .option("--answer <text>", "an answer to the goal's questions")
    .addOption(json())
    .action(run((c, id, opts) => goalAmend(c, id, opts)));
  goal
    .command("replay")
    .description("fold the event log from scratch")
    .argument("[id]", "goal id (default: latest)")
    .option("--verify", "fail unless goal.json matches the events")
    .option("--rebuild", "rewrite goal.json from the events")
    .addOption(json())
    .action(run((c, id, opts) => goalReplay(c, id, opts)));
  goal.command("proof").description("the goal's proof or failure record").argument("[id]", "goal id (default: latest)").addOption(json()).action(run((c, id, opts) => goalProof(c, id, opts)));
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

  program.command("demo").description("see omk work on a scratch goal").action(run((c) => demo(c)));
  program
    .command("doctor")
    .description("check git, node, the state dir, the engines (version and handshake) and the GitHub token")
    .addOption(json())
    // Loaded on use: the engine clients stay out of every other command's start-up.
    .action(run(async (c, opts) => (await import("./commands/doctor.js")).doctor(c, opts)));

  try {
    await program.parseAsync(io.argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.ok;
      if (error.code === "commander.executeSubCommandAsync") return EXIT.internal;
      return EXIT.usage; // commander already printed the message
    }
    const described = describeError(error);
    io.stderr(`${described.lines.join("\n")}\n`);
    return described.exitCode;
  }
}
