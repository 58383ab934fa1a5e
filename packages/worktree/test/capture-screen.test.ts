// The content screen of captureChanges: what a task's branch would bring into
// the user's repository is read whole (binary, past the diff cap, every
// commit) and screened BEFORE the fetch; a hit leaves the user's repository
// without any object holding the value. Real git, real checkouts.
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ContentScreen,
  captureChanges,
  createTaskWorktree,
  DEFAULT_MAX_DIFF_BYTES,
  discardCheckout,
  type TaskWorktree,
  taskBranch,
} from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

const SECRET = "correct-horse-battery-staple-7731";
const ENCODED = [SECRET, Buffer.from(SECRET).toString("base64"), Buffer.from(SECRET).toString("hex")];

/** A stand-in for the controller's matcher (knownSecretMatcher in @omk/gates): the plain value, its base64 and hex. */
const screen: ContentScreen = { find: (text) => (ENCODED.some((form) => text.includes(form)) ? ["$DEPLOY_TOKEN"] : []) };

/** Everything the user's repository holds: every object's content and every ref's history with patches. */
async function repoHolds(repo: string, value: string): Promise<{ objects: boolean; log: boolean }> {
  const objects = await execa("git", ["cat-file", "--batch-all-objects", "--batch"], { cwd: repo, encoding: "buffer", maxBuffer: 512 * 1024 * 1024 });
  const log = await execa("git", ["log", "--all", "-p", "--binary", "--text"], { cwd: repo, maxBuffer: 512 * 1024 * 1024 });
  return { objects: Buffer.from(objects.stdout).includes(value), log: log.stdout.includes(value) };
}

async function taskCheckout(): Promise<{ wt: TaskWorktree; repo: string; base: string }> {
  const fx = await setup();
  const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
  return { wt, repo: fx.repo, base: fx.base };
}

async function expectRefused(wt: TaskWorktree, repo: string, base: string, file: string, value: string): Promise<void> {
  const headBefore = (await execa("git", ["rev-parse", "HEAD"], { cwd: wt.path })).stdout;
  const captured = await captureChanges(wt, { screen });
  expect(captured.ok).toBe(false);
  if (captured.ok) return;
  expect(captured.error.code).toBe("content_refused");
  if (captured.error.code !== "content_refused") return;
  expect(captured.error.findings).toContainEqual({ path: file, reason: "matched", detail: "$DEPLOY_TOKEN" });
  expect(captured.error.message).toContain(file);
  for (const form of ENCODED) expect(captured.error.message).not.toContain(form);
  // Nothing reached the user's repository: its task branch is still at the base, no object or history holds the value.
  expect((await execa("git", ["rev-parse", `refs/heads/${taskBranch(GOAL, "t1")}`], { cwd: repo })).stdout).toBe(base);
  expect(await repoHolds(repo, value)).toEqual({ objects: false, log: false });
  // The checkout's branch is back where it was (cleanup or keepAttempt cannot bring the commit over later).
  expect((await execa("git", ["rev-parse", "HEAD"], { cwd: wt.path })).stdout).toBe(headBefore);
  // Discarding the checkout takes its object store (the only copy) with it; the user's repository still has nothing.
  expect(must(await discardCheckout(wt))).toEqual({ removed: true });
  expect(existsSync(wt.path)).toBe(false);
  expect(await repoHolds(repo, value)).toEqual({ objects: false, log: false });
}

describe("captureChanges with a content screen", () => {
  it("finds the value in a file .gitattributes marks -diff (the diff says only 'Binary files differ')", async () => {
    const plant = (dir: string) => {
      writeFileSync(path.join(dir, ".gitattributes"), "config.dat -diff\n");
      writeFileSync(path.join(dir, "config.dat"), `token=${SECRET}\n`);
    };
    // Without a screen (what the old diff scan saw): the diff text never shows the value, and it lands in the repository.
    const probe = await taskCheckout();
    plant(probe.wt.path);
    const unscreened = must(await captureChanges(probe.wt));
    expect(unscreened.diff).toMatch(/Binary files .*config\.dat differ/);
    expect(unscreened.diff).not.toContain(SECRET);
    expect((await repoHolds(probe.repo, SECRET)).objects).toBe(true);

    const { wt, repo, base } = await taskCheckout();
    plant(wt.path);
    await expectRefused(wt, repo, base, "config.dat", SECRET);
  });

  it("finds the value at the end of a file far past the diff cap", async () => {
    const { wt, repo, base } = await taskCheckout();
    const filler = "x".repeat(99) + "\n";
    writeFileSync(path.join(wt.path, "big.txt"), `${filler.repeat(Math.ceil((DEFAULT_MAX_DIFF_BYTES + 1024 * 1024) / filler.length))}${SECRET}\n`);
    await expectRefused(wt, repo, base, "big.txt", SECRET);
  }, 60_000);

  it("finds the base64 of the value inside a binary file", async () => {
    const { wt, repo, base } = await taskCheckout();
    const encoded = Buffer.from(SECRET).toString("base64");
    writeFileSync(
      path.join(wt.path, "blob.bin"),
      Buffer.concat([randomBytes(4096), Buffer.from([0, 0xff, 0xc3]), Buffer.from(encoded), Buffer.from([0xe2, 0x82]), randomBytes(4096)]),
    );
    await expectRefused(wt, repo, base, "blob.bin", encoded);
  });

  it("a file whose name is the value is named without it", async () => {
    const { wt, repo } = await taskCheckout();
    writeFileSync(path.join(wt.path, `${SECRET}.txt`), "harmless\n");
    const captured = await captureChanges(wt, { screen });
    expect(!captured.ok && captured.error.code === "content_refused" && captured.error.findings.map((f) => f.path)).toContain("(a file or folder name)");
    expect(JSON.stringify(captured)).not.toContain(SECRET);
    expect(await repoHolds(repo, SECRET)).toEqual({ objects: false, log: false });
  });

  it("an object over the per-object cap is a finding, not a silent pass; so is a change over the total cap", async () => {
    const { wt, repo } = await taskCheckout();
    writeFileSync(path.join(wt.path, "large.bin"), randomBytes(64 * 1024));
    writeFileSync(path.join(wt.path, "small.txt"), "small\n");
    const perObject = await captureChanges(wt, { screen: { ...screen, maxObjectBytes: 32 * 1024 } });
    expect(!perObject.ok && perObject.error.code === "content_refused" && perObject.error.findings).toEqual([
      expect.objectContaining({ path: "large.bin", reason: "too_large" }),
    ]);
    const total = await captureChanges(wt, { screen: { ...screen, maxTotalBytes: 16 * 1024 } });
    expect(!total.ok && total.error.code === "content_refused" && total.error.findings.map((f) => f.reason)).toEqual(["too_large"]);
    expect((await execa("git", ["rev-parse", `refs/heads/${taskBranch(GOAL, "t1")}`], { cwd: repo })).stdout).toBe(wt.base);
  });

  it("a value only an earlier commit of the branch holds is found too (the fetch would bring that commit)", async () => {
    const { wt, repo, base } = await taskCheckout();
    // A first capture without a screen, kept in the checkout only (mode clone syncs; so use the checkout's branch directly).
    writeFileSync(path.join(wt.path, "notes.txt"), `${SECRET}\n`);
    await execa("git", ["add", "-A"], { cwd: wt.path });
    await execa("git", ["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q", "-m", "one"], { cwd: wt.path });
    writeFileSync(path.join(wt.path, "notes.txt"), "nothing here\n");
    const captured = await captureChanges(wt, { screen });
    expect(!captured.ok && captured.error.code === "content_refused" && captured.error.findings.map((f) => f.path)).toEqual(["(a file in an earlier commit)"]);
    expect((await execa("git", ["rev-parse", `refs/heads/${taskBranch(GOAL, "t1")}`], { cwd: repo })).stdout).toBe(base);
    expect(await repoHolds(repo, SECRET)).toEqual({ objects: false, log: false });
  });

  it("a clean change passes the screen and is brought back", async () => {
    const { wt, repo } = await taskCheckout();
    writeFileSync(path.join(wt.path, ".gitattributes"), "data.bin -diff\n");
    writeFileSync(path.join(wt.path, "data.bin"), randomBytes(2048));
    const captured = must(await captureChanges(wt, { screen }));
    expect((await execa("git", ["rev-parse", `refs/heads/${taskBranch(GOAL, "t1")}`], { cwd: repo })).stdout).toBe(captured.head);
  });
});
