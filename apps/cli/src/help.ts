/**
 * The help text of `omk`: command groups, an example per command, the common
 * workflow and where the docs are. Strings only (and commander's types), so
 * `omk --help` loads nothing else: docs/cli.md, "Help".
 *
 * main.ts builds the command tree; `applyHelp` then walks it once: each
 * command gets its group heading and its examples from `COMMAND_HELP`
 * (keyed by its path below `omk`, e.g. "goal run"), and the subcommands are
 * ordered as the table lists them (commander shows groups in the order of
 * their first command). A command missing from the table is an error
 * (`missingHelp`, tested), so a new command cannot ship without an example.
 */
import type { Command } from "commander";

/** Where the config files live (the end of `omk --help` and `omk engines --help`). */
export const CONFIG_FILES_HELP = [
  "Config files (defaultEngine and engines; keys: https://omk.dev/schemas/config.schema.json):",
  "  user: $XDG_CONFIG_HOME/omk/config.yaml (default ~/.config/omk/config.yaml)",
  "  repo: .omk/config.yaml in the repository (overrides the user file field by field)",
].join("\n");

/** One example: what it does (printed as a `#` comment, so the pair pastes into a shell), then the command. */
type Example = [what: string, command: string];
/** `summary`: the line in the parent's list where the description is too long for it (the description stays the command's own help). */
type Entry = { group?: string; summary?: string; examples: Example[] };

const TEXT = '"Add a --json flag to the report command"';

/** Groups of `omk --help`. */
const ROOT = { start: "Get started:", goals: "Goals:", proofs: "Proofs:", setup: "Configure:" } as const;
/** Groups of `omk goal --help`. */
const GOAL = {
  start: "Start a goal:",
  inspect: "Inspect:",
  steer: "Steer:",
  phase: "One phase at a time:",
  decide: "Decide:",
  maintain: "Maintain:",
} as const;

/**
 * Every command below `omk`, in the order its parent's help lists it. The
 * implicit `help` command of a parent goes in the group named by
 * `HELP_COMMAND_GROUP` (else commander's "Commands:").
 */
export const COMMAND_HELP: Record<string, Entry> = {
  demo: {
    summary: "run a whole goal on an example repository (no engine needed)",
    group: ROOT.start,
    examples: [
      ["a whole goal, planned, run, verified and proven, on a temporary copy of an example repository (no engine needed)", "omk demo"],
      ["the same with one timestamped line per event", "omk demo --plain"],
    ],
  },
  doctor: {
    summary: "check git, node, the config files and the engines",
    group: ROOT.start,
    examples: [
      ["check git, node, the state dir, the config files and the engines", "omk doctor"],
      ["the same as JSON, with a shorter handshake deadline", "omk doctor --json --handshake-timeout 30s"],
    ],
  },
  goal: {
    group: ROOT.goals,
    examples: [
      ["a new goal from its text, run to a proven result", `omk goal run ${TEXT}`],
      ["what the latest goal is doing now", "omk goal status"],
      ["every goal, oldest first", "omk goal list"],
    ],
  },
  "goal run": {
    summary: "run a goal to a proven result (a new one from text, or an id)",
    group: GOAL.start,
    examples: [
      ["a new goal from its text, run to a proven result in the current repository", `omk goal run ${TEXT}`],
      ["what the run would do (plan and oracle), recording nothing", `omk goal run ${TEXT} --dry-run`],
      [
        "with a given engine, planning follow-ups after a not_ready verdict, at most 2 rounds",
        `omk goal run ${TEXT} --engine claude --until-ready --max-rounds 2`,
      ],
      ["continue an existing goal", "omk goal run <id>"],
    ],
  },
  "goal plan": {
    summary: "plan a new goal and freeze its oracle, then stop",
    group: GOAL.start,
    examples: [
      ["plan a new goal and freeze its oracle, then stop; prints the tasks and criteria", `omk goal plan ${TEXT}`],
      ["then run it", "omk goal run <id>"],
    ],
  },
  "goal create": {
    group: GOAL.start,
    examples: [
      ["record a goal without running it (in a git repository with a commit)", `omk goal create ${TEXT} --budget-time 1h --max-agents 2`],
      ["a constraint and a criterion in words", `omk goal create ${TEXT} --constraint "no new dependencies" --done-when "omk report --json prints valid JSON"`],
    ],
  },
  "goal status": {
    summary: "a short live summary: phase, tasks, budget, next step",
    group: GOAL.inspect,
    examples: [
      ["a short live summary of the latest goal: phase, round, tasks, budget, what is happening, what to do next", "omk goal status"],
      ["the same goal as JSON (the whole record plus the summary)", "omk goal status <id> --json"],
    ],
  },
  "goal show": {
    summary: "the whole record (text, json or md)",
    group: GOAL.inspect,
    examples: [
      ["the whole record of the latest goal", "omk goal show"],
      ["as Markdown, e.g. for a pull request", "omk goal show <id> --format md > goal.md"],
    ],
  },
  "goal list": {
    group: GOAL.inspect,
    examples: [
      ["every goal: id, status, created, text", "omk goal list"],
      ["as JSON", "omk goal list --json"],
    ],
  },
  "goal budget": {
    group: GOAL.inspect,
    examples: [["time, tokens and USD used and left", "omk goal budget"]],
  },
  "goal proof": {
    group: GOAL.inspect,
    examples: [
      ["where the proof (or failure record) of the latest goal is, and what to do next", "omk goal proof"],
      ["the record itself", "omk goal proof <id> --json"],
    ],
  },
  "goal pause": {
    group: GOAL.steer,
    examples: [["pause the latest goal (from any shell; the running controller stops between steps)", "omk goal pause"]],
  },
  "goal resume": {
    summary: "continue a stopped goal (paused, killed, not_ready, out of budget, amended)",
    group: GOAL.steer,
    examples: [
      ["continue the latest goal with what it ran with", "omk goal resume"],
      ["continue it with another engine", "omk goal resume <id> --engine kimi"],
    ],
  },
  "goal amend": {
    group: GOAL.steer,
    examples: [
      ["answer a blocked goal's question, then continue", 'omk goal amend --answer "use the existing slugify helper" && omk goal resume'],
      ["change the goal's text", 'omk goal amend <id> --text "Add --json and --yaml flags to the report command"'],
    ],
  },
  "goal budget-add": {
    group: GOAL.steer,
    examples: [["more time and USD for a goal that ran out, then continue", "omk goal budget-add --time 30m --usd 5 && omk goal resume"]],
  },
  "goal cancel": {
    group: GOAL.steer,
    examples: [["cancel the latest goal (final)", 'omk goal cancel --reason "done by hand"']],
  },
  "goal execute": {
    group: GOAL.phase,
    examples: [["run the tasks of a planned goal, then stop before verification", "omk goal execute"]],
  },
  "goal review": {
    summary: "drive a goal through verification and review, then stop",
    group: GOAL.phase,
    examples: [["verify and review an executed goal, then stop", "omk goal review"]],
  },
  "goal verify": {
    summary: "run the gates in the goal's repository and record the evidence",
    group: GOAL.phase,
    examples: [
      ["run the gates in the goal's repository and record the evidence", "omk goal verify"],
      ["no goal: verify this checkout against main", "omk goal verify --checkout . --base main --out verification.json"],
    ],
  },
  "goal accept": {
    summary: "accept a ready goal (prints how to merge it)",
    group: GOAL.decide,
    examples: [["accept the latest goal once it is ready; prints the merge command", "omk goal accept"]],
  },
  "goal reject": {
    group: GOAL.decide,
    examples: [["reject its result, saying why", 'omk goal reject --reason "the flag should be --format json"']],
  },
  "goal replay": {
    group: GOAL.maintain,
    examples: [
      ["check goal.json against the event log", "omk goal replay --verify"],
      ["rewrite goal.json from the log", "omk goal replay <id> --rebuild"],
    ],
  },
  proof: {
    summary: "check a proof (proof verify)",
    group: ROOT.proofs,
    examples: [["re-check the latest goal's proof on its head commit", "omk proof verify"]],
  },
  "proof verify": {
    examples: [
      ["re-check the latest goal's proof: its gates and oracle checks, on its head commit", "omk proof verify"],
      ["a proof.json from elsewhere, against a clone holding its commits", "omk proof verify path/to/proof.json --repo ."],
    ],
  },
  engines: {
    summary: "list the engines and whether each one is installed",
    group: ROOT.setup,
    examples: [
      ["every engine, where it is defined and whether its command is found", "omk engines"],
      ["as JSON", "omk engines --json"],
    ],
  },
  config: {
    summary: "show the merged config; trust a repository's config file",
    group: ROOT.setup,
    examples: [
      ["the merged config and where each setting comes from", "omk config show"],
      ["trust this repository's .omk/config.yaml", "omk config trust"],
    ],
  },
  "config show": {
    examples: [["the merged config and where each setting comes from", "omk config show"]],
  },
  "config trust": {
    examples: [["trust this repository's .omk/config.yaml as it is now", "omk config trust"]],
  },
};

/** The group of each parent's implicit `help [command]` (a parent not listed keeps commander's "Commands:"). */
const HELP_COMMAND_GROUP: Record<string, string> = { "": ROOT.start, goal: GOAL.maintain };

/** The common workflow, the first-time commands and the docs: the end of `omk --help`. */
const ROOT_HELP_AFTER = [
  "",
  "Common workflow:",
  `  omk goal run ${TEXT}`,
  "                         plan, run agents in git worktrees, verify, write proof.json",
  "  omk goal status        what it is doing now: phase, tasks, budget, next step (from any shell)",
  "  omk goal show          the whole record",
  "  omk goal accept        accept a ready result (prints how to merge it)",
  "  omk proof verify       re-check the proof on its head commit, anywhere",
  "",
  "First time:",
  "  omk demo               a whole goal on an example repository, no engine needed",
  "  omk doctor             check git, node, the config files and the engines",
  "",
  "Docs:",
  "  omk <command> --help   a command's options and examples (omk help <command> too)",
  "  docs/cli.md            the command reference and exit codes (in the OMK repository)",
  "  README.md              the quick start (in the repository and in the omk package)",
  "",
  CONFIG_FILES_HELP,
].join("\n");

/** `Examples:` then each example as `# what` and the command, indented two spaces. */
function examplesText(examples: readonly Example[]): string {
  return `\nExamples:\n${examples.map(([what, command]) => `  # ${what}\n  ${command}`).join("\n\n")}`;
}

const pathOf = (cmd: Command): string => {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent != null; c = c.parent) names.unshift(c.name());
  return names.join(" ");
};

/** Commands of the tree with no entry in COMMAND_HELP (an empty list is the rule). */
function _missingHelp(program: Command): string[] {
  const missing: string[] = [];
  const walk = (cmd: Command) => {
    for (const sub of cmd.commands) {
      if (COMMAND_HELP[pathOf(sub)] === undefined) missing.push(pathOf(sub));
      walk(sub);
    }
  };
  walk(program);
  return missing;
}

/** Groups, order and examples from COMMAND_HELP for every command under `program`; the workflow and docs at the end of its own help. */
export function applyHelp(program: Command): void {
  const order = Object.keys(COMMAND_HELP);
  const rank = (cmd: Command) => {
    const i = order.indexOf(pathOf(cmd));
    return i === -1 ? order.length : i;
  };
  const walk = (cmd: Command) => {
    // `run <goal>`, not `run [options] <goal>`: every command has options (--help at least).
    cmd.configureHelp({ subcommandTerm: (sub) => `${sub.name()} ${sub.usage().replace("[options]", "").trim()}`.trim() });
    // Commander lists subcommands (and their groups) in the order of `commands`.
    (cmd.commands as Command[]).sort((a, b) => rank(a) - rank(b));
    const helpGroup = HELP_COMMAND_GROUP[pathOf(cmd)];
    if (helpGroup !== undefined && cmd.commands.length > 0) cmd.commandsGroup(helpGroup).helpCommand("help [command]", "display help for command");
    for (const sub of cmd.commands) {
      const entry = COMMAND_HELP[pathOf(sub)];
      if (entry !== undefined) {
        if (entry.group !== undefined) sub.helpGroup(entry.group);
        if (entry.summary !== undefined) sub.summary(entry.summary);
        sub.addHelpText("after", examplesText(entry.examples));
      }
      walk(sub);
    }
  };
  walk(program);
  program.addHelpText("after", ROOT_HELP_AFTER);
}
