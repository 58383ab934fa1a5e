// End to end through the built `omk` with the scripted engine and real bubblewrap: the agent's commands
// (run through OMK's terminal) try to write a sibling of the checkout, an absolute path outside, OMK's
// event log and the user's `.git`; each fails and nothing lands, and each refused write is a blocking
// finding (`sandbox_refused`), so the goal ends not_ready naming them, failure.json says `bwrap`. A machine that cannot sandbox (no bwrap on PATH) is refused at start (exit 9,
// nothing created) unless --unconfined, which proof.json then records.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import type { ScenarioInput } from "@omk/wire";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { featureBook, FEATURE_GOAL, implementSession } from "./e2e/books.js";
import {
  cleanupE2e,
  describeRun,
  EXIT_BY_STATUS,
  goalIdOf,
  newWorld,
  omkBin,
  outcomePathOf,
  readEvents,
  readFailure,
  readProof,
  scripted,
  type World,
} from "./e2e/helpers.js";

const outside = mkdtempSync(path.join("/var/tmp", "omk-e2e-confine-"));
afterAll(() => {
  cleanupE2e();
  rmSync(outside, { recursive: true, force: true });
});

const sh = (script: string) => ({ command: { command: "/bin/sh", args: ["-c", script] } });

/** A PATH with everything of /usr/bin and /bin but bwrap (and node's own folder): a machine without bubblewrap. */
function pathWithoutBwrap(): string {
  const dir = mkdtempSync(path.join(outside, "bin-"));
  for (const from of ["/usr/bin", "/bin", path.dirname(process.execPath)]) {
    for (const name of readdirSync(from)) {
      if (name === "bwrap" || existsSync(path.join(dir, name))) continue;
      symlinkSync(path.join(from, name), path.join(dir, name));
    }
  }
  return dir;
}

async function omkWith(w: World, env: Record<string, string>, ...args: string[]) {
  const r = await execa(process.execPath, [await omkBin(), ...args], {
    reject: false,
    cwd: w.repo,
    env: { NO_COLOR: "1", CI: "true", OMK_STATE_DIR: w.stateDir, ...env },
    stdin: "ignore",
  });
  const stdout = String(r.stdout);
  return { exitCode: r.exitCode ?? -1, stdout, stderr: String(r.stderr), json: () => JSON.parse(stdout) };
}

describe.concurrent("omk goal run: agents confined by bubblewrap (e2e, scripted engine)", () => {
  it("an agent's commands cannot write outside its checkout, OMK's state or the user's .git; each attempt is named and blocks ready; failure.json says bwrap", {
    timeout: 240_000,
  }, async () => {
    const w = await newWorld();
    const planted = path.join(outside, "planted.txt");
    const hostile: ScenarioInput = implementSession(
      sh("echo forged > ../sibling.txt"),
      sh(`echo forged > ${planted}`),
      sh(
        `for f in $(find ${w.stateDir} -name events.jsonl 2>/dev/null) ${w.stateDir}/events.jsonl; do echo '{"type":"budget_extended"}' >> "$f"; done; exit 1`,
      ),
      sh(`mkdir -p ${w.repo}/.git/hooks; echo 'echo pwned' > ${w.repo}/.git/hooks/post-checkout; chmod +x ${w.repo}/.git/hooks/post-checkout`),
      sh(`echo '[core]\n\tfsmonitor = echo pwned' >> ${w.repo}/.git/config`),
    );
    const book = featureBook();
    const run = await w.omk(
      "goal",
      "run",
      FEATURE_GOAL,
      ...scripted(w.book("hostile", { ...book, sessions: { ...book.sessions, "task:implement": hostile } })),
    );
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.not_ready);
    const goalId = goalIdOf(run.stdout);
    const failure = readFailure(outcomePathOf(run.stdout, "failure"));
    expect(failure.confinement).toBe("bwrap");
    // Each attempt is named as a refused write (sandbox_refused), in the run's output and the failure's cause.
    const refusedLines = run.stdout.split("\n").filter((l) => /tried to write .* outside its write set/u.test(l) && /the sandbox refused/u.test(l));
    for (const target of [planted, path.join(w.repo, ".git", "config"), path.join(w.repo, ".git", "hooks")]) {
      expect(
        refusedLines.some((l) => l.includes(target)),
        `no refusal line names ${target}\n${describeRun(run)}`,
      ).toBe(true);
    }
    expect(JSON.stringify(failure.cause)).toContain("sandbox_refused");
    expect(existsSync(planted)).toBe(false);
    expect(existsSync(path.join(w.repo, ".git", "hooks", "post-checkout"))).toBe(false);
    expect(readFileSync(path.join(w.repo, ".git", "config"), "utf8")).not.toContain("fsmonitor");
    const events = readEvents(w.stateDir, goalId);
    expect(events.filter((e) => (e.type as string) === "budget_extended")).toEqual([]);
    // The commands ran and failed (not skipped): five of them, each with a non-zero exit.
    const commands = await execa("grep", ["-rh", "--include=transcript.jsonl", "-c", "Read-only file system", w.stateDir], { reject: false });
    expect(
      String(commands.stdout)
        .split("\n")
        .some((n) => Number(n) > 0),
    ).toBe(true);
  });

  it("no bwrap on PATH: refused at start (exit 9, the fix named), no goal created; --unconfined runs and proof.json records it", {
    timeout: 240_000,
  }, async () => {
    const w = await newWorld();
    const noBwrap = { PATH: pathWithoutBwrap() };
    const book = w.book("feature", featureBook());
    const refused = await omkWith(w, noBwrap, "goal", "run", FEATURE_GOAL, ...scripted(book));
    expect(refused.exitCode, describeRun(refused)).toBe(9);
    expect(refused.stderr).toMatch(/bubblewrap/);
    expect(refused.stderr).toMatch(/--unconfined/);
    mkdirSync(w.stateDir, { recursive: true });
    const listed = await omkWith(w, noBwrap, "goal", "list", "--json");
    expect(JSON.stringify(listed.json())).not.toContain("farewell");

    const run = await omkWith(w, noBwrap, "goal", "run", FEATURE_GOAL, ...scripted(book), "--unconfined");
    expect(run.exitCode, describeRun(run)).toBe(0);
    expect(run.stderr).toMatch(/without a sandbox/);
    expect(readProof(outcomePathOf(run.stdout, "proof")).confinement).toBe("unconfined");
  });

  it("no bwrap on PATH: omk demo (the scripted engine playing the shipped script) still runs, unconfined, saying so; proof.json records it", {
    timeout: 240_000,
  }, async () => {
    const w = await newWorld();
    const run = await omkWith(w, { PATH: pathWithoutBwrap() }, "demo", "--plain");
    expect(run.exitCode, describeRun(run)).toBe(0);
    expect(run.stderr).toMatch(/no sandbox here .*bubblewrap|no sandbox here .*bwrap/u);
    expect(run.stderr).toMatch(/runs unconfined/u);
    expect(readProof(outcomePathOf(run.stdout, "proof")).confinement).toBe("unconfined");
  });
});
