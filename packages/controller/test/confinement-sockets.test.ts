// The controller's session sandbox (internal/confinement.ts) hides the host socket folders of the
// engine's own environment too: an XDG_RUNTIME_DIR the engine is given, and a socket its SSH_AUTH_SOCK names
// (outside any socket folder) is masked. Checked on the policy the session would run; the real bwrap runs
// of the same policy are in @omk/wire's test/sockets.test.ts.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { makeTempDir } from "@omk/test-fixtures";
import { findCommand } from "@omk/wire";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { sessionConfinement } from "@omk/proof";

const BWRAP = findCommand("bwrap");
const cleanup: string[] = [];
const servers: net.Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(BWRAP === undefined)("session confinement: host sockets of the engine's environment", () => {
  it("hides the engine's XDG_RUNTIME_DIR and masks the socket its SSH_AUTH_SOCK names, for the engine and its commands", async () => {
    const base = makeTempDir("omk-ctl-sock-");
    const repo = path.join(base, "repo");
    mkdirSync(repo);
    await execa("git", ["init", "-q", repo]);
    const runtime = mkdtempSync(path.join("/var/tmp", "omk-ctl-xdg-"));
    const home = mkdtempSync(path.join("/var/tmp", "omk-ctl-home-"));
    cleanup.push(runtime, home);
    const agentSock = path.join(home, "agent.sock");
    const server = net.createServer((c) => c.destroy());
    await new Promise<void>((resolve) => server.listen(agentSock, resolve));
    servers.push(server);
    const cwd = path.join(base, "state", "checkouts", "t1");
    mkdirSync(cwd, { recursive: true });
    const confinement = sessionConfinement(
      { mode: "bwrap", bwrap: BWRAP as string },
      { name: "scripted", protocol: "acp", command: process.execPath, env: { XDG_RUNTIME_DIR: runtime, SSH_AUTH_SOCK: agentSock } },
      { ...process.env, HOME: home },
      {
        stateRoot: path.join(base, "state"),
        repo,
        cwd,
        writableRoot: true,
        sessionDir: path.join(base, "state", "s1"),
        engineRunDir: path.join(base, "state", "s1", "engine"),
        commandsRunDir: path.join(base, "state", "s1", "commands"),
      },
    );
    expect(confinement).toBeDefined();
    for (const policy of [confinement?.engine, confinement?.commands]) {
      const kinds = (policy?.mounts ?? []).map((m) => `${m.kind} ${"target" in m && m.target !== undefined ? m.target : (m as { source: string }).source}`);
      expect(kinds).toEqual(expect.arrayContaining(["tmpfs /tmp", "tmpfs /run", `tmpfs ${runtime}`, `remount-ro ${runtime}`, `ro-bind ${agentSock}`]));
      expect(policy?.mounts).toContainEqual({ kind: "ro-bind", source: "/dev/null", target: agentSock });
    }
  });
});
