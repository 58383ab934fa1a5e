import { mkdirSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidIdError } from "./errors.js";
import { goalPaths, resolveStateRoot } from "./paths.js";

afterAll(cleanupTempDirs);

/** A fresh temporary home directory, optionally holding the default and/or the legacy state dir. */
function home(withDirs: { preferred?: boolean; legacy?: boolean } = {}) {
  const dir = makeTempDir("omk-home-");
  const preferred = path.join(dir, ".local", "state", "omk");
  const legacy = path.join(dir, ".omk", "state");
  if (withDirs.preferred === true) mkdirSync(preferred, { recursive: true });
  if (withDirs.legacy === true) mkdirSync(legacy, { recursive: true });
  return { dir, preferred, legacy };
}

describe("resolveStateRoot", () => {
  it("prefers OMK_STATE_DIR over everything, resolved to an absolute path", () => {
    const h = home({ preferred: true, legacy: true });
    const explicit = path.join(h.dir, "explicit");
    expect(resolveStateRoot({ OMK_STATE_DIR: explicit, XDG_STATE_HOME: "/xdg" }, h.dir)).toEqual({ root: explicit, source: "OMK_STATE_DIR" });
    expect(resolveStateRoot({ OMK_STATE_DIR: "rel/state" }, h.dir)).toEqual({ root: path.resolve("rel/state"), source: "OMK_STATE_DIR" });
  });

  it("ignores a blank OMK_STATE_DIR", () => {
    const h = home();
    expect(resolveStateRoot({ OMK_STATE_DIR: "  ", XDG_STATE_HOME: "/xdg" }, h.dir)).toEqual({ root: path.join("/xdg", "omk"), source: "XDG_STATE_HOME" });
    expect(resolveStateRoot({ OMK_STATE_DIR: "" }, h.dir)).toEqual({ root: h.preferred, source: "default" });
  });

  it("uses $XDG_STATE_HOME/omk only when XDG_STATE_HOME is absolute", () => {
    const h = home({ legacy: true });
    expect(resolveStateRoot({ XDG_STATE_HOME: "/var/xdg" }, h.dir)).toEqual({ root: path.join("/var/xdg", "omk"), source: "XDG_STATE_HOME" });
    // The XDG spec says relative values are invalid and must be ignored.
    expect(resolveStateRoot({ XDG_STATE_HOME: "xdg" }, h.dir)).toEqual({ root: h.legacy, source: "legacy" });
    expect(resolveStateRoot({ XDG_STATE_HOME: "" }, h.dir)).toEqual({ root: h.legacy, source: "legacy" });
  });

  it("defaults to ~/.local/state/omk", () => {
    const h = home();
    expect(resolveStateRoot({}, h.dir)).toEqual({ root: h.preferred, source: "default" });
  });

  it("uses a legacy ~/.omk/state when it exists and the default does not", () => {
    expect(resolveStateRoot({}, home({ legacy: true }).dir)).toMatchObject({ source: "legacy" });
    const both = home({ preferred: true, legacy: true });
    expect(resolveStateRoot({}, both.dir)).toEqual({ root: both.preferred, source: "default" });
    const preferredOnly = home({ preferred: true });
    expect(resolveStateRoot({}, preferredOnly.dir)).toEqual({ root: preferredOnly.preferred, source: "default" });
  });

  it("does not read process.env when an env is given", () => {
    const h = home();
    const saved = process.env["OMK_STATE_DIR"];
    process.env["OMK_STATE_DIR"] = "/from/process/env";
    try {
      expect(resolveStateRoot({}, h.dir)).toEqual({ root: h.preferred, source: "default" });
    } finally {
      if (saved === undefined) delete process.env["OMK_STATE_DIR"];
      else process.env["OMK_STATE_DIR"] = saved;
    }
  });
});

describe("goalPaths", () => {
  it("keeps every file of a goal inside its directory", () => {
    const p = goalPaths("/state", "01jabcdefghjkmnpqrstvwxyz0");
    expect(p.dir).toBe(path.join("/state", "goals", "01jabcdefghjkmnpqrstvwxyz0"));
    for (const [name, file] of Object.entries(p)) {
      if (name !== "dir") expect(path.dirname(file), name).toBe(p.dir);
    }
    expect(p.events).toBe(path.join(p.dir, "events.jsonl"));
    expect(p.snapshot).toBe(path.join(p.dir, "goal.json"));
  });

  it.each(["..", "../x", "a/b", "", ".git"])("refuses the goal id %j before building any path", (id) => {
    expect(() => goalPaths("/state", id)).toThrow(InvalidIdError);
    expect(() => goalPaths("/state", id)).toThrow(/^goal id /);
  });
});
