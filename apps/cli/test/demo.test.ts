// `omk demo` through the built binary, run from the npm package (as `npx omk demo` runs it): the example
// project, the scripted engine, two rounds, a proof that holds.
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { goalPaths, ProofSchema } from "@omk/state";
import { cleanupTempDirs, makeTempDir, type OmkRun } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findExampleDir } from "../src/commands/demo.js";
import { scriptBookSchemaPath } from "../src/shipped.js";

/** The demo's own temporary folders (the repository copy), printed by the demo; removed after the tests. */
const demoDirs: string[] = [];
afterAll(() => {
  for (const dir of demoDirs) rmSync(dir, { recursive: true, force: true });
  cleanupTempDirs();
});

const CLI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

type Packed = { bin: string; root: string; files: string[] };

/**
 * The package as npm ships it: `npm pack` of the built CLI, unpacked, with the
 * workspace's node_modules linked in for its runtime dependencies. Running
 * this copy is `npx omk demo`'s layout (the example is found from dist/ of
 * the package), and keeps the test clear of other rebuilds of apps/cli/dist.
 */
async function packOmk(): Promise<Packed> {
  const dir = makeTempDir("omk-demo-pack-");
  const { stdout } = await execa("npm", ["pack", "--json", "--pack-destination", dir], {
    cwd: CLI_DIR,
    env: { ...process.env, npm_config_loglevel: "silent" },
  });
  const info = (JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0];
  if (info === undefined) throw new Error(`npm pack printed no package: ${stdout}`);
  await execa("tar", ["xzf", path.join(dir, info.filename), "-C", dir]);
  const root = path.join(dir, "package");
  symlinkSync(path.join(CLI_DIR, "node_modules"), path.join(root, "node_modules"), "dir");
  return { bin: path.join(root, "dist", "bin.js"), root, files: info.files.map((f) => f.path) };
}

/** Like test-fixtures' runOmk, for the packed binary. */
async function runPacked(bin: string, args: string[], stateDir: string): Promise<OmkRun> {
  const r = await execa(process.execPath, [bin, ...args], {
    reject: false,
    cwd: stateDir,
    env: { OMK_STATE_DIR: stateDir, NO_COLOR: "1", CI: "true" },
    stdin: "ignore",
  });
  const stdout = String(r.stdout);
  return { exitCode: r.exitCode ?? -1, stdout, stderr: String(r.stderr), json: () => JSON.parse(stdout) };
}

let packed: Packed;
beforeAll(async () => {
  // Other test runs may be rebuilding dist/ (tsup empties it first): pack again until the build is whole.
  for (let attempt = 1; ; attempt++) {
    packed = await packOmk();
    const whole = ["dist/bin.js", "dist/scripted-agent.js"].every((f) => packed.files.includes(f));
    if (whole || attempt === 5) break;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
}, 120_000);

type LoggedEvent = { seq: number; ts: string; type: string; data: Record<string, unknown> };

function readEvents(file: string): LoggedEvent[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LoggedEvent);
}

describe("omk demo", () => {
  it("runs a real goal on the example project: two tasks in parallel, a gate failing in round 1, fix-r2 in round 2, ready with a proof that verifies", async () => {
    const stateDir = makeTempDir("omk-demo-state-");
    const run = await runPacked(packed.bin, ["demo"], stateDir);
    const demoDir = /everything is under (\S+)/.exec(run.stdout)?.[1];
    if (demoDir !== undefined) demoDirs.push(demoDir);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(demoDir !== undefined && existsSync(path.join(demoDir, "textkit", ".git")), "the demo's repository is a git repository").toBe(true);

    const printed = [...run.stdout.matchAll(/(\/\S*\/proof\.json)\b/g)].map((m) => m[1] as string);
    expect(printed.length, run.stdout).toBeGreaterThan(0);
    const proofFile = printed.at(-1) as string;
    expect(proofFile.startsWith(stateDir), "the proof lives under OMK_STATE_DIR").toBe(true);
    expect(existsSync(proofFile)).toBe(true);
    const proof = ProofSchema.parse(JSON.parse(readFileSync(proofFile, "utf8")));
    expect(proof.status).toBe("ready");
    expect(proof.tasks.length).toBeGreaterThanOrEqual(3);
    expect(proof.tasks.map((t) => t.id)).toEqual(expect.arrayContaining(["slugify", "title-case", "docs", "fix-r2"]));

    const events = readEvents(goalPaths(stateDir, proof.goalId).events);
    // Two tasks overlapped: a second task was dispatched before the first one succeeded.
    const dispatched = events.filter((e) => e.type === "task_dispatched");
    const succeededAt = (taskId: unknown) => events.find((e) => e.type === "task_succeeded" && e.data["taskId"] === taskId)?.seq ?? Number.POSITIVE_INFINITY;
    const overlapping = dispatched.flatMap((first) =>
      dispatched
        .filter((second) => second.seq > first.seq && second.data["taskId"] !== first.data["taskId"] && second.seq < succeededAt(first.data["taskId"]))
        .map((second) => [first.data["taskId"], second.data["taskId"]]),
    );
    expect(overlapping.map((pair) => [...pair].sort())).toContainEqual(["slugify", "title-case"]);
    // Round 1 was not ready; round 2 ran the controller's follow-up fix-r2.
    const round2 = events.find((e) => e.type === "round_started" && e.data["round"] === 2);
    expect(round2?.data["followUps"]).toContain("fix-r2");
    expect(events.some((e) => e.type === "task_succeeded" && e.data["taskId"] === "fix-r2")).toBe(true);
    // fix-r2 was planned from round 1's evidence: its prompt carries the failing gate and the failing case.
    const fixPrompt = readFileSync(path.join(goalPaths(stateDir, proof.goalId).runs, "fix-r2", "1", "prompt.md"), "utf8");
    expect(fixPrompt).toContain("gate test failed");
    expect(fixPrompt).toContain("The Lord Of The Rings");

    const verify = await runPacked(packed.bin, ["proof", "verify", proofFile], stateDir);
    expect(verify.exitCode, `${verify.stdout}\n${verify.stderr}`).toBe(0);
  }, 240_000);

  it("without OMK_STATE_DIR the demo keeps its own state, and every printed omk command names it: each runs as printed", async () => {
    const home = makeTempDir("omk-demo-home-");
    // An `omk` on PATH that is the packed binary, so the printed lines run in a shell as a user would paste them.
    const bin = makeTempDir("omk-demo-bin-");
    writeFileSync(path.join(bin, "omk"), `#!/bin/sh\nexec "${process.execPath}" "${packed.bin}" "$@"\n`, { mode: 0o755 });
    const env = {
      OMK_STATE_DIR: "",
      XDG_STATE_HOME: path.join(home, "state"),
      HOME: home,
      NO_COLOR: "1",
      CI: "true",
      PATH: `${bin}:${process.env["PATH"] ?? ""}`,
    };
    const run = await execa(process.execPath, [packed.bin, "demo"], { reject: false, cwd: home, env, stdin: "ignore" });
    const stdout = String(run.stdout);
    const demoDir = /everything is under (\S+)/.exec(stdout)?.[1];
    if (demoDir !== undefined) demoDirs.push(demoDir);
    expect(run.exitCode, `${stdout}\n${String(run.stderr)}`).toBe(0);
    const stateRoot = /^ {2}state {7}(\S+)$/m.exec(stdout)?.[1] ?? "";
    expect(stateRoot.startsWith(demoDir ?? "?"), stdout).toBe(true);
    // `next:` and its continuation line, and the demo's own re-check / goal lines.
    const commands = [...stdout.matchAll(/^(?:next: | {6}| {2}the goal: {2}| {2}re-check: {2})(.*\bomk .*)$/gm)].map((m) => (m[1] ?? "").trim());
    expect(commands.length, stdout).toBeGreaterThanOrEqual(4);
    for (const command of commands) {
      expect(command, "names the demo's state dir").toMatch(new RegExp(`^OMK_STATE_DIR=${stateRoot} omk `));
      const r = await execa("sh", ["-c", command], { reject: false, cwd: home, env, stdin: "ignore" });
      expect(r.exitCode, `${command}\n${String(r.stdout)}\n${String(r.stderr)}`).toBe(0);
    }
    expect(commands).toContainEqual(expect.stringMatching(/ omk proof verify \S+\/proof\.json$/));
    expect(commands).toContainEqual(expect.stringMatching(/ omk goal accept \S+$/));
    // Nothing went to the user's own state dir.
    expect(existsSync(path.join(home, "state", "omk"))).toBe(false);
  }, 300_000);

  it("ships the example and the script book's schema in the npm package and finds them from the built and the source files", async () => {
    const listed = [
      "examples/demo/script.yaml",
      "examples/demo/repo/package.json",
      "examples/demo/repo/.omk/gates.yaml",
      "examples/demo/repo/gitignore",
      "dist/script-book.schema.json",
    ];
    const { stdout } = await execa("npm", ["pack", "--dry-run", "--json"], { cwd: CLI_DIR, env: { ...process.env, npm_config_loglevel: "silent" } });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? [];
    expect(files).toEqual(expect.arrayContaining(listed));
    expect(packed.files).toEqual(expect.arrayContaining(listed));
    expect(findExampleDir(path.join(packed.root, "dist"))).toBe(path.join(packed.root, "examples", "demo"));
    const example = path.join(CLI_DIR, "examples", "demo");
    expect(findExampleDir(path.join(CLI_DIR, "dist"))).toBe(example);
    expect(findExampleDir(path.join(CLI_DIR, "src", "commands"))).toBe(example);
    expect(findExampleDir(makeTempDir("omk-no-example-"))).toBeUndefined();
    // The schema a bad book's fix names: the packed copy beside the bundle is docs/schemas' file; from sources, docs/schemas itself.
    const docsSchema = path.resolve(CLI_DIR, "..", "..", "docs", "schemas", "script-book.schema.json");
    expect(scriptBookSchemaPath(path.join(packed.root, "dist"))).toBe(path.join(packed.root, "dist", "script-book.schema.json"));
    expect(readFileSync(path.join(packed.root, "dist", "script-book.schema.json"), "utf8")).toBe(readFileSync(docsSchema, "utf8"));
    expect(scriptBookSchemaPath(path.join(CLI_DIR, "src"))).toBe(docsSchema);
  });
});
