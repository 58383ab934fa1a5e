/**
 * Per-test evidence with no config: find the test runner behind a gate's
 * command (a package script such as `npm test`, a shell line, or an argv)
 * and decide how its per-test results are read: a reporter that writes a
 * file (node:test and vitest JUnit, mocha xunit, jest JSON, pytest JUnit),
 * or the runner's own machine-readable stdout (TAP of tape and ava, go test
 * -json, cargo's libtest lines). A script line is only augmented when it is
 * understood (plain words, `&&` chains, env assignments, known wrappers);
 * otherwise the plan says why and which one-line config fixes it.
 */
import type { TestReportFormat } from "../../schemas/config.js";
import { mochaVersion, nodeFileRunner, type Runner, runnerOf } from "./find-runner.js";
import { readChain, type Step } from "./command-chain.js";

/** How the per-test results of one run are read. */
export type TestReportPlan =
  | {
      readonly ok: true;
      readonly runner: Runner | "tap (sniffed)" | "configured";
      readonly format: Exclude<TestReportFormat, "auto">;
      /** The command to run instead of the gate's (argv, or the shell line as one element). */
      readonly command: string[];
      /** Variables to set for the command. */
      readonly env: Readonly<Record<string, string>>;
      /** The report file the command writes; undefined: the format is read from stdout. */
      readonly file?: string;
      /** TAP: tape names tests by `# name` comments (assertions are its points). */
      readonly tapGroups?: boolean;
      /** TAP: node-tap's points are assertions; a test is a subtest holding some. */
      readonly tapSubtests?: boolean;
      /** More reports of the same run (several runners in one `&&` chain); each read like the first. */
      readonly also?: readonly TestReport[];
      /** One line for the gate's notes. */
      readonly how: string;
    }
  | { readonly ok: false; readonly reason: string; readonly fix: string };

export type PlanInput = {
  readonly command: readonly string[] | string;
  readonly shell: boolean;
  /** The gate's working directory (package.json is read here). */
  readonly cwd: string;
  /** Absolute path for a report file of this run, by extension (`xml`, `json`): never in the user's tree. */
  readonly reportFile: (ext: string) => string;
  /** The gate's environment (NODE_OPTIONS is extended, not replaced). */
  readonly env: Readonly<Record<string, string | undefined>>;
};

const FIX_TAP = "tests: { format: tap }";
const fixFor = (what: string) =>
  `make the test gate's command one the runner is recognised in (e.g. "test": "tape test/*.js"), or say how its results are read in .omk/gates.yaml on that gate: \`${FIX_TAP}\` (TAP on stdout) or \`tests: { format: junit, file: <report.xml> }\` (${what})`;

/** One report of a run: the runner that writes it, its format, and its file (undefined: read from stdout). */
type TestReport = {
  readonly runner: Runner;
  readonly format: Exclude<TestReportFormat, "auto">;
  readonly file?: string;
  readonly tapGroups?: boolean;
  readonly tapSubtests?: boolean;
};

/**
 * How to get per-test results from this command, or why they cannot be had.
 * Deterministic and side-effect free (reads package.json, and mocha's
 * package.json for its version, only); the oracle asks it at planning time,
 * the gate runner at run time.
 *
 * Every command of a `&&` chain is looked at (nested `npm run X` followed):
 * runners whose report needs no trailing argument are had wherever they are
 * (node:test through NODE_OPTIONS, which reaches every command; tape's and
 * cargo's stdout); runners needing a trailing argument (vitest, jest, mocha,
 * ava, node-tap, pytest, go test) only as the chain's last command. A plan may
 * thus have several reports (`also`); at most one is read from stdout.
 */
export function planTestReport(input: PlanInput): TestReportPlan {
  const fail = (reason: string) => ({ ok: false as const, reason, fix: fixFor(reason) });
  const chain = readChain(input);
  if ("error" in chain) return fail(chain.error);
  const { flat, append, shown, scripts, notes } = chain;
  if (flat.length === 0) return fail(`\`${shown}\` runs nothing`);
  const runners = flat.flatMap((step) => {
    const found = runnerOf(step.words) ?? nodeFileRunner(step.words, input.cwd);
    return found === undefined || found.runner === "script" ? [] : [{ step, found }];
  });
  const base = typeof input.command === "string" ? [input.command] : [...input.command];
  if (runners.length === 0) {
    return {
      ok: true,
      runner: "tap (sniffed)",
      format: "tap",
      command: base,
      env: {},
      how: `no known test runner in \`${shown}\`; its stdout is read as TAP if it prints TAP (else no per-test cases)${notes.length === 0 ? "" : ` (${notes.join("; ")})`}`,
    };
  }
  const single = flat.length === 1 && scripts === undefined && typeof input.command !== "string" && !input.shell;
  const reports: TestReport[] = [];
  const hows: string[] = [];
  const notHad: string[] = [];
  let env: Record<string, string> = {};
  let command = base;
  let stdoutTaken: Runner | undefined;
  const stdoutReport = (r: TestReport, how: string) => {
    if (stdoutTaken !== undefined) {
      notHad.push(`${r.runner} (its report is stdout, already read for ${stdoutTaken})`);
      return;
    }
    stdoutTaken = r.runner;
    reports.push(r);
    hows.push(`${r.runner}: ${how}`);
  };
  const withArgs = (step: Step, r: TestReport, args: string[], how: string) => {
    if (!step.last || append === undefined) {
      notHad.push(
        append === undefined || flat.length === 1
          ? `${r.runner} (run by a nested package script, so its reporter cannot be added)`
          : `${r.runner} (not the chain's last command, so its reporter, a trailing argument, cannot be added)`,
      );
      return;
    }
    if (r.file === undefined && stdoutTaken !== undefined) {
      notHad.push(`${r.runner} (its report is stdout, already read for ${stdoutTaken})`);
      return;
    }
    if (r.file === undefined) stdoutTaken = r.runner;
    command = append(args);
    reports.push(r);
    hows.push(`${r.runner}: ${how}`);
  };
  let nodeTestSeen = false;
  for (const { step, found } of runners) {
    switch (found.runner) {
      case "node:test": {
        if (nodeTestSeen) break; // one NODE_OPTIONS reporter covers every node:test command of the chain
        nodeTestSeen = true;
        if (flat.some((c) => c.words.some((w) => w.startsWith("--test-reporter")))) {
          notHad.push("node:test (the script sets its own --test-reporter; add a junit reporter there and name its file)");
          break;
        }
        const file = input.reportFile("xml");
        const options = ["--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=junit", `--test-reporter-destination=${file}`].join(
          " ",
        );
        const before = input.env["NODE_OPTIONS"];
        env = { NODE_OPTIONS: before === undefined || before === "" ? options : `${before} ${options}` };
        reports.push({ runner: "node:test", format: "junit", file });
        hows.push("node:test: JUnit reporter added through NODE_OPTIONS (spec stays on stdout)");
        break;
      }
      case "vitest": {
        const file = input.reportFile("xml");
        withArgs(
          step,
          { runner: "vitest", format: "junit", file },
          ["--reporter=default", "--reporter=junit", `--outputFile.junit=${file}`],
          "JUnit reporter added (default reporter kept)",
        );
        break;
      }
      case "jest": {
        const file = input.reportFile("json");
        withArgs(step, { runner: "jest", format: "jest-json", file }, ["--json", `--outputFile=${file}`], "--json report file added (console output kept)");
        break;
      }
      case "mocha": {
        // `--reporter-options` (plural) is the spelling every mocha from 2.2 (reporter options, xunit's `output`)
        // to today accepts; `--reporter-option` came with mocha 6. Older: TAP on stdout.
        const v = mochaVersion(input.cwd);
        if (v !== undefined && (v[0] < 2 || (v[0] === 2 && v[1] < 2))) {
          withArgs(
            step,
            { runner: "mocha", format: "tap" },
            ["--reporter=tap"],
            `mocha ${v.join(".")} (before 2.2: no reporter options): TAP reporter, read from stdout`,
          );
        } else {
          const file = input.reportFile("xml");
          withArgs(
            step,
            { runner: "mocha", format: "junit", file },
            ["--reporter=xunit", `--reporter-options=output=${file}`],
            "xunit reporter writing a file (mocha takes one reporter: the console shows only the tests' own output)",
          );
        }
        break;
      }
      case "ava":
        withArgs(step, { runner: "ava", format: "tap" }, ["--tap"], "--tap added; TAP read from stdout");
        break;
      case "node-tap":
        withArgs(
          step,
          { runner: "node-tap", format: "tap", tapSubtests: true },
          ["--reporter=tap"],
          "--reporter=tap added; TAP read from stdout (a test is a subtest holding assertions)",
        );
        break;
      case "pytest": {
        const file = input.reportFile("xml");
        withArgs(step, { runner: "pytest", format: "junit", file }, [`--junitxml=${file}`], "--junitxml added");
        break;
      }
      case "go test": {
        // An argv `go test …` gets -json right after `test`; a script line gets it at its end.
        if (single && stdoutTaken === undefined) {
          const at = base.indexOf("test", found.at);
          command = [...base.slice(0, at + 1), "-json", ...base.slice(at + 1)];
          stdoutTaken = "go test";
          reports.push({ runner: "go test", format: "go-json" });
          hows.push("go test: -json added; events read from stdout");
        } else {
          withArgs(step, { runner: "go test", format: "go-json" }, ["-json"], "-json added; events read from stdout");
        }
        break;
      }
      case "tape":
        stdoutReport({ runner: "tape", format: "tap", tapGroups: true }, "its TAP read from stdout (a test is a `# name` group)");
        break;
      case "cargo test": {
        // cargo stops at the first failing test binary; an argv `cargo test …` gets --no-fail-fast so every binary reports.
        if (single && stdoutTaken === undefined) {
          const at = base.indexOf("test", found.at);
          if (!base.includes("--no-fail-fast")) command = [...base.slice(0, at + 1), "--no-fail-fast", ...base.slice(at + 1)];
        }
        stdoutReport({ runner: "cargo test", format: "libtest" }, "libtest's `test … ok|FAILED` lines read from stdout");
        break;
      }
    }
  }
  const [first, ...also] = reports;
  if (first === undefined) {
    const reason = `no runner's report can be had in \`${shown}\`: ${notHad.join("; ")}`;
    return notHad.length === 1 && notHad[0]?.startsWith("node:test (the script sets its own")
      ? fail(`\`${shown}\` sets its own --test-reporter; add a junit reporter there and name its file`)
      : fail(reason);
  }
  const how = [hows.join("; "), ...(notHad.length === 0 ? [] : [`not had: ${notHad.join("; ")}`]), ...notes].join("; ");
  return {
    ok: true,
    runner: first.runner,
    format: first.format,
    command,
    env,
    ...(first.file === undefined ? {} : { file: first.file }),
    ...(first.tapGroups === true ? { tapGroups: true } : {}),
    ...(first.tapSubtests === true ? { tapSubtests: true } : {}),
    ...(also.length === 0 ? {} : { also }),
    how: reports.length === 1 && notHad.length === 0 && notes.length === 0 ? (hows[0] as string) : how,
  };
}
