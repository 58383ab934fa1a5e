// How printed commands name the CLI (src/invocation.ts; docs/decisions/printed-commands.md): `omk` only
// where PATH's omk is this very bin file (runner-injected PATH dirs not counted), `npx --no omk` under npx (a project's install),
// else the form that ran it. Real files, symlinks and shims in temp dirs; no mocks.
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectCli, printable, shellWord, statePrefix } from "../src/invocation.js";

afterAll(cleanupTempDirs);

/** A fake package install: <root>/pkg/dist/bin.js, executable, and a node "binary" dir. */
function install() {
  const root = makeTempDir("omk-invocation-");
  const bin = path.join(root, "pkg", "dist", "bin.js");
  mkdirSync(path.dirname(bin), { recursive: true });
  writeFileSync(bin, "#!/usr/bin/env node\n");
  chmodSync(bin, 0o755);
  const nodeDir = path.join(root, "node-bin");
  mkdirSync(nodeDir);
  const node = path.join(nodeDir, "node");
  writeFileSync(node, "#!/bin/sh\n");
  chmodSync(node, 0o755);
  const dir = (name: string) => {
    const d = path.join(root, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const source = (env: NodeJS.ProcessEnv, extra: { script?: string; execPath?: string; execArgv?: string[] } = {}) => ({
    env,
    script: extra.script ?? bin,
    execPath: extra.execPath ?? node,
    execArgv: extra.execArgv ?? [],
    cwd: root,
  });
  return { root, bin, node, nodeDir, dir, source };
}

describe("detectCli", () => {
  it("no omk on PATH: the form that ran it, `node <abs bin>` (node spelled as its path when PATH's node is another)", () => {
    const t = install();
    expect(detectCli(t.source({ PATH: t.nodeDir }))).toBe(`node ${t.bin}`);
    expect(detectCli(t.source({ PATH: t.nodeDir }, { execArgv: ["--import", "tsx"] }))).toBe(`node --import tsx ${t.bin}`);
    expect(detectCli(t.source({ PATH: "/nonexistent" }))).toBe(`${t.node} ${t.bin}`);
    // A relative script path is made absolute (the printed command works from any folder).
    expect(detectCli(t.source({ PATH: t.nodeDir }, { script: path.join("pkg", "dist", "bin.js") }))).toBe(`node ${t.bin}`);
  });

  it("a hostile word (quotes, $(…), backticks, spaces) pasted into bash is that word, and runs nothing", async () => {
    const dir = makeTempDir("omk-invocation-words-");
    const marker = path.join(dir, "ran");
    for (const word of [`it's $(touch ${marker})`, `\`touch ${marker}\``, "a\nb; touch ran", "'", "", "plain-word_1.2/x@y"]) {
      const r = await execa("bash", ["-c", `printf %s ${shellWord(word)}`], { cwd: dir });
      expect(r.stdout).toBe(word);
    }
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(dir, "ran"))).toBe(false);
  });

  it("a path with a space or a quote is one shell word", () => {
    const t = install();
    const spaced = path.join(t.dir("my dir's"), "bin.js");
    writeFileSync(spaced, "");
    expect(detectCli(t.source({ PATH: t.nodeDir }, { script: spaced }))).toBe(`node ${shellWord(spaced)}`);
    expect(shellWord(spaced)).toMatch(/^'.*'$/);
  });

  it("omk on PATH linked to this bin: `omk`; linked to another bin, or shadowed by another omk first: not", () => {
    const t = install();
    const links = t.dir("links");
    symlinkSync(t.bin, path.join(links, "omk"));
    expect(detectCli(t.source({ PATH: `${t.nodeDir}:${links}` }))).toBe("omk");
    const other = t.dir("other");
    writeFileSync(path.join(other, "omk"), "#!/bin/sh\necho another\n");
    chmodSync(path.join(other, "omk"), 0o755);
    expect(detectCli(t.source({ PATH: `${t.nodeDir}:${other}:${links}` }))).toBe(`node ${t.bin}`);
    // A non-executable omk is not what the shell runs: the next one is.
    chmodSync(path.join(other, "omk"), 0o644);
    expect(detectCli(t.source({ PATH: `${t.nodeDir}:${other}:${links}` }))).toBe("omk");
  });

  it("a package manager's shell shim that execs this bin counts as `omk` (pnpm link --global, cmd-shim) or a wrapper written by hand", () => {
    const t = install();
    const shims = t.dir("pnpm-home");
    const rel = path.relative(shims, t.bin);
    writeFileSync(path.join(shims, "omk"), `#!/bin/sh\nbasedir=$(dirname "$(echo "$0" | sed -e 's,\\\\,/,g')")\nexec node  "$basedir/${rel}" "$@"\n`);
    chmodSync(path.join(shims, "omk"), 0o755);
    expect(detectCli(t.source({ PATH: `${t.nodeDir}:${shims}` }))).toBe("omk");
    // A wrapper written by hand that execs the bin by its absolute path.
    const wrappers = t.dir("wrappers");
    writeFileSync(path.join(wrappers, "omk"), `#!/bin/sh\nexec "${t.node}" "${t.bin}" "$@"\n`, { mode: 0o755 });
    expect(detectCli(t.source({ PATH: `${t.nodeDir}:${wrappers}` }))).toBe("omk");
    // A wrapper of another bin is not this one.
    writeFileSync(path.join(wrappers, "omk"), `#!/bin/sh\nexec node "${path.join(t.root, "elsewhere", "bin.js")}" "$@"\n`, { mode: 0o755 });
    expect(detectCli(t.source({ PATH: `${t.nodeDir}:${wrappers}` }))).toBe(`node ${t.bin}`);
  });

  it("a script naming the bin's path anywhere but on an exec line (a comment, an echo) is not this bin", () => {
    const t = install();
    const wrappers = t.dir("decoys");
    const omk = path.join(wrappers, "omk");
    for (const body of [`# exec node "${t.bin}" "$@"\nexec /usr/bin/evil "$@"\n`, `echo "${t.bin}"\nexec /usr/bin/evil "$@"\n`, `: exec node "${t.bin}"\n`]) {
      writeFileSync(omk, `#!/bin/sh\n${body}`, { mode: 0o755 });
      expect(detectCli(t.source({ PATH: `${t.nodeDir}:${wrappers}` })), body).toBe(`node ${t.bin}`);
    }
    // pnpm's shim form: indented exec lines inside if/else.
    const rel = path.relative(wrappers, t.bin);
    writeFileSync(
      omk,
      `#!/bin/sh\nbasedir=x\nif [ -x "$basedir/node" ]; then\n  exec "$basedir/node"  "$basedir/${rel}" "$@"\nelse\n  exec node  "$basedir/${rel}" "$@"\nfi\n`,
      { mode: 0o755 },
    );
    expect(detectCli(t.source({ PATH: `${t.nodeDir}:${wrappers}` }))).toBe("omk");
  });

  it("under npm/pnpm scripts, the node_modules/.bin dirs the runner put on PATH do not count", () => {
    const t = install();
    const injected = t.dir("project/node_modules/.bin");
    symlinkSync(t.bin, path.join(injected, "omk"));
    const PATH = `${injected}:${t.nodeDir}`;
    // The same PATH outside a runner: the user's shell has that dir, so `omk` works.
    expect(detectCli(t.source({ PATH }))).toBe("omk");
    expect(detectCli(t.source({ PATH, npm_lifecycle_event: "omk", npm_config_user_agent: "pnpm/10.0.0 npm/? node/v20" }))).toBe(`node ${t.bin}`);
    expect(detectCli(t.source({ PATH, npm_lifecycle_event: "demo", npm_config_user_agent: "npm/10.0.0 node/v20" }))).toBe(`node ${t.bin}`);
    // pnpm run inside `npx -y pnpm@10`: npm_command=exec but pnpm's user agent: not npx.
    expect(detectCli(t.source({ PATH, npm_command: "exec", npm_config_user_agent: "pnpm/10.0.0 npm/? node/v20" }))).toBe(`node ${t.bin}`);
  });

  it("under npx (npm_command=exec, npm's user agent) with npx's omk being this bin: `npx --no omk`; another bin run under npx (a test runner): the node form", () => {
    const t = install();
    const npxBin = t.dir("npx-cache/node_modules/.bin");
    symlinkSync(t.bin, path.join(npxBin, "omk"));
    const env = { npm_command: "exec", npm_lifecycle_event: "npx", npm_config_user_agent: "npm/10.0.0 node/v20 linux x64" };
    expect(detectCli(t.source({ ...env, PATH: `${npxBin}:${t.nodeDir}` }))).toBe("npx --no omk");
    // `npx vitest` spawning `node dist/bin.js`: npx's bin dir has no omk.
    expect(detectCli(t.source({ ...env, PATH: `${t.dir("vitest/node_modules/.bin")}:${t.nodeDir}` }))).toBe(`node ${t.bin}`);
    // The bin in npx's own cache (`npx omk demo` outside a project): `npx --no omk` would not find it, `npx omk` could fetch
    // another package: the node form, which runs this very file.
    const cache = makeTempDir("omk-npm-cache-");
    const cached = path.join(cache, "_npx", "0123456789abcdef", "node_modules", "omk", "dist", "bin.js");
    mkdirSync(path.dirname(cached), { recursive: true });
    writeFileSync(cached, "#!/usr/bin/env node\n", { mode: 0o755 });
    const cacheBin = path.join(cache, "_npx", "0123456789abcdef", "node_modules", ".bin");
    mkdirSync(cacheBin);
    symlinkSync(cached, path.join(cacheBin, "omk"));
    expect(detectCli(t.source({ ...env, PATH: `${cacheBin}:${t.nodeDir}` }, { script: cached }))).toBe(`node ${cached}`);
    // omk on the user's own PATH wins over npx.
    const links = t.dir("links");
    symlinkSync(t.bin, path.join(links, "omk"));
    expect(detectCli(t.source({ ...env, PATH: `${npxBin}:${t.nodeDir}:${links}` }))).toBe("omk");
  });
});

describe("printable", () => {
  const cli = "node /x/bin.js";
  // printable's default prefix reads this process's OMK_STATE_DIR: each test sets it as it needs.
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env["OMK_STATE_DIR"];
    delete process.env["OMK_STATE_DIR"];
  });
  afterEach(() => {
    if (saved === undefined) delete process.env["OMK_STATE_DIR"];
    else process.env["OMK_STATE_DIR"] = saved;
  });
  it("names every command in a text, `a && b` and commands in parentheses or backticks included", () => {
    expect(printable("omk goal resume 01abc", { cli })).toBe("node /x/bin.js goal resume 01abc");
    expect(printable("omk goal budget-add 01abc --time 30m && omk goal resume 01abc", { cli })).toBe(
      "node /x/bin.js goal budget-add 01abc --time 30m && node /x/bin.js goal resume 01abc",
    );
    expect(printable("resume it (omk goal resume 01abc), or see `omk doctor`", { cli })).toBe(
      "resume it (node /x/bin.js goal resume 01abc), or see `node /x/bin.js doctor`",
    );
    expect(printable("see `omk --help`", { cli })).toBe("see `node /x/bin.js --help`");
    expect(printable("omk proof verify /p.json", { cli, prefix: "OMK_STATE_DIR=/s " })).toBe("OMK_STATE_DIR=/s node /x/bin.js proof verify /p.json");
  });

  it("leaves prose, other programs and plain `omk` alone", () => {
    for (const text of ["omk is ready: kimi", "omk demo: no sandbox here", "omk-gates detect", "/usr/bin/omk goal list", "the omk state dir", "omkx goal"]) {
      expect(printable(text, { cli })).toBe(text);
    }
    expect(printable("omk goal resume 01abc", { cli: "omk" })).toBe("omk goal resume 01abc");
  });

  it("with OMK_STATE_DIR set, every command names it (absolute, one shell word), once; an explicit prefix replaces it", () => {
    expect(statePrefix({})).toBe("");
    expect(statePrefix({ OMK_STATE_DIR: "  " })).toBe("");
    expect(statePrefix({ OMK_STATE_DIR: "/tmp/a dir's $(x)" })).toBe(`OMK_STATE_DIR=${shellWord("/tmp/a dir's $(x)")} `);
    expect(statePrefix({ OMK_STATE_DIR: "rel/state" })).toBe(`OMK_STATE_DIR=${path.resolve("rel/state")} `);
    process.env["OMK_STATE_DIR"] = "/s";
    expect(printable("omk goal accept 01abc  # check it first: omk proof verify", { cli })).toBe(
      "OMK_STATE_DIR=/s node /x/bin.js goal accept 01abc  # check it first: OMK_STATE_DIR=/s node /x/bin.js proof verify",
    );
    // Plain omk on PATH still needs the state dir.
    expect(printable("omk goal status 01abc", { cli: "omk" })).toBe("OMK_STATE_DIR=/s omk goal status 01abc");
    // The demo's own state dir: its prefix, not both.
    expect(printable("omk goal show 01abc", { cli, prefix: "OMK_STATE_DIR=/demo " })).toBe("OMK_STATE_DIR=/demo node /x/bin.js goal show 01abc");
    expect(printable("omk is ready", { cli })).toBe("omk is ready");
  });

  it("never rewrites inside a single-quoted shell word (a goal's text); a prose apostrophe is no quote", () => {
    const text = `fix "omk goal run" and it's omk doctor's job`;
    expect(printable(`start a new goal: omk goal run -- ${shellWord(text)}`, { cli })).toBe(`start a new goal: node /x/bin.js goal run -- ${shellWord(text)}`);
    expect(printable("omk goal run -- 'omk goal list' && omk doctor", { cli })).toBe("node /x/bin.js goal run -- 'omk goal list' && node /x/bin.js doctor");
    expect(printable("X='omk goal list' omk doctor", { cli })).toBe("X='omk goal list' node /x/bin.js doctor");
    // Apostrophes inside words open nothing: the commands around them are named.
    expect(printable("the goal's next step: omk goal resume 01abc (it's `omk doctor`)", { cli })).toBe(
      "the goal's next step: node /x/bin.js goal resume 01abc (it's `node /x/bin.js doctor`)",
    );
  });
});
