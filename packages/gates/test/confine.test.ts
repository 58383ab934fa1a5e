// The `confine` hook (src/confine.ts): every command @omk/gates starts on the tree (gate commands, shell lines,
// the tool-version probe, setup installs) goes through it, and what it returns is what runs. @omk/gates cannot
// import @omk/wire's policy builder, so this test's hook is a small real bwrap sandbox of its own: `/` read-only,
// a `secret` folder hidden, the request's root and writable folders writable. The controller's real policy is
// tested in packages/proof/test/checkout-confinement.test.ts.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { type ConfineCommand, type ConfineRequest, defaultSetupCachesDir, GatesConfigSchema, prepareCheckout, runGates } from "../src/index.js";

afterAll(cleanupTempDirs);

const BWRAP = "/usr/bin/bwrap";

function sandbox(secret: string, seen: ConfineRequest[]): ConfineCommand {
  return (request) => {
    seen.push(request);
    const binds = [request.root, ...request.writable].flatMap((d) => ["--bind", d, d]);
    const net = request.purpose === "setup" ? ["--share-net"] : [];
    return {
      argv: [
        BWRAP,
        "--die-with-parent",
        "--unshare-all",
        ...net,
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        secret,
        "--remount-ro",
        secret,
        ...binds,
        "--chdir",
        request.cwd,
        "--",
        ...request.argv,
      ],
      env: { ...request.env, BOXED: "1" },
    };
  };
}

/** Reads the secret, writes beside it and into the tree; prints what happened. */
const PROBE = `const fs = require("node:fs");
const [secret, mark] = process.argv.slice(2);
const r = [];
try { r.push("read:" + fs.readFileSync(secret + "/key", "utf8")); } catch (e) { r.push("read:" + e.code); }
try { fs.writeFileSync(secret + "/planted", "x"); r.push("write:done"); } catch (e) { r.push("write:" + e.code); }
fs.writeFileSync(mark, r.join(" ") + " boxed:" + (process.env.BOXED || "no"));
`;

describe.skipIf(!existsSync(BWRAP))("runGates and prepareCheckout with a confine hook (real bwrap)", () => {
  it("gate commands (argv and shell line) run as the hook says: the hidden folder unreadable, the tree writable; a missing program stays a spawn error", async () => {
    const secret = makeTempDir("omk-confine-secret-");
    writeFileSync(path.join(secret, "key"), "the-key");
    const dir = makeTempDir("omk-confine-tree-");
    await initGitRepo(dir, { "probe.js": PROBE });
    const seen: ConfineRequest[] = [];
    const config = GatesConfigSchema.parse({
      gates: [
        { name: "argv", kind: "custom", command: [process.execPath, "probe.js", secret, "argv.txt"], toolVersion: true },
        { name: "shell", kind: "custom", command: `${process.execPath} probe.js ${secret} shell.txt`, shell: true },
        { name: "missing", kind: "custom", command: ["no-such-program-omk"] },
      ],
    });
    const report = await runGates({ root: dir, config, outDir: makeTempDir("omk-confine-out-"), confine: sandbox(secret, seen) });
    const by = (n: string) => report.gates.find((g) => g.name === n);
    expect(by("argv")?.outcome).toBe("passed");
    expect(by("shell")?.outcome).toBe("passed");
    for (const f of ["argv.txt", "shell.txt"]) expect(readFileSync(path.join(dir, f), "utf8")).toBe("read:ENOENT write:EROFS boxed:1");
    expect(existsSync(path.join(secret, "planted"))).toBe(false);
    expect(by("missing")?.outcome).toBe("error");
    expect(by("missing")?.error).toMatch(/command not found: no-such-program-omk/);
    // Each command went through the hook: a shell line as /bin/sh -c, the version probe too, all as `gate`.
    expect(seen.map((r) => r.purpose)).toEqual(expect.arrayContaining(["gate"]));
    expect(seen.some((r) => r.argv[0] === "/bin/sh" && r.argv[1] === "-c" && String(r.argv[2]).includes("shell.txt"))).toBe(true);
    expect(seen.some((r) => r.argv[1] === "--version")).toBe(true);
    expect(seen.every((r) => r.root === dir)).toBe(true);
  }, 120_000);

  it("a setup command runs through the hook as `setup`, in the folder installed in", async () => {
    const secret = makeTempDir("omk-confine-secret-");
    writeFileSync(path.join(secret, "key"), "the-key");
    const dir = makeTempDir("omk-confine-setup-");
    await initGitRepo(dir, { "probe.js": PROBE });
    mkdirSync(path.join(dir, ".omk"), { recursive: true });
    const seen: ConfineRequest[] = [];
    const outcome = await prepareCheckout(dir, { config: { setup: [process.execPath, "probe.js", secret, "setup.txt"] }, confine: sandbox(secret, seen) });
    expect(outcome.status, JSON.stringify(outcome.failure)).toBe("ready");
    expect(readFileSync(path.join(dir, "setup.txt"), "utf8")).toBe("read:ENOENT write:EROFS boxed:1");
    expect(seen.map((r) => [r.purpose, r.root])).toEqual([["setup", dir]]);
    // A configured command may run any manager: OMK's own caches of every kind are writable (the default folder, without managerCaches).
    expect(seen[0]?.writable.length).toBeGreaterThan(0);
    for (const w of seen[0]?.writable ?? []) expect(w.startsWith(`${defaultSetupCachesDir()}${path.sep}`), w).toBe(true);
  }, 120_000);

  it("a setup step writes OMK's package-manager caches (managerCaches), never the user's: npm, npx and corepack caches in HOME stay unwritten", async () => {
    const secret = makeTempDir("omk-confine-secret-");
    const home = makeTempDir("omk-confine-home-");
    for (const d of [".npm/_npx", ".cache/node/corepack"]) mkdirSync(path.join(home, d), { recursive: true });
    const caches = path.join(makeTempDir("omk-confine-state-"), "cache", "setup");
    const dir = makeTempDir("omk-confine-setup-");
    await initGitRepo(dir, { "probe.js": PROBE });
    const line =
      'c="$(npm config get cache)"; echo "$c" > cache.txt; for f in "$c/MARK" "$HOME/.npm/_npx/MARK" "$HOME/.cache/node/corepack/MARK" "$HOME/.npm/MARK"; do (echo x > "$f") 2>/dev/null && echo "$f: done" >> wrote.txt; done; true';
    const seen: ConfineRequest[] = [];
    const env = Object.fromEntries(Object.entries(process.env).filter(([n]) => !/^(npm_config_cache|XDG_CACHE_HOME|COREPACK_HOME)$/i.test(n)));
    const outcome = await prepareCheckout(dir, {
      config: { setup: ["/bin/sh", "-c", line] },
      env: { ...env, HOME: home },
      managerCaches: caches,
      confine: sandbox(secret, seen),
    });
    expect(outcome.status, JSON.stringify(outcome.failure)).toBe("ready");
    expect(readFileSync(path.join(dir, "cache.txt"), "utf8").trim()).toBe(path.join(caches, "npm"));
    expect(readFileSync(path.join(dir, "wrote.txt"), "utf8")).toBe(`${path.join(caches, "npm", "MARK")}: done\n`);
    for (const f of [".npm/_npx/MARK", ".cache/node/corepack/MARK", ".npm/MARK"]) expect(existsSync(path.join(home, f)), f).toBe(false);
    expect(seen[0]?.env["COREPACK_HOME"]).toBe(path.join(caches, "corepack"));
    expect(seen[0]?.writable).toContain(path.join(caches, "npm"));
    for (const w of seen[0]?.writable ?? []) expect(w.startsWith(`${caches}${path.sep}`), w).toBe(true);
    expect(statSync(path.join(caches, "npm")).mode & 0o777).toBe(0o700);
  }, 120_000);
});
