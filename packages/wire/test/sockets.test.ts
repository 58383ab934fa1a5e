// Host unix sockets are out of the sandbox's reach (real bubblewrap). A read-only bind does not stop
// connect() on a unix socket, so the host's socket folders (/tmp, /run, $XDG_RUNTIME_DIR) are empty
// sealed tmpfs, and a socket the sandbox would still show (named by SSH_AUTH_SOCK, in HOME's ~/.ssh) is
// masked. Live servers listen on the host; an agent command (network unshared) and a process in the
// engine's sandbox (host network shared) try to connect; none gets through, and no server accepts.
// A write to /tmp is still refused and named; the session's TMPDIR under /tmp still takes writes.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { type ConfinementPolicy, confinedArgv, engineVisiblePaths, findCommand, sandboxPolicy } from "../src/index.js";
import { confinedTurn, ofType, scripted } from "./helpers.js";

const BWRAP = findCommand("bwrap");
const cleanup: string[] = [];
const servers: net.Server[] = [];
let accepted = 0;
afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

/** A live unix socket server on the host at `file`; counts every connection it accepts. */
async function listen(file: string): Promise<string> {
  mkdirSync(path.dirname(file), { recursive: true });
  const server = net.createServer((c) => {
    accepted += 1;
    c.on("error", () => undefined);
    c.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(file, resolve);
  });
  servers.push(server);
  return file;
}

const canWrite = (dir: string) => {
  try {
    const probe = mkdtempSync(path.join(dir, "omk-sock-probe-"));
    rmSync(probe, { recursive: true });
    return true;
  } catch {
    return false;
  }
};

/** Node one-liner: connect to each path given, print `<path> CONNECTED` or `<path> FAIL <code>`. */
const CLIENT = `
const net = require("node:net");
(async () => {
  for (const p of process.argv.slice(1)) {
    const line = await new Promise((resolve) => {
      const c = net.connect(p);
      c.once("connect", () => { c.destroy(); resolve(p + " CONNECTED"); });
      c.once("error", (e) => resolve(p + " FAIL " + e.code));
    });
    console.log(line);
  }
})();`;

/** Sockets in each place a host keeps them, a world (repository and state root under /tmp, as in the e2e tests), and the policies. */
async function world() {
  const base = makeTempDir("omk-sock-");
  const hostTmp = mkdtempSync(path.join("/tmp", "omk-sock-host-"));
  const fakeXdg = mkdtempSync(path.join("/var/tmp", "omk-sock-xdg-"));
  const fakeHome = mkdtempSync(path.join("/var/tmp", "omk-sock-home-"));
  const svc = mkdtempSync(path.join("/var/tmp", "omk-sock-svc-"));
  cleanup.push(hostTmp, fakeXdg, fakeHome, svc);
  const sockets: Record<string, string> = {
    tmp: await listen(path.join(hostTmp, "ssh-agent.sock")),
    x11: await listen(path.join(hostTmp, ".X11-unix", "X0")),
    xdg: await listen(path.join(fakeXdg, "bus")),
    sshAuthSock: await listen(path.join(fakeHome, ".1password", "agent.sock")),
    sshControl: await listen(path.join(fakeHome, ".ssh", "cm-git@host:22")),
    // A service's socket in a folder no list names (as /var/snap/lxd/common/lxd/unix.socket, /nix/var/nix/daemon-socket/socket): found in /proc/net/unix.
    elsewhere: await listen(path.join(svc, "lib", "daemon.sock")),
  };
  if (canWrite("/run")) {
    const runDir = mkdtempSync(path.join("/run", "omk-sock-"));
    cleanup.push(runDir);
    sockets["run"] = await listen(path.join(runDir, "docker.sock"));
    sockets["varRun"] = path.join("/var/run", path.basename(runDir), "docker.sock");
  }
  const env = { ...process.env, HOME: fakeHome, XDG_RUNTIME_DIR: fakeXdg, SSH_AUTH_SOCK: sockets["sshAuthSock"] };
  const repo = path.join(base, "repo");
  mkdirSync(repo);
  await execa("git", ["init", "-q", repo]);
  const stateRoot = path.join(base, "state");
  const checkout = path.join(stateRoot, "checkouts", "g1", "t1");
  mkdirSync(path.join(checkout, ".git"), { recursive: true });
  writeFileSync(path.join(checkout, ".git", "config"), "[core]\n");
  const sessionDir = path.join(stateRoot, "goals", "g1", "runs", "t1", "1");
  const runDir = path.join(sessionDir, "engine");
  mkdirSync(path.join(runDir, "tmp"), { recursive: true });
  const policy = (engine: { command: string; args: readonly string[] }, network: "shared" | "none"): ConfinementPolicy =>
    sandboxPolicy({
      bwrap: BWRAP as string,
      hidden: [stateRoot, path.join(repo, ".git")],
      shownReadOnly: [path.join(repo, ".git", "objects"), sessionDir, repo, fakeHome, ...engineVisiblePaths(engine.command, engine.args, env)],
      writable: [checkout, runDir],
      readOnlyAfter: [path.join(checkout, ".git")],
      network,
      env,
    });
  const watch = {
    writable: [checkout, runDir],
    readOnly: [{ path: path.join(checkout, ".git"), what: "the task checkout's own .git, read-only" }],
    hidden: [{ path: stateRoot, what: "OMK's state dir" }],
    repo,
  };
  const confinement = (engine: { command: string; args: readonly string[] }) => ({ engine: policy(engine, "shared"), commands: policy(engine, "none"), watch });
  return { base, hostTmp, checkout, runDir, env, sockets, confinement };
}

/** Each socket's result line, keyed by name, from the client's output. */
const results = (out: string, sockets: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(sockets).map(([name, p]) => [
      name,
      out
        .split("\n")
        .find((l) => l.startsWith(`${p} `))
        ?.slice(p.length + 1) ?? "no line",
    ]),
  );

describe.skipIf(BWRAP === undefined)("host unix sockets (real bwrap)", () => {
  it("unconfined, the client reaches every host socket (the probe can fail)", async () => {
    const w = await world();
    const before = accepted;
    const run = await execa(process.execPath, ["-e", CLIENT, ...Object.values(w.sockets)], { reject: false });
    for (const [name, result] of Object.entries(results(run.stdout, w.sockets))) expect(`${name}: ${result}`).toBe(`${name}: CONNECTED`);
    expect(accepted - before).toBe(Object.keys(w.sockets).length);
  });

  it("the engine's sandbox (host network shared) reaches no host socket in /tmp, /run, /var/run, $XDG_RUNTIME_DIR, SSH_AUTH_SOCK or ~/.ssh", async () => {
    const w = await world();
    const engine = scripted({ turns: [] });
    const before = accepted;
    const argv = confinedArgv(w.confinement(engine).engine, w.checkout, process.execPath, ["-e", CLIENT, ...Object.values(w.sockets)]);
    const run = await execa(argv.command, argv.args, { reject: false, env: w.env });
    expect(run.stderr).toBe("");
    for (const [name, result] of Object.entries(results(run.stdout, w.sockets)))
      expect(`${name}: ${result}`).toMatch(new RegExp(`^${name}: FAIL (ENOENT|ECONNREFUSED)$`));
    expect(accepted - before).toBe(0);
  });

  it("an agent command reaches no host socket; a write to /tmp is refused and named; its TMPDIR (under /tmp) takes writes", async () => {
    const w = await world();
    const before = accepted;
    const clientFile = path.join(w.runDir, "client.js");
    writeFileSync(clientFile, CLIENT);
    const plantTop = path.join("/tmp", `omk-sock-planted-${process.pid}.txt`);
    const plantInHostDir = path.join(w.hostTmp, "planted.txt");
    const sh = (script: string) => ({ command: { command: "/bin/sh", args: ["-c", script] } });
    const engine = scripted({
      turns: [
        {
          steps: [
            sh(`${process.execPath} ${clientFile} ${Object.values(w.sockets).join(" ")} > sockets.txt`),
            sh(`echo forged > ${plantTop}`),
            sh(`echo forged > ${plantInHostDir}`),
            sh('echo tmp > "$TMPDIR/own-tmp.txt"'),
          ],
        },
      ],
    });
    const { events, turn } = await confinedTurn(w, engine);
    expect(turn.ok).toBe(true);
    if (!turn.ok) return;
    expect(turn.value.commandsRun.map((c) => c.exitCode)).toEqual([0, 2, 2, 0]);
    const out = readFileSync(path.join(w.checkout, "sockets.txt"), "utf8");
    for (const [name, result] of Object.entries(results(out, w.sockets)))
      expect(`${name}: ${result}`).toMatch(new RegExp(`^${name}: FAIL (ENOENT|ECONNREFUSED)$`));
    expect(accepted - before).toBe(0);
    expect(existsSync(plantTop)).toBe(false);
    expect(existsSync(plantInHostDir)).toBe(false);
    expect(readFileSync(path.join(w.runDir, "tmp", "own-tmp.txt"), "utf8")).toBe("tmp\n");
    const named = ofType(events, "scope").filter((e) => e.source === "sandbox");
    expect(named.map((e) => e.path)).toEqual(expect.arrayContaining([plantTop, plantInHostDir]));
    expect(named.every((e) => e.access === "write" && e.enforced)).toBe(true);
  });

  it("a granted folder that is itself a socket folder (HOME=/tmp) does not bring the host's sockets back", () => {
    const policy = sandboxPolicy({
      bwrap: BWRAP as string,
      hidden: [],
      shownReadOnly: ["/tmp"],
      writable: ["/tmp"],
      readOnlyAfter: [],
      network: "none",
      env: { HOME: "/tmp" },
    });
    const kinds = policy.mounts.map((m) => `${m.kind} ${"target" in m && m.target !== undefined ? m.target : (m as { source: string }).source}`);
    expect(kinds).toEqual(expect.arrayContaining(["tmpfs /tmp", "remount-ro /tmp", "tmpfs /run"]));
    expect(kinds.filter((k) => k === "bind /tmp" || k === "ro-bind /tmp")).toEqual([]);
  });

  it("an XDG_RUNTIME_DIR inside a writable folder the policy grants (an engine's own run folder) stays writable", () => {
    const runDir = makeTempDir("omk-sock-run-");
    const runtime = path.join(runDir, "xdg-runtime");
    mkdirSync(runtime);
    const policy = sandboxPolicy({
      bwrap: BWRAP as string,
      hidden: [],
      shownReadOnly: [],
      writable: [runDir],
      readOnlyAfter: [],
      network: "none",
      env: { XDG_RUNTIME_DIR: runtime },
    });
    const kinds = policy.mounts.map((m) => `${m.kind} ${"target" in m && m.target !== undefined ? m.target : (m as { source: string }).source}`);
    expect(kinds).toContain(`bind ${runDir}`);
    expect(kinds.filter((k) => k.endsWith(runtime))).toEqual([]);
  });
});
