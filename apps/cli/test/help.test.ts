// Help as good as git's or gh's: grouped commands, an example per command, the common workflow,
// where the docs are, -v. The shipped binary for `omk --help` and `-v`; every command's help in-process
// (27 commands: one process each would only add start-up time).
import { cleanupTempDirs, makeTempDir, runOmk } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { COMMAND_HELP } from "../src/help.js";
import { main } from "../src/main.js";

afterAll(cleanupTempDirs);

/** `omk <argv>` in this process (main itself, with its output collected). */
async function omkIn(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main({
    argv,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { ...process.env, OMK_STATE_DIR: makeTempDir() },
    cwd: makeTempDir(),
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}
const help = (args: string[]) => omkIn([...args, "--help"]);

/** The command groups of a help text: heading -> the command names listed under it, in order. */
function groups(text: string): Map<string, string[]> {
  const headings = new Set([...Object.values(COMMAND_HELP).flatMap((e) => (e.group === undefined ? [] : [e.group])), "Commands:"]);
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    if (headings.has(line)) {
      current = [];
      out.set(line, current);
    } else if (line.trim() === "") current = undefined;
    else if (current !== undefined && /^ {2}\S/.test(line)) current.push(line.trim().split(/\s+/)[0] as string);
  }
  return out;
}

describe("omk --help", () => {
  it("groups the commands, shows the common workflow and first commands, and says where the docs are (the built binary)", async () => {
    const r = await runOmk(["--help"], { stateDir: makeTempDir() });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    expect([...groups(r.stdout)]).toEqual([
      ["Get started:", ["demo", "doctor", "help"]],
      ["Goals:", ["goal"]],
      ["Proofs:", ["proof"]],
      ["Configure:", ["engines", "config"]],
    ]);
    const after = r.stdout.slice(r.stdout.indexOf("Common workflow:"));
    // The workflow in order: run, status, show, accept, proof verify.
    const order = ["omk goal run ", "omk goal status", "omk goal show", "omk goal accept", "omk proof verify"].map((c) => after.indexOf(c));
    for (const i of order) expect(i).toBeGreaterThan(0);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.stdout).toMatch(/^First time:\n {2}omk demo /m);
    expect(r.stdout).toMatch(/^Docs:\n {2}omk <command> --help .*\n {2}docs\/cli\.md .*OMK repository/m);
    expect(r.stdout).toContain("README.md");
  }, 60_000);

  it("-v and --version print the version, exit 0; -V is not an option", async () => {
    const stateDir = makeTempDir();
    const short = await runOmk(["-v"], { stateDir });
    const long = await runOmk(["--version"], { stateDir });
    expect(short.exitCode).toBe(0);
    expect(short.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(short.stdout).toBe(long.stdout);
    expect((await runOmk(["-V"], { stateDir })).exitCode).toBe(2);
    expect((await runOmk(["--help"], { stateDir })).stdout).toMatch(/^ {2}--version +print the version \(also -v, as the only argument\)$/m);
  }, 60_000);
});

describe("omk goal --help", () => {
  it("groups its subcommands: start, inspect, steer, one phase at a time, decide, maintain", async () => {
    const r = await help(["goal"]);
    expect(r.code).toBe(0);
    expect([...groups(r.stdout)]).toEqual([
      ["Start a goal:", ["run", "plan", "create"]],
      ["Inspect:", ["status", "show", "list", "budget", "proof"]],
      ["Steer:", ["pause", "resume", "amend", "budget-add", "cancel"]],
      ["One phase at a time:", ["execute", "review", "verify"]],
      ["Decide:", ["accept", "reject"]],
      ["Maintain:", ["replay", "help"]],
    ]);
    // A listing line is one short line per command: no `[options]` noise, summaries fit.
    expect(r.stdout.split("\n").filter((l) => l.startsWith("  ") && l.includes("[options]"))).toEqual([]);
    expect(r.stdout).toMatch(/^ {2}status \[id\] +a short live summary/m);
  });
});

describe("every command's help has examples", () => {
  it("walks the whole tree from omk --help: every command is in COMMAND_HELP, and its help ends with examples that start with its own name", async () => {
    const seen: string[] = [];
    const walk = async (path: string[]) => {
      const r = await help(path);
      expect(r.code, path.join(" ")).toBe(0);
      const subs = [...groups(r.stdout).values()].flat().filter((name) => name !== "help");
      for (const name of subs) {
        const sub = [...path, name];
        seen.push(sub.join(" "));
        const text = (await help(sub)).stdout;
        const examples = text.slice(text.indexOf("\nExamples:\n"));
        expect(text.indexOf("\nExamples:\n"), sub.join(" ")).toBeGreaterThan(0);
        // Each example: a `# what` line, then a command of this command (pasteable: `omk …`).
        const commands = examples.split("\n").filter((l) => /^ {2}omk /.test(l));
        expect(commands.length, sub.join(" ")).toBeGreaterThan(0);
        expect(
          commands.some((c) => c.startsWith(`  omk ${sub.join(" ")}`)),
          `${sub.join(" ")}: ${commands.join(" | ")}`,
        ).toBe(true);
        expect(examples.split("\n").filter((l) => /^ {2}# /.test(l)).length, sub.join(" ")).toBe(COMMAND_HELP[sub.join(" ")]?.examples.length);
        await walk(sub);
      }
    };
    await walk([]);
    expect(seen.sort()).toEqual(Object.keys(COMMAND_HELP).sort());
  }, 60_000);

  it("`omk help goal` prints the goal help", async () => {
    const r = await omkIn(["help", "goal"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: omk goal");
    expect(r.stdout).toContain("Start a goal:");
  });
});
