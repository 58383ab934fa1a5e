import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, filesContaining, initGitRepo, isProcessAlive, makeTempDir, readPids } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { GatesAbortedError, GatesReportSchema, runGates } from "../src/index.js";
import { configOf, fixture, nodeGate, runIn } from "./helpers.js";

afterAll(cleanupTempDirs);

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("runGates with tiny fixture commands", () => {
  it("passes, fails, writes logs with digests and a tail, and a report that parses", async () => {
    const dir = makeTempDir("gates-run-");
    const { report, events, gate } = await runIn(dir, [
      nodeGate("ok", "pass.mjs", [], { kind: "test" }),
      nodeGate("broken", "fail.mjs", ["3"], { kind: "lint" }),
    ]);
    expect(gate("ok")).toMatchObject({ outcome: "passed", exitCode: 0, signal: null, timedOut: false, attempts: [{ outcome: "passed" }] });
    expect(gate("broken")).toMatchObject({ outcome: "failed", exitCode: 3, tail: { stderr: ["error: expected 2, got 3"], stdout: ["running checks"] } });
    expect(report.verdict).toBe("failed");
    expect(report.summary.requiredNotPassing).toEqual(["broken"]);
    const log = path.join(report.outDir, gate("broken")?.logs.stderr.path as string);
    expect(readFileSync(log, "utf8")).toBe("error: expected 2, got 3\n");
    expect(gate("broken")?.logs.stderr.sha256).toBe(sha256(log));
    expect(gate("ok")?.toolVersions["node"]).toBe(process.versions.node);
    expect(GatesReportSchema.parse(JSON.parse(readFileSync(path.join(dir, "out", "report.json"), "utf8")))).toEqual(report);
    expect(events[0]?.type).toBe("run_started");
    expect(events.at(-1)).toMatchObject({ type: "run_finished", verdict: "failed" });
    expect(events.filter((e) => e.type === "gate_finished")).toHaveLength(2);
  });

  it("an optional gate that fails does not fail the wall; a missing command is an error, not a hang", async () => {
    const dir = makeTempDir("gates-run-");
    const { report, gate } = await runIn(dir, [
      nodeGate("lint", "fail.mjs", [], { required: false }),
      { name: "missing", kind: "custom", command: ["omk-no-such-command-here"], required: false },
      nodeGate("elsewhere", "pass.mjs", [], { cwd: "no/such/dir", required: false }),
    ]);
    expect(report.verdict).toBe("passed");
    expect(gate("missing")).toMatchObject({ outcome: "error", exitCode: null });
    expect(gate("missing")?.error).toMatch(/^command not found: omk-no-such-command-here — /);
    expect(gate("elsewhere")).toMatchObject({ outcome: "error", error: expect.stringMatching(/does not exist/) });
  });

  it("refuses at run time a cwd that leaves the project root, lexically (API callers) or through a symlink (issue 14)", async () => {
    const dir = makeTempDir("gates-run-");
    const outside = makeTempDir("gates-outside-");
    const marker = path.join(outside, "ran");
    symlinkSync(outside, path.join(dir, "link-out"));
    mkdirSync(path.join(dir, "inside"));
    symlinkSync(path.join(dir, "inside"), path.join(dir, "link-in"));
    const touch = (name: string, cwd: string) => ({
      name,
      kind: "custom" as const,
      command: [process.execPath, "-e", `require("fs").writeFileSync(${JSON.stringify(marker)}, "x")`],
      cwd,
      required: false,
    });
    // The schema refuses `..` and absolute paths; a caller of the API that skips it is refused by the runner too.
    const config = configOf(touch("via-link", "link-out"), touch("dotdot", "."), touch("absolute", "."), nodeGate("in", "pass.mjs", [], { cwd: "link-in" }));
    (config.gates[1] as { cwd: string }).cwd = `../${path.basename(outside)}`;
    (config.gates[2] as { cwd: string }).cwd = outside;
    const report = await runGates({ root: dir, config, outDir: path.join(dir, "out"), killGraceMs: 500 });
    const gate = (name: string) => report.gates.find((g) => g.name === name);
    expect(gate("via-link")).toMatchObject({
      outcome: "error",
      error: expect.stringMatching(
        /^cwd link-out resolves to .* through a symlink, outside the project root .*: point the gate at a directory inside the project$/,
      ),
    });
    expect(gate("dotdot")).toMatchObject({ outcome: "error", error: expect.stringMatching(/leads out of the project root/) });
    expect(gate("absolute")).toMatchObject({ outcome: "error", error: expect.stringMatching(/is absolute/) });
    expect(gate("in")).toMatchObject({ outcome: "passed" });
    expect(existsSync(marker)).toBe(false);
  });

  it("kills a hanging command's process group at the timeout", async () => {
    const dir = makeTempDir("gates-run-");
    const pids = path.join(dir, "pids");
    // hang.mjs never ends: a runner that did not kill it would run past the test's timeout.
    const { gate } = await runIn(dir, [nodeGate("hang", "hang.mjs", [pids], { timeout: "1s" })]);
    expect(gate("hang")).toMatchObject({ outcome: "timed_out", timedOut: true, signal: "SIGTERM", exitCode: null });
    for (const pid of readPids(pids)) expect(isProcessAlive(pid)).toBe(false);
  });

  it("writes a running gate's log as it goes, so it can be followed", async () => {
    const dir = makeTempDir("gates-run-");
    let seen: string | undefined;
    await runIn(dir, [nodeGate("slow", "hang.mjs", [], { timeout: "2s" })], {
      onEvent: (e) => {
        if (e.type === "gate_started") setTimeout(() => (seen = readFileSync(path.join(dir, "out", "logs", "slow.stdout.log"), "utf8")), 1500);
      },
    });
    expect(seen).toBe("hanging\n");
  });

  it("SIGKILLs a command that ignores SIGTERM after the grace period", async () => {
    const dir = makeTempDir("gates-run-");
    const pids = path.join(dir, "pids");
    const { gate } = await runIn(dir, [nodeGate("stubborn", "ignore-sigterm.mjs", [pids], { timeout: 1 })]);
    expect(gate("stubborn")).toMatchObject({ outcome: "timed_out", signal: "SIGKILL" });
    expect(gate("stubborn")?.tail.stdout).toContain("ignoring SIGTERM");
    for (const pid of readPids(pids)) expect(isProcessAlive(pid)).toBe(false);
  });

  it("kills children that outlive the command (even ones ignoring SIGTERM) and does not hang on their pipes", async () => {
    const dir = makeTempDir("gates-run-");
    const polite = path.join(dir, "polite");
    const stubborn = path.join(dir, "stubborn");
    // The children never end on their own: a runner waiting on their pipes would run past the test's timeout.
    const { gate } = await runIn(dir, [
      nodeGate("polite", "spawn-children.mjs", [polite]),
      nodeGate("stubborn", "spawn-children.mjs", [stubborn, "0", "stubborn"]),
    ]);
    for (const name of ["polite", "stubborn"]) {
      expect(gate(name)).toMatchObject({ outcome: "passed", exitCode: 0 });
      expect(gate(name)?.notes.join("\n")).toMatch(/left running .* were killed/);
    }
    const all = [...readPids(polite), ...readPids(stubborn)];
    expect(all).toHaveLength(6);
    for (const pid of all) expect(isProcessAlive(pid)).toBe(false);
  });

  it("marks a failure that passes on retry as flaky, which is not a pass", async () => {
    const dir = makeTempDir("gates-run-");
    const { report, gate } = await runIn(dir, [
      nodeGate("flaky", "flaky.mjs", [path.join(dir, "count-a"), "1"], { retries: 2 }),
      nodeGate("no-retry", "flaky.mjs", [path.join(dir, "count-b"), "1"]),
    ]);
    expect(gate("flaky")).toMatchObject({
      outcome: "flaky",
      exitCode: 0,
      attempts: [
        { attempt: 1, outcome: "failed" },
        { attempt: 2, outcome: "passed" },
      ],
    });
    expect(readFileSync(path.join(report.outDir, "logs", "flaky.stdout.log"), "utf8")).toContain("==> omk-gates: attempt 2 of 3");
    expect(gate("no-retry")).toMatchObject({ outcome: "failed", attempts: [{ outcome: "failed" }] });
    expect(report.verdict).toBe("failed");
    expect(report.summary.requiredNotPassing).toEqual(["flaky", "no-retry"]);
  });

  it("caps a 20 MB output, keeping head and tail, with the sha256 of the file as written", async () => {
    const dir = makeTempDir("gates-run-");
    const cap = 256 * 1024;
    const { gate, report } = await runIn(dir, [nodeGate("loud", "big-output.mjs", ["20"])], { logCap: cap });
    const result = gate("loud");
    expect(result?.outcome).toBe("passed");
    const log = path.join(report.outDir, result?.logs.stdout.path as string);
    expect(result?.logs.stdout).toMatchObject({ truncated: true, sha256: sha256(log), bytes: statSync(log).size });
    expect(result?.logs.stdout.totalBytes).toBeGreaterThan(20_000_000);
    expect(statSync(log).size).toBeLessThan(cap + 1024);
    const text = readFileSync(log, "utf8");
    expect(text.startsWith("x".repeat(90))).toBe(true);
    expect(text).toMatch(/\[omk-gates: \d+ bytes left out here/);
    expect(text.endsWith("done\n")).toBe(true);
    expect(result?.tail.stdout.at(-1)).toBe("done");
  });

  it("redacts secrets from every file it writes: env values (split across chunks), token shapes, key blocks, argv", async () => {
    const dir = makeTempDir("gates-run-");
    const token = `tok_${createHash("sha256").update(String(Math.random())).digest("hex").slice(0, 24)}`;
    const ghp = `ghp_${"A1b2C3d4E5".repeat(4).slice(0, 36)}`;
    const hidden = "hunter2-not-for-gates-123";
    const { report, gate, events } = await runIn(
      dir,
      [
        nodeGate("leaky", "print-secret.mjs", [], { env: ["API_TOKEN"] }),
        nodeGate("env", "print-env.mjs", ["DEPLOY_PASSWORD", "API_TOKEN", "HOME_DIR_PLAIN"]),
        nodeGate("argv", "fail.mjs", [`--token=${ghp}`]),
      ],
      { env: { ...process.env, API_TOKEN: token, GH_SHAPE: ghp, DEPLOY_PASSWORD: hidden, HOME_DIR_PLAIN: "visible-value" } },
    );
    expect(gate("leaky")?.outcome).toBe("passed");
    for (const secret of [token, ghp, hidden, "AKIAIOSFODNN7EXAMPLE", "MIIEpAIBAAKCAQEA7bq", "Zm9vYmFyYmF6"]) {
      expect(filesContaining(report.outDir, secret), secret).toEqual([]);
    }
    const out = readFileSync(path.join(report.outDir, "logs", "leaky.stdout.log"), "utf8");
    expect(out).toContain("token is [REDACTED:env:API_TOKEN] (do not share)");
    expect(out).toContain("github: [REDACTED:github-token]");
    const err = readFileSync(path.join(report.outDir, "logs", "leaky.stderr.log"), "utf8");
    expect(err).toContain("[REDACTED:private-key]");
    expect(err).toContain("after key");
    // Secret-looking variables are withheld from gates unless allowlisted.
    expect(gate("env")?.tail.stdout).toEqual(["DEPLOY_PASSWORD is unset", "API_TOKEN is unset", "HOME_DIR_PLAIN=visible-value"]);
    expect(gate("argv")?.command.join(" ")).toContain("--token=[REDACTED:github-token]");
    // What the runner emits (events a CLI may print or log) is redacted too.
    for (const secret of [token, ghp, hidden]) expect(JSON.stringify(events)).not.toContain(secret);
  });

  it("aborts: kills running gates, skips the rest, throws with the partial report", async () => {
    const dir = makeTempDir("gates-run-");
    const pids = path.join(dir, "pids");
    const controller = new AbortController();
    const run = runGates({
      root: dir,
      outDir: path.join(dir, "out"),
      config: configOf(nodeGate("hang", "hang.mjs", [pids]), nodeGate("later", "pass.mjs", [], { needs: ["hang"] })),
      killGraceMs: 500,
      signal: controller.signal,
      onEvent: (e) => {
        // Abort once the gate process is really up (it records its pid first), however slow the machine.
        const abortWhenUp = () => (existsSync(pids) ? controller.abort() : setTimeout(abortWhenUp, 20));
        if (e.type === "gate_started") abortWhenUp();
      },
    });
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatesAbortedError);
    const partial = GatesReportSchema.parse((error as GatesAbortedError).partial);
    expect(partial.gates.map((g) => [g.name, g.outcome])).toEqual([
      ["hang", "error"],
      ["later", "skipped"],
    ]);
    for (const pid of readPids(pids)) expect(isProcessAlive(pid)).toBe(false);
  });

  it("runs independent gates in parallel under the limit, and a gate after the gates it needs", async () => {
    const dir = makeTempDir("gates-run-");
    const order = (events: Array<{ type: string; name?: string; result?: { name: string } }>) =>
      events
        .filter((e) => e.type === "gate_started" || e.type === "gate_finished")
        .map((e) => `${e.type === "gate_started" ? "start" : "end"}:${e.name ?? e.result?.name}`);
    const gates = [nodeGate("a", "sleep.mjs", ["400"]), nodeGate("b", "sleep.mjs", ["400"])];
    const parallel = await runIn(dir, gates, { parallelism: 2, outDir: path.join(dir, "p") });
    expect(order(parallel.events).slice(0, 2)).toEqual(["start:a", "start:b"]);
    const serial = await runIn(dir, gates, { parallelism: 1, outDir: path.join(dir, "s") });
    expect(order(serial.events)).toEqual(["start:a", "end:a", "start:b", "end:b"]);
    const needs = await runIn(dir, [nodeGate("build", "fail.mjs"), nodeGate("test", "pass.mjs", [], { needs: ["build"] }), nodeGate("other", "pass.mjs")], {
      outDir: path.join(dir, "n"),
    });
    expect(needs.gate("test")).toMatchObject({ outcome: "skipped", error: "needs build (failed)" });
    expect(needs.gate("other")?.outcome).toBe("passed");
    const only = await runIn(dir, [nodeGate("build", "pass.mjs"), nodeGate("test", "pass.mjs", [], { needs: ["build"] }), nodeGate("other", "pass.mjs")], {
      outDir: path.join(dir, "o"),
      only: ["test"],
    });
    expect(only.report.gates.map((g) => g.name)).toEqual(["build", "test"]);
  });

  it("reads JUnit cases (a stale report is removed first), benchmark figures, and tool versions when asked", async () => {
    const dir = makeTempDir("gates-run-");
    writeFileSync(path.join(dir, "cases.json"), JSON.stringify({ adds: "pass", subtracts: "fail", later: "skip" }));
    const junit = { junit: "reports/junit.xml" };
    mkdirSync(path.join(dir, "stale", "reports"), { recursive: true });
    writeFileSync(path.join(dir, "stale", "reports", "junit.xml"), '<testsuite name="old"><testcase name="old"/></testsuite>');
    const { gate, report } = await runIn(dir, [
      nodeGate("unit", "write-junit.mjs", ["reports/junit.xml"], { kind: "test", ...junit }),
      nodeGate("nojunit", "pass.mjs", [], { cwd: "stale", ...junit, toolVersion: true }),
      nodeGate("bench", "figure.mjs", ["12.5"], { kind: "benchmark", benchmark: { runs: 3, figure: { regex: "elapsed: ([0-9.]+) ms" } } }),
      nodeGate("bench-json", "figure.mjs", ["7"], { kind: "benchmark", benchmark: { runs: 2, figure: { json: "results.0.median" } } }),
      nodeGate("bench-none", "pass.mjs", [], { kind: "benchmark", required: false, benchmark: { runs: 2, figure: { regex: "elapsed: (\\d+)" } } }),
    ]);
    expect(gate("unit")).toMatchObject({
      outcome: "failed",
      tests: [
        { id: "suite::adds", outcome: "passed" },
        { id: "suite::subtracts", outcome: "failed", message: "subtracts broke" },
        { id: "suite::later", outcome: "skipped" },
      ],
    });
    expect(gate("unit")?.junit?.sha256).toBe(sha256(path.join(report.outDir, "logs", "unit.junit.xml")));
    expect(gate("nojunit")?.tests).toBeUndefined();
    expect(gate("nojunit")?.notes).toContain("attempt 1: the JUnit report reports/junit.xml was not written");
    expect(gate("nojunit")?.toolVersions[process.execPath]).toBe(process.version);
    expect(gate("bench")).toMatchObject({ outcome: "passed", benchmark: { samples: [12.5, 12.5, 12.5], median: 12.5, better: "lower", maxRatio: 1.1 } });
    expect(gate("bench")?.attempts).toHaveLength(3);
    expect(gate("bench-json")?.benchmark?.median).toBe(7);
    expect(gate("bench-none")).toMatchObject({ outcome: "error", error: expect.stringMatching(/no figure/) });
  });

  it("records the commit and dirty flag of the tree (its own output directory does not count)", async () => {
    const dir = makeTempDir("gates-repo-");
    const head = await initGitRepo(dir, { "README.md": "# r\n", ".gitignore": "" });
    const clean = await runIn(dir, [nodeGate("ok", "pass.mjs")], { outDir: path.join(dir, "out", "1") });
    expect(clean.report).toMatchObject({ commit: head, dirty: false });
    expect(clean.gate("ok")).toMatchObject({ commit: head, dirty: false });
    // Earlier runs' output is untracked junk unless excluded too (the bin excludes its runs folder).
    const again = await runIn(dir, [nodeGate("ok", "pass.mjs")], { outDir: path.join(dir, "out", "2"), dirtyExclude: [path.join(dir, "out")] });
    expect(again.report.dirty).toBe(false);
    writeFileSync(path.join(dir, "README.md"), "# changed\n");
    const dirty = await runIn(dir, [nodeGate("ok", "pass.mjs")], { outDir: path.join(dir, "out", "3"), dirtyExclude: [path.join(dir, "out")] });
    expect(dirty.report).toMatchObject({ commit: head, dirty: true });
    const outside = await runIn(makeTempDir("gates-nogit-"), [nodeGate("ok", "pass.mjs")]);
    expect(outside.report).toMatchObject({ commit: null, dirty: null });
  });
});

describe("gates run in needs order, and one gate's exception is that gate's error", () => {
  it("runs a gate that needs one listed after it (after it, not a crash)", async () => {
    const dir = makeTempDir("gates-run-");
    const { report, gate, events } = await runIn(dir, [
      nodeGate("test", "pass.mjs", [], { needs: ["build"] }),
      nodeGate("build", "pass.mjs"),
      nodeGate("e2e", "pass.mjs", [], { needs: ["test", "build"] }),
    ]);
    expect(report.verdict).toBe("passed");
    expect(report.gates.map((g) => g.name)).toEqual(["test", "build", "e2e"]);
    expect(gate("test")?.outcome).toBe("passed");
    const started = events.filter((e) => e.type === "gate_started").map((e) => (e.type === "gate_started" ? e.name : ""));
    expect(started).toEqual(["build", "test", "e2e"]);
  });

  it("an exception inside one gate is that gate's error: the others run, report.json is written", async () => {
    const dir = makeTempDir("gates-run-");
    mkdirSync(path.join(dir, "reports"));
    const makeDir = [process.execPath, "-e", "require('node:fs').mkdirSync('made')"];
    const { report, gate } = await runIn(dir, [
      nodeGate("unit", "pass.mjs", [], { junit: "reports" }),
      { name: "mkdir", kind: "test", command: makeDir, junit: "made" },
      nodeGate("other", "pass.mjs"),
    ]);
    expect(gate("unit")).toMatchObject({ outcome: "error", error: expect.stringMatching(/junit: reports is a directory/) });
    expect(gate("mkdir")).toMatchObject({ outcome: "error", error: expect.stringMatching(/the runner failed on this gate: .*EISDIR/) });
    expect(gate("other")?.outcome).toBe("passed");
    expect(report.verdict).toBe("failed");
    expect(GatesReportSchema.parse(JSON.parse(readFileSync(path.join(dir, "out", "report.json"), "utf8"))).gates).toHaveLength(3);
    expect(readFileSync(path.join(report.outDir, gate("mkdir")?.logs.stderr.path as string), "utf8")).toMatch(/EISDIR/);
  });
});

describe("capped logs keep whole characters; a retried gate reports only its last attempt's JUnit cases", () => {
  it("keeps the head and tail of a capped log on UTF-8 character boundaries", async () => {
    const dir = makeTempDir("gates-run-");
    // 3-byte characters in odd-sized chunks; a cap that is not a multiple of 3 on either side.
    const script = "let i = 0; const t = setInterval(() => { process.stdout.write('\u20ac'.repeat(333) + 'x'); if (++i === 40) clearInterval(t); }, 1);";
    const { gate, report } = await runIn(dir, [{ name: "euro", kind: "custom", command: [process.execPath, "-e", script] }], { logCap: 1001 });
    const log = readFileSync(path.join(report.outDir, gate("euro")?.logs.stdout.path as string));
    expect(gate("euro")?.logs.stdout.truncated).toBe(true);
    const text = new TextDecoder("utf-8", { fatal: true }).decode(log);
    expect(text).not.toContain("\ufffd");
    expect(text.endsWith("x")).toBe(true);
  });

  it("does not report an earlier attempt's JUnit cases when the last attempt wrote no report", async () => {
    const dir = makeTempDir("gates-run-");
    const xml = '<testsuite name="s"><testcase classname="s" name="a"><failure message="no"/></testcase></testsuite>';
    const script = `const fs = require('node:fs'); if (!fs.existsSync('tried')) { fs.writeFileSync('tried', ''); fs.writeFileSync('junit.xml', ${JSON.stringify(xml)}); } process.exit(1);`;
    const { gate } = await runIn(dir, [{ name: "unit", kind: "test", command: [process.execPath, "-e", script], junit: "junit.xml", retries: 1 }]);
    expect(gate("unit")?.attempts).toHaveLength(2);
    expect(gate("unit")?.tests).toBeUndefined();
    expect(gate("unit")?.junit).toBeUndefined();
    expect(gate("unit")?.notes).toContain("attempt 2: the JUnit report junit.xml was not written");
  });
});

describe("fixture paths", () => {
  it("exist", () => {
    expect(statSync(fixture("pass.mjs")).isFile()).toBe(true);
  });
});
