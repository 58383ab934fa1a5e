import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { err, OmkError, ok, problem, sha256, sha256File, sha256Hasher, shellWord } from "./index.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "omk-core-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("OmkError", () => {
  it("carries a stable code, the message, a fix and a cause, and is named after its subclass", () => {
    class ThingError extends OmkError {}
    const cause = new Error("underneath");
    const e = new ThingError("OMK_THING_BROKEN", "the thing broke", { fix: "mend the thing", cause });
    expect(e).toBeInstanceOf(OmkError);
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code, e.message, e.fix, e.cause]).toEqual(["ThingError", "OMK_THING_BROKEN", "the thing broke", "mend the thing", cause]);
    expect(new OmkError("OMK_X", "x").fix).toBeUndefined();
    expect("cause" in new OmkError("OMK_X", "x")).toBe(false);
  });
});

describe("Result and problem values", () => {
  it("ok and err build the two sides; problem builds { code, message, fix } with its data", () => {
    expect(ok(1)).toEqual({ ok: true, value: 1 });
    expect(err("no")).toEqual({ ok: false, error: "no" });
    expect(problem("bad_ref", "no such ref", "pass a commit")).toEqual({ code: "bad_ref", message: "no such ref", fix: "pass a commit" });
    expect(problem("missing_branch", "gone", "recreate it", { branch: "b" })).toEqual({
      code: "missing_branch",
      message: "gone",
      fix: "recreate it",
      branch: "b",
    });
  });
});

describe("sha256", () => {
  it("hashes a string as UTF-8, bytes, a file and chunks to the same lowercase hex", () => {
    const text = "héllo wörld\n";
    const digest = sha256(text);
    expect(digest).toBe("3828eeee974aa7486e7acc258e5c73a0115e168444d6688deb8d5d1306d1f57d"); // sha256sum of the UTF-8 bytes
    expect(sha256("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256(Buffer.from(text, "utf8"))).toBe(digest);
    const file = path.join(dir, "f.txt");
    writeFileSync(file, text);
    expect(sha256File(file)).toBe(digest);
    const hasher = sha256Hasher();
    hasher.update("héllo ");
    hasher.update(Buffer.from("wörld\n", "utf8"));
    expect(hasher.digest("hex")).toBe(digest);
  });
});

describe("shellWord", () => {
  it("leaves plain words bare and quotes the rest so sh reads each back unchanged", () => {
    expect(shellWord("src/a-b_c.ts")).toBe("src/a-b_c.ts");
    expect(shellWord("a b")).toBe("'a b'");
    for (const word of ["", "a b", "it's", "$(rm -rf x)", "`x`", "a\nb", "'", "*?[]", "~user", "x;y|z&", "tab\there", "é"]) {
      expect(execFileSync("sh", ["-c", `printf %s ${shellWord(word)}`], { cwd: dir, encoding: "utf8" }), JSON.stringify(word)).toBe(word);
    }
  });
});
