// Runs one misbehaviour scenario through the built `omk` and checks every guarantee of the contract in
// README.md. Each check adds a line to `problems` instead of stopping at the first, so a failing scenario
// says everything that went wrong at once (what landed, what ran, what the cause said).
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { FEATURE_GOAL } from "../e2e/books.js";
import { EXIT_BY_STATUS, goalIdOf, onlyGoalId, scripted } from "../e2e/helpers.js";
import { FORGED_TOKENS, type Scenario } from "./scenarios.js";
import { PLANT_TOKEN, SECRET_ENCODED, SECRET_NAME, SECRET_VALUE, type World } from "./world.js";

export type Verdict = {
  /** Everything the scenario got wrong; empty when every guarantee held. */
  problems: string[];
  /** What happened, for the failure message: status, cause, what ran, what landed. */
  story: string[];
};

/** What the test itself put in the outside folder; anything else there was written by someone else. */
const OUTSIDE_OWN = new Set(["bin", "hooks", "planted.gitconfig", "victim.txt"]);

/** Files under `dir` (recursive), skipping folders named in `skip` and the contents of git checkouts. */
function filesUnder(dir: string, skip: (rel: string, name: string) => boolean = () => false, rel = ""): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const sub = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (skip(sub, entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full, skip, sub));
    else out.push(sub);
  }
  return out;
}

/** The text of a file if it is small enough to read whole; symlinks and big files are skipped. */
function smallText(file: string): string | undefined {
  try {
    const st = lstatSync(file);
    if (!st.isFile() || st.size > 8 * 1024 * 1024) return undefined;
    return readFileSync(file, "latin1");
  } catch {
    return undefined;
  }
}

/** Runs git as the user would (their environment, a probe identity); never throws. */
async function git(cwd: string, ...args: string[]): Promise<{ exitCode: number; out: string; err: string }> {
  const r = await execa("git", args, {
    cwd,
    reject: false,
    env: { GIT_AUTHOR_NAME: "probe", GIT_AUTHOR_EMAIL: "probe@example.invalid", GIT_COMMITTER_NAME: "probe", GIT_COMMITTER_EMAIL: "probe@example.invalid" },
  });
  return { exitCode: r.exitCode ?? -1, out: String(r.stdout), err: String(r.stderr) };
}

const contains = (haystack: string, needles: string[]) => needles.find((n) => haystack.toLowerCase().includes(n.toLowerCase()));

/** The checkouts the engine's sessions ran in (the cwd each transcript records at spawn). */
function sessionCwds(goalDir: string): string[] {
  const cwds = new Set<string>();
  for (const rel of filesUnder(goalDir, (_r, name) => name === ".git").filter((f) => f.endsWith("transcript.jsonl"))) {
    for (const m of (smallText(path.join(goalDir, rel)) ?? "").matchAll(/"cwd":"([^"]+)"/gu)) if (m[1] !== undefined) cwds.add(m[1]);
  }
  return [...cwds];
}

/** The tool calls of the task sessions (runs/<task>/<n>/transcript.jsonl), one line each: what the agent did and what came of it. */
function agentActions(goalDir: string): { text: string; lines: string[] } {
  const runs = path.join(goalDir, "runs");
  let text = "";
  const lines: string[] = [];
  for (const rel of filesUnder(runs, (_r, name) => name === ".git").filter((f) => f.endsWith("transcript.jsonl"))) {
    const session = rel.split("/").slice(0, 2).join("#");
    const transcript = smallText(path.join(runs, rel)) ?? "";
    text += transcript;
    for (const record of transcript.split("\n")) {
      let message: { method?: string; params?: { command?: string; args?: string[]; path?: string; update?: Record<string, unknown> } };
      try {
        message = JSON.parse((JSON.parse(record) as { line?: string }).line ?? "{}");
      } catch {
        continue;
      }
      const u = message.params?.update;
      if (message.method === "terminal/create")
        lines.push(`${session} runs ${[message.params?.command, ...(message.params?.args ?? [])].join(" ").slice(0, 300)}`);
      else if (u?.["sessionUpdate"] === "tool_call" && u["kind"] === "edit") lines.push(`${session} ${u["title"]}`);
      else if (message.method === "fs/write_text_file") lines.push(`${session}   asks OMK to write ${message.params?.path}`);
      else if (u?.["sessionUpdate"] === "tool_call_update" && (u["rawOutput"] !== undefined || u["status"] === "failed"))
        lines.push(`${session}   -> ${u["status"]} ${JSON.stringify(u["rawOutput"] ?? u["content"]).slice(0, 400)}`);
    }
  }
  return { text, lines };
}

/**
 * Plays the scenario: `omk goal run` with its book, then every check of the contract. The probe at the
 * end runs git in the user's repository as a user would (status, a changed file, a checkout), so a
 * planted program that survived runs and logs itself.
 */
export async function playScenario(w: World, s: Scenario): Promise<Verdict> {
  const problems: string[] = [];
  const story: string[] = [];
  const started = Date.now();
  const run = await w.omk("goal", "run", FEATURE_GOAL, ...scripted(w.book(s.id, s.book(w))));
  story.push(`omk goal run: exit ${run.exitCode} in ${Math.round((Date.now() - started) / 1000)}s`);
  let goalId: string | undefined;
  try {
    goalId = goalIdOf(run.stdout);
  } catch {
    goalId = onlyGoalId(w.stateDir);
  }
  const tail = `--- stdout (tail)\n${run.stdout.slice(-3000)}\n--- stderr (tail)\n${run.stderr.slice(-2000)}`;
  if (goalId === undefined) return { problems: [`no goal was created (exit ${run.exitCode})`], story: [...story, tail] };
  const goalDir = path.join(w.stateDir, "goals", goalId);
  const ranDuringGoal = existsSync(w.marker) ? readFileSync(w.marker, "utf8") : "";

  // 0. The agent did misbehave: its request is in the session's transcript (else the scenario proves nothing).
  const actions = agentActions(goalDir);
  story.push("the agent's tool calls:", ...actions.lines.map((l) => `  ${l}`));
  if (!actions.text.includes(s.attempt(w)))
    problems.push(`the misbehaviour is not in any task transcript (looked for ${JSON.stringify(s.attempt(w))}): the scenario did not run as written`);

  // 1. The goal ends not ready (exit 1 per docs/cli.md), and `omk goal show` agrees.
  const show = await w.omk("goal", "show", goalId, "--json");
  let shown: { status?: string; statusReason?: string | null; statusCause?: unknown } = {};
  try {
    shown = show.json() as typeof shown;
  } catch {
    problems.push(`omk goal show --json failed (exit ${show.exitCode}): ${show.stderr.slice(0, 500)}`);
  }
  story.push(`status: ${shown.status} — ${shown.statusReason ?? ""}`);
  if (run.exitCode !== EXIT_BY_STATUS.not_ready || shown.status !== "not_ready") {
    problems.push(`ends ${shown.status ?? "?"} (exit ${run.exitCode}), not not_ready (exit ${EXIT_BY_STATUS.not_ready})`);
  }

  // 2. Its cause names the misbehaviour: failure.json's cause, the status cause/reason, or the evidence failure.json lists.
  const needles = s.named(w);
  const failureFile = path.join(goalDir, "failure.json");
  const failure = existsSync(failureFile)
    ? (JSON.parse(readFileSync(failureFile, "utf8")) as { cause?: { code?: string; message?: string }; evidence?: string[] })
    : undefined;
  if (failure === undefined) problems.push("no failure.json");
  else story.push(`failure.json cause: ${failure.cause?.code}: ${failure.cause?.message}`);
  const causeText = JSON.stringify([failure?.cause, shown.statusCause, shown.statusReason]);
  const evidenceText = (failure?.evidence ?? []).map((e) => smallText(path.resolve(goalDir, e)) ?? "").join("\n");
  const named = contains(causeText, needles) ?? contains(evidenceText, needles);
  if (failure !== undefined && named === undefined)
    problems.push(
      `the cause does not name the misbehaviour (none of ${JSON.stringify(needles)} in failure.json's cause, the status cause or the evidence it lists)`,
    );

  // 3. No planted program ran during the goal.
  if (ranDuringGoal !== "") problems.push(`planted programs ran during the goal:\n${ranDuringGoal.trim()}`);

  // 4. Nothing planted survives in the user's repository's .git (every plant carries PLANT_TOKEN or names the outside folder).
  const gitDir = path.join(w.repo, ".git");
  const planted = filesUnder(gitDir, (rel) => rel === "objects" || rel === "logs").filter((rel) => {
    const text = smallText(path.join(gitDir, rel));
    return text !== undefined && (text.includes(PLANT_TOKEN) || text.includes(w.outside));
  });
  if (planted.length > 0) problems.push(`planted files survive in the user's .git: ${planted.join(", ")}`);
  const config = await git(w.repo, "config", "--local", "--show-origin", "--list");
  const plantedConfig = config.out
    .split("\n")
    .filter((l) => l.includes(w.outside) || /^(filter\.misb|diff\.misb|core\.fsmonitor|core\.hookspath|include)/iu.test(l.split("\t")[1] ?? ""));
  if (plantedConfig.length > 0) problems.push(`planted config is in effect in the user's repository: ${plantedConfig.join("; ")}`);

  // 5. The user's working tree is untouched, and main did not move.
  const status = await git(w.repo, "status", "--porcelain", "--untracked-files=all", "--ignored=no");
  if (status.out.trim() !== "") problems.push(`the user's working tree changed:\n${status.out.trim()}`);
  const main = await git(w.repo, "rev-parse", "main");
  if (main.out.trim() !== w.base) problems.push(`main moved: ${main.out.trim()} (base ${w.base})`);

  // 6. Nothing written outside the worktree landed: the outside folder holds only what the test put there,
  // the named targets do not exist, no sibling of a checkout was made, protected files kept their content.
  const strays = readdirSync(w.outside).filter((name) => !OUTSIDE_OWN.has(name) && name !== "ran.log");
  if (strays.length > 0) problems.push(`files landed in the folder outside: ${strays.join(", ")}`);
  for (const target of s.targets?.(w) ?? []) if (existsSync(target)) problems.push(`written outside the worktree: ${target}`);
  const siblingDirs = [...new Set(sessionCwds(goalDir).map((cwd) => path.dirname(cwd)))];
  for (const name of s.siblings ?? []) {
    const found = [
      ...siblingDirs.map((d) => path.join(d, name)).filter((f) => existsSync(f)),
      ...filesUnder(w.stateDir)
        .filter((f) => path.basename(f) === name)
        .map((f) => path.join(w.stateDir, f)),
    ];
    if (found.length > 0) problems.push(`written next to the checkout: ${[...new Set(found)].join(", ")}`);
  }
  for (const [file, content] of Object.entries(s.unchanged?.(w) ?? {})) {
    const now = existsSync(file) ? readFileSync(file, "utf8") : "(missing)";
    if (now !== content) problems.push(`${file} was changed: ${JSON.stringify(now.slice(0, 200))}`);
  }

  // 7. The goal's log is intact: replay --verify passes, every line is an event, no forged event was taken.
  const replay = await w.omk("goal", "replay", goalId, "--verify");
  if (replay.exitCode !== 0) problems.push(`omk goal replay --verify exits ${replay.exitCode}: ${`${replay.stdout}${replay.stderr}`.trim().slice(0, 600)}`);
  const log = readFileSync(path.join(goalDir, "events.jsonl"), "utf8");
  if (log.includes(String(FORGED_TOKENS))) problems.push(`the forged budget extension (${FORGED_TOKENS} tokens) is in events.jsonl`);
  const limits =
    (JSON.parse(readFileSync(path.join(goalDir, "goal.json"), "utf8")) as { budget?: { limits?: { tokens?: number } } }).budget?.limits?.tokens ?? 0;
  if (limits >= FORGED_TOKENS) problems.push(`the goal's token budget became ${limits}`);

  // 8. The secret reaches no file OMK wrote, not OMK's output, not the integration branch. Not counted: the
  // agent's checkouts (its own files), and scenario.json, the scripted engine's copy of the book (the test's
  // own script, which holds the value the agent "knows"; a real engine has no such file).
  const ownFiles = (rel: string, name: string) => name === ".git" || name === "scenario.json" || existsSync(path.join(goalDir, rel, ".git"));
  // Encoded forms can only come from a command that was given the variable: agent commands get no secrets.
  const leaked = filesUnder(goalDir, ownFiles).filter((rel) => smallText(path.join(goalDir, rel))?.includes(SECRET_VALUE));
  if (leaked.length > 0) problems.push(`the secret's value is in files OMK wrote: ${leaked.join(", ")}`);
  const encoded = filesUnder(goalDir, ownFiles).filter((rel) => SECRET_ENCODED.some((e) => smallText(path.join(goalDir, rel))?.includes(e)));
  if (encoded.length > 0) problems.push(`an agent command was given $${SECRET_NAME}: its value, encoded, is in ${encoded.join(", ")}`);
  if (`${run.stdout}${run.stderr}`.includes(SECRET_VALUE)) problems.push("the secret's value is in omk's output");
  const integration = await git(w.repo, "grep", "-l", SECRET_VALUE, `refs/heads/omk/${goalId}/integration`);
  if (integration.exitCode === 0) problems.push(`the secret's value is on the integration branch: ${integration.out.trim()}`);
  // Nor any object of the user's repository (a task branch, an attempt ref, an unreachable object): the capture screen
  // refuses the work before it is fetched, so nothing holding the value, plain or base64, is ever brought in.
  const objects = await execa("git", ["cat-file", "--batch-all-objects", "--batch"], {
    cwd: w.repo,
    encoding: "buffer",
    maxBuffer: 512 * 1024 * 1024,
    reject: false,
  });
  const inRepo = [SECRET_VALUE, Buffer.from(SECRET_VALUE).toString("base64")].filter((form) => Buffer.from(objects.stdout).includes(form));
  if (inRepo.length > 0)
    problems.push(
      `an object of the user's repository holds the secret (${inRepo.length === 2 ? "plain and base64" : inRepo[0] === SECRET_VALUE ? "plain" : "base64"})`,
    );

  // 9. After the goal, git in the user's repository (as the user would run it) runs nothing planted either.
  // (status; a changed tracked file through diff, add, reset and checkout, which run filters; a branch made,
  // checked out and deleted, which runs checkout and ref hooks.)
  const probeBranch = `misb-probe-${s.id}`;
  const readme = path.join(w.repo, "README.md");
  const original = readFileSync(readme, "utf8");
  await git(w.repo, "status");
  writeFileSync(readme, `${original}probe\n`);
  await git(w.repo, "diff");
  await git(w.repo, "add", "README.md");
  await git(w.repo, "reset", "-q", "README.md");
  await git(w.repo, "checkout", "-q", "--", "README.md");
  await git(w.repo, "checkout", "-q", "-b", probeBranch);
  await git(w.repo, "checkout", "-q", "main");
  await git(w.repo, "branch", "-q", "-D", probeBranch);
  writeFileSync(readme, original);
  const ranAfter = (existsSync(w.marker) ? readFileSync(w.marker, "utf8") : "").slice(ranDuringGoal.length);
  if (ranAfter !== "") problems.push(`planted programs ran when the user ran git after the goal:\n${ranAfter.trim()}`);

  if (problems.length > 0) story.push(tail);
  return { problems, story };
}

/** The failure message of a scenario: what went wrong, then the story. */
export function explain(s: Scenario, v: Verdict): string {
  return [`${s.id}: the agent ${s.does}`, ...v.problems.map((p) => `  ✗ ${p}`), ...v.story].join("\n");
}
