// Confinement with the real bubblewrap: an engine (the scripted agent, a real process) and the
// commands OMK runs for it through its terminal, each in the sandbox the caller's policy describes.
// Hostile writes (a sibling of the checkout, an absolute path outside, OMK's state root, the
// repository's .git, the checkout's own git dir) fail and land nowhere; the checkout's own write lands.
// The probe is checked for real: bwrap missing from PATH, and a bwrap that cannot create namespaces.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { type ConfinementPolicy, confinedArgv, engineVisiblePaths, findCommand, probeConfinement, sandboxPolicy } from "../src/index.js";
import { confinedTurn, ofType, scripted } from "./helpers.js";

const BWRAP = findCommand("bwrap");
// A real folder the sandbox sees read-only (outside /tmp, which is read-only too).
const outsideDir = mkdtempSync(path.join("/var/tmp", "omk-confine-outside-"));
afterAll(() => rmSync(outsideDir, { recursive: true, force: true }));

/** A user's repository, OMK's state root holding a task checkout (own git dir) and the engine's run folder. */
async function world() {
  const base = makeTempDir("omk-confine-");
  const repo = path.join(base, "repo");
  mkdirSync(repo);
  await execa("git", ["init", "-q", repo]);
  const stateRoot = path.join(base, "state");
  const checkout = path.join(stateRoot, "checkouts", "g1", "t1");
  mkdirSync(path.join(checkout, ".git"), { recursive: true });
  writeFileSync(path.join(checkout, ".git", "config"), "[core]\n");
  writeFileSync(path.join(stateRoot, "events.jsonl"), '{"seq":1}\n');
  const sessionDir = path.join(stateRoot, "goals", "g1", "runs", "t1", "1");
  const runDir = path.join(sessionDir, "engine");
  mkdirSync(runDir, { recursive: true });
  const policy = (engine: { command: string; args: readonly string[] }, network: "shared" | "none"): ConfinementPolicy =>
    sandboxPolicy({
      bwrap: BWRAP as string,
      hidden: [stateRoot, path.join(repo, ".git")],
      shownReadOnly: [path.join(repo, ".git", "objects"), sessionDir, ...engineVisiblePaths(engine.command, engine.args, process.env)],
      writable: [checkout, runDir],
      readOnlyAfter: [path.join(checkout, ".git")],
      network,
    });
  const watch = {
    writable: [checkout, runDir],
    readOnly: [{ path: path.join(checkout, ".git"), what: "the task checkout's own .git, read-only" }],
    hidden: [
      { path: stateRoot, what: "OMK's state dir" },
      { path: path.join(repo, ".git"), what: "the user's repository .git" },
    ],
    repo,
  };
  const confinement = (engine: { command: string; args: readonly string[] }) => ({ engine: policy(engine, "shared"), commands: policy(engine, "none"), watch });
  return { base, repo, stateRoot, checkout, runDir, confinement };
}

const sh = (script: string) => ({ command: { command: "/bin/sh", args: ["-c", script] } });

describe.skipIf(BWRAP === undefined)("confinement (real bwrap)", () => {
  it("the policy is an ordered list: / read-only first, hidden folders sealed last, deeper mounts after the folders that hold them", async () => {
    const w = await world();
    const confinement = w.confinement(scripted({ turns: [] }));
    const kinds = confinement.engine.mounts.map((m) => `${m.kind} ${"target" in m && m.target !== undefined ? m.target : (m as { source: string }).source}`);
    expect(kinds[0]).toBe("ro-bind /");
    const index = (entry: string) => kinds.indexOf(entry);
    // The host's /tmp is an empty tmpfs (no host sockets), sealed read-only once the granted paths inside it are bound (a write there fails, no vanishing).
    expect(index("tmpfs /tmp")).toBeGreaterThan(0);
    expect(index("remount-ro /tmp")).toBeGreaterThan(index(`bind ${w.checkout}`));
    expect(index(`tmpfs ${w.stateRoot}`)).toBeGreaterThan(0);
    expect(index(`bind ${w.checkout}`)).toBeGreaterThan(index(`tmpfs ${w.stateRoot}`));
    expect(index(`ro-bind ${path.join(w.checkout, ".git")}`)).toBeGreaterThan(index(`bind ${w.checkout}`));
    expect(index(`ro-bind ${path.join(w.repo, ".git", "objects")}`)).toBeGreaterThan(index(`tmpfs ${path.join(w.repo, ".git")}`));
    expect(kinds.slice(-2).sort()).toEqual([`remount-ro ${path.join(w.repo, ".git")}`, `remount-ro ${w.stateRoot}`].sort());
    expect(confinedArgv(confinement.commands, w.checkout, "ls", []).args).not.toContain("--share-net");
    expect(confinedArgv(confinement.engine, w.checkout, "ls", []).args).toContain("--share-net");
  });

  it("an agent command cannot write a sibling, a path outside, /tmp, OMK's state or the repository's .git, and each refusal is named; its checkout and TMPDIR writes land", async () => {
    const w = await world();
    const outside = path.join(outsideDir, "planted.txt");
    const inTmp = path.join(w.base, "in-tmp.txt");
    const engine = scripted({
      turns: [
        {
          steps: [
            sh("echo forged > ../sibling"),
            sh(`echo forged > ${outside}`),
            sh(`echo '{"type":"budget_extended"}' >> ${path.join(w.stateRoot, "events.jsonl")}`),
            sh(`mkdir -p ${path.join(w.repo, ".git", "hooks")} && echo 'echo pwned' > ${path.join(w.repo, ".git", "hooks", "post-checkout")}`),
            sh(`echo x > ${path.join(w.repo, ".git", "objects", "planted")}`),
            sh("git config core.fsmonitor 'echo pwned' || echo '[core] fsmonitor = x' >> .git/config"),
            sh(`echo private > ${inTmp}`),
            sh('echo ok > inside.txt && echo tmp > "$TMPDIR/own-tmp.txt"'),
          ],
        },
      ],
    });
    const { events, turn } = await confinedTurn(w, engine);
    expect(turn.ok).toBe(true);
    if (!turn.ok) return;
    const exits = turn.value.commandsRun.map((c) => c.exitCode);
    expect(exits.slice(0, 7).every((code) => code !== 0)).toBe(true);
    expect(exits.slice(7)).toEqual([0]);
    expect(readFileSync(path.join(w.runDir, "tmp", "own-tmp.txt"), "utf8")).toBe("tmp\n");
    // Each refusal is a scope event naming the path and what it is.
    const named = ofType(events, "scope").filter((e) => e.source === "sandbox");
    const reasons = named.map((e) => e.reason).join("\n");
    expect(named.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        path.join(w.stateRoot, "checkouts", "g1", "sibling"),
        outside,
        path.join(w.stateRoot, "events.jsonl"),
        path.join(w.repo, ".git", "hooks"),
        inTmp,
      ]),
    );
    expect(reasons).toContain("(OMK's state dir)");
    expect(reasons).toContain("(the user's repository .git)");
    expect(reasons).toContain("(the task checkout's own .git, read-only)");
    expect(named.every((e) => e.access === "write" && e.enforced)).toBe(true);
    expect(existsSync(path.join(w.stateRoot, "checkouts", "g1", "sibling"))).toBe(false);
    expect(existsSync(outside)).toBe(false);
    expect(readFileSync(path.join(w.stateRoot, "events.jsonl"), "utf8")).toBe('{"seq":1}\n');
    expect(existsSync(path.join(w.repo, ".git", "hooks", "post-checkout"))).toBe(false);
    expect(existsSync(path.join(w.repo, ".git", "objects", "planted"))).toBe(false);
    expect(readFileSync(path.join(w.checkout, ".git", "config"), "utf8")).toBe("[core]\n");
    expect(existsSync(inTmp)).toBe(false);
    expect(readFileSync(path.join(w.checkout, "inside.txt"), "utf8")).toBe("ok\n");
  });

  it("the engine process itself is confined: its own direct writes outside fail, inside land; agent commands have no network but loopback", async () => {
    const w = await world();
    const outside = path.join(outsideDir, "engine-direct.txt");
    const engine = scripted({
      turns: [
        {
          steps: [
            { write: { path: outside, content: "x", via: "direct" } },
            { write: { path: path.join(w.stateRoot, "events.jsonl"), content: "forged", via: "direct" } },
            { write: { path: "direct.txt", content: "mine", via: "direct" } },
            // Only loopback in the command's network namespace (the host has more interfaces).
            sh("grep ':' /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ',' > interfaces.txt"),
          ],
        },
      ],
    });
    const { events, turn } = await confinedTurn(w, engine);
    expect(turn.ok).toBe(true);
    expect(existsSync(outside)).toBe(false);
    expect(readFileSync(path.join(w.stateRoot, "events.jsonl"), "utf8")).toBe('{"seq":1}\n');
    expect(readFileSync(path.join(w.checkout, "direct.txt"), "utf8")).toBe("mine");
    expect(readFileSync(path.join(w.checkout, "interfaces.txt"), "utf8")).toBe("lo,");
    const hostInterfaces = readFileSync("/proc/net/dev", "utf8")
      .split("\n")
      .filter((l) => l.includes(":")).length;
    expect(hostInterfaces).toBeGreaterThan(1);
    const failed = ofType(events, "tool_call_finished").filter((e) => e.status === "failed");
    expect(failed.length).toBeGreaterThanOrEqual(2);
    // The engine's own refused writes are named from its failed tool calls' results.
    expect(
      ofType(events, "scope")
        .filter((e) => e.source === "sandbox")
        .map((e) => e.path),
    ).toEqual(expect.arrayContaining([outside, path.join(w.stateRoot, "events.jsonl")]));
  });

  it("probe: this machine can sandbox", async () => {
    const probe = await probeConfinement();
    expect(probe.ok).toBe(true);
    if (probe.ok) expect(probe.value.version).toMatch(/bubblewrap/);
  });

  it("probe: no bwrap on PATH is detected, with the fix", async () => {
    const emptyBin = makeTempDir("omk-confine-nobwrap-");
    const probe = await probeConfinement({ PATH: emptyBin });
    expect(probe.ok).toBe(false);
    if (!probe.ok) {
      expect(probe.error.reason).toBe("bwrap_missing");
      expect(probe.error.fix).toMatch(/install bubblewrap.*--unconfined/);
    }
  });

  it("probe: a bwrap that cannot create user namespaces is detected (the real bwrap, run where namespaces are disabled)", async () => {
    const bin = makeTempDir("omk-confine-nouserns-");
    const wrapper = path.join(bin, "bwrap");
    // The real bwrap, started inside a bwrap sandbox whose user namespaces are disabled (--disable-userns).
    writeFileSync(wrapper, `#!/bin/sh\nexec ${BWRAP} --unshare-user --disable-userns --ro-bind / / --dev /dev --proc /proc -- ${BWRAP} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const probe = await probeConfinement({ PATH: `${bin}:/usr/bin:/bin` });
    expect(probe.ok).toBe(false);
    if (!probe.ok) {
      expect(probe.error.reason).toBe("namespaces_unavailable");
      expect(probe.error.message).toMatch(/cannot create a sandbox/);
      expect(probe.error.fix).toMatch(/user namespaces.*--unconfined/);
    }
  });
});
