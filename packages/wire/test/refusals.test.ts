// Sandbox refusals named (src/refusals.ts): the error lines real tools print when bubblewrap's
// read-only mounts refuse a write (captured from dash, bash, coreutils, git, node and python in a
// bwrap sandbox with LANG=C.UTF-8), turned into paths, and judged against a session's writable set.
import { describe, expect, it } from "vitest";
import { type RefusalWatch, refusedPaths, sandboxRefusals } from "../src/refusals.js";

const checkout = "/work/checkouts/g1/t1";
const watch: RefusalWatch = {
  writable: [checkout, "/state/goals/g1/runs/t1/1/engine", "/home/u/.kimi"],
  readOnly: [{ path: `${checkout}/.git`, what: "the task checkout's own .git, read-only" }],
  hidden: [
    { path: "/state", what: "OMK's state dir" },
    { path: "/repo/.git", what: "the user's repository .git" },
  ],
  repo: "/repo",
  home: "/home/u",
};

const paths = (text: string, cwd = checkout) => sandboxRefusals(text, cwd, watch).map((r) => r.path);

describe("refusedPaths: the path each real error line names", () => {
  const cases: Array<[string, string]> = [
    ["/bin/sh: 3: cannot create /tmp/p/out.txt: Read-only file system", "/tmp/p/out.txt"],
    ["/bin/sh: 3: cannot create /nonexist/out.txt: Directory nonexistent", "/nonexist/out.txt"],
    ["mkdir: cannot create directory ‘/tmp/p/d’: Read-only file system", "/tmp/p/d"],
    ["touch: cannot touch '/tmp/p/t': Read-only file system", "/tmp/p/t"],
    ["cp: cannot create regular file '/tmp/p/c': Read-only file system", "/tmp/p/c"],
    ["tee: /tmp/p/tee: Read-only file system", "/tmp/p/tee"],
    ["bash: line 1: /tmp/p/b: Read-only file system", "/tmp/p/b"],
    ["error: could not lock config file repo/.git/config: Read-only file system", "repo/.git/config"],
    ["Error: EROFS: read-only file system, open '/tmp/p/n'", "/tmp/p/n"],
    ["Error: ENOENT: no such file or directory, open '/state/goals/g1/events.jsonl'", "/state/goals/g1/events.jsonl"],
    ["OSError: [Errno 30] Read-only file system: '/tmp/p/p'", "/tmp/p/p"],
    ["PermissionError: [Errno 13] Permission denied: '/etc/x'", "/etc/x"],
    ["ln: failed to create symbolic link '/tmp/p/l': Read-only file system", "/tmp/p/l"],
    ["sed: couldn't open temporary file /etc/sedcawl8v: Read-only file system", "/etc/sedcawl8v"],
    ["rm: cannot remove '/etc/hostname': Read-only file system", "/etc/hostname"],
  ];
  for (const [line, expected] of cases) {
    it(line, () => {
      expect(refusedPaths(line).map((r) => r.path)).toContain(expected);
    });
  }

  it("skips lines without a refusal, and the program prefix of a shell's message", () => {
    expect(refusedPaths("ok 1 - greets /tmp/x\nwrote ./out.txt")).toEqual([]);
    expect(refusedPaths("/bin/sh: 3: cannot create /tmp/p/out.txt: Read-only file system").map((r) => r.path)).toEqual(["/tmp/p/out.txt"]);
  });
});

describe("sandboxRefusals: which refused paths are a scope violation", () => {
  it("a write outside the checkout, relative or absolute, is one; its message names the path and what it is", () => {
    const text = [
      "/bin/sh: 1: cannot create ../sibling.txt: Read-only file system",
      "/bin/sh: 2: cannot create /tmp/outside/out.txt: Directory nonexistent",
    ].join("\n");
    const found = sandboxRefusals(text, checkout, watch);
    expect(found.map((r) => r.path)).toEqual(["/work/checkouts/g1/sibling.txt", "/tmp/outside/out.txt"]);
    expect(found[0]?.message).toBe("the sandbox refused a write to /work/checkouts/g1/sibling.txt (outside the task's checkout): EROFS");
  });

  it("the user's repository and its .git are named as such, the checkout's own .git too", () => {
    expect(sandboxRefusals("touch: cannot touch '/repo/out.txt': Read-only file system", checkout, watch)[0]?.message).toContain("(the user's repository)");
    expect(sandboxRefusals("mkdir: cannot create directory ‘/repo/.git/hooks’: Read-only file system", checkout, watch)[0]?.message).toContain(
      "(the user's repository .git)",
    );
    const own = sandboxRefusals("error: could not lock config file .git/config: Read-only file system", checkout, watch);
    expect(own.map((r) => r.path)).toEqual([`${checkout}/.git/config`]);
    expect(own[0]?.message).toContain("the task checkout's own .git");
  });

  it("an agent's own git add/commit refused in its checkout's read-only .git is not one; its hooks, config and info are", () => {
    expect(paths(`fatal: Unable to create '${checkout}/.git/index.lock': Read-only file system.`)).toEqual([]);
    expect(paths(`error: unable to write file ${checkout}/.git/objects/ab/cdef: Read-only file system`)).toEqual([]);
    expect(paths("error: could not lock config file .git/config: Read-only file system")).toEqual([`${checkout}/.git/config`]);
    expect(paths(`/bin/sh: 1: cannot create ${checkout}/.git/info/attributes: Read-only file system`)).toEqual([`${checkout}/.git/info/attributes`]);
    expect(paths("fatal: Unable to create '/repo/.git/index.lock': Read-only file system.")).toEqual(["/repo/.git/index.lock"]);
  });

  it("any error naming a hidden folder is one, ENOENT included (reaching for OMK's state)", () => {
    expect(paths("Error: ENOENT: no such file or directory, open '../../events.jsonl'", "/state/goals/g1/worktrees/t1")).toEqual([
      "/state/goals/g1/events.jsonl",
    ]);
    expect(paths("cat: /repo/.git/config: No such file or directory")).toEqual(["/repo/.git/config"]);
  });

  it("a read that finds nothing outside a hidden folder is not one", () => {
    expect(paths("cat: /etc/nothing: No such file or directory")).toEqual([]);
    expect(paths("Error: ENOENT: no such file or directory, open '/usr/lib/x.json'")).toEqual([]);
  });

  it("a refused write into HOME (a tool's cache or log) is not one, unless HOME holds the repository", () => {
    expect(paths("npm WARN logfile could not create logs-dir: Error: EROFS: read-only file system, mkdir '/home/u/.npm/_logs'")).toEqual([]);
    const inHome: RefusalWatch = {
      ...watch,
      repo: "/home/u/repo",
      hidden: [...watch.hidden, { path: "/home/u/repo/.git", what: "the user's repository .git" }],
    };
    expect(sandboxRefusals("touch: cannot touch '/home/u/repo/x': Read-only file system", checkout, inHome).map((r) => r.path)).toEqual(["/home/u/repo/x"]);
    expect(sandboxRefusals("touch: cannot touch '/home/u/repo/.git/x': Read-only file system", checkout, inHome)[0]?.message).toContain(".git");
  });

  it("a refused write into an engine's folder in the user's HOME is one, even under HOME and even where a .git's bookkeeping would be excused (logs/, refs/)", () => {
    const engines: RefusalWatch = {
      ...watch,
      writable: watch.writable.filter((w) => !w.startsWith("/home/u")),
      readOnly: [
        ...watch.readOnly,
        ...["/home/u/.claude", "/home/u/.kimi"].map((p) => ({
          path: p,
          what: "an engine's folder in the user's HOME, read-only: the engine has a HOME of its own",
        })),
      ],
    };
    const judged = sandboxRefusals(
      "/bin/sh: 1: cannot create /home/u/.claude/settings.json: Read-only file system\nmkdir: cannot create directory ‘/home/u/.kimi/logs’: Read-only file system\nmkdir: cannot create directory ‘/home/u/.npm/_logs’: Read-only file system",
      checkout,
      engines,
    );
    expect(judged.map((r) => r.path)).toEqual(["/home/u/.claude/settings.json", "/home/u/.kimi/logs"]);
    expect(judged[0]?.message).toBe(
      "the sandbox refused a write to /home/u/.claude/settings.json (an engine's folder in the user's HOME, read-only: the engine has a HOME of its own): EROFS",
    );
    // The checkout's own .git bookkeeping stays excused.
    expect(sandboxRefusals(`fatal: Unable to create '${checkout}/.git/logs/HEAD.lock': Read-only file system`, checkout, engines)).toEqual([]);
  });

  it("a read-only file system inside the writable set is a write through a symbolic link out of it", () => {
    const found = sandboxRefusals("/bin/sh: 1: cannot create link-to-victim.txt: Read-only file system", checkout, watch);
    expect(found.map((r) => r.path)).toEqual([`${checkout}/link-to-victim.txt`]);
    expect(found[0]?.message).toContain("a symbolic link");
  });

  it("a write inside the writable set that failed for another reason is not one; each path is named once", () => {
    expect(paths("touch: cannot touch 'src/x': Permission denied")).toEqual([]);
    expect(paths("tee: /tmp/o: Read-only file system\ntee: /tmp/o: Read-only file system")).toEqual(["/tmp/o"]);
  });
});
