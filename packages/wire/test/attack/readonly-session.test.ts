// Security review (h-attack): the intake (and plan) session is "read-only" (scope write: []) and runs with cwd = the user's repository.
// Asserts the SAFE behaviour; a failure is a reproduced finding.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, expect, it } from "vitest";
import { openSession, scopeFromPaths } from "../../src/index.js";
import { FAST, scripted, workspace } from "../helpers.js";

afterAll(() => cleanupTempDirs());

it("F6: a read-only session (write: []) cannot write the repository or the shared deps cache through a terminal command, nor read a secret", async () => {
  const ws = workspace();
  const cache = makeTempDir("attack-deps-cache-"); // stands for ~/.cache/omk/deps (absolute, predictable)
  const engine = scripted({
    turns: [
      {
        steps: [
          { command: { command: "/bin/sh", args: ["-c", `echo planted > PLANTED.txt; echo planted > ${cache}/x; printf %s "$NPM_TOKEN" > ${cache}/tok`] } },
          { write: { path: "DIRECT.txt", content: "planted\n" } },
        ],
      },
    ],
  });
  const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, deadlines: FAST, scope: scopeFromPaths({ write: [] }), env: { ...process.env, NPM_TOKEN: "npm_Zx8s3cr3tT0k3nV4lu3abcdefghijklmnop" } });
  if (!opened.ok) throw opened.error;
  const turn = await opened.value.prompt("classify this goal");
  await opened.value.close();
  expect.soft(existsSync(path.join(ws.root, "DIRECT.txt")), "fs/write_text_file refused").toBe(false);
  expect.soft(existsSync(path.join(ws.root, "PLANTED.txt")), "terminal wrote the repo").toBe(false);
  expect.soft(existsSync(path.join(cache, "x")), "terminal wrote the deps cache").toBe(false);
  expect.soft(existsSync(path.join(cache, "tok")) ? readFileSync(path.join(cache, "tok"), "utf8") : "", "secret in env").toBe("");
  void turn;
});
