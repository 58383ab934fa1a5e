import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { analyzeCommand, cannotFail } from "./vacuity.js";

const sh = (script: string) => ["sh", "-c", script];

describe("analyzeCommand", () => {
  it.each([
    [["echo", "ok"], "`echo` always exits 0"],
    [["true"], "`true` always exits 0"],
    [[":"], "`:` always exits 0"],
    [sh("echo ok"), "`echo` always exits 0"],
    [sh("exit 0"), "`exit 0` ends with status 0"],
    [sh(":"), "`:` always exits 0"],
    [sh("npm test || true"), "masks any failure"],
    [sh("npm test || exit 0"), "masks any failure"],
    [sh("npm test; true"), "only the last command sets the status"],
    [sh("npm test\necho done"), "only the last command sets the status"],
    [sh("npm test | tee test.log"), "`tee` always exits 0"],
    [sh("npm test 2>&1 | cat"), "`cat` always exits 0"],
    [sh("npm test &"), "background"],
    [sh("exit 0; npm test"), "`exit 0` ends with status 0"],
    [sh("CI=1 printf 'ok\\n'"), "`printf` always exits 0"],
    [sh("! false"), "inverts"],
    [["bash", "-lc", "pytest > out.log || :"], "masks any failure"],
    [["env", "CI=1", "true"], "`true` always exits 0"],
    [["/bin/echo", "ok"], "`echo` always exits 0"],
  ])("%j cannot fail (%s)", (argv, reason) => {
    const analysis = analyzeCommand(argv);
    expect(analysis.outcome).toBe("always");
    expect(analysis.reason).toContain(reason);
    expect(cannotFail(argv)).toBe(true);
  });

  it.each([
    [["npm", "test"]],
    [sh("npm test")],
    [sh("npm test && echo ok")],
    [["sh", "-ec", "npm test; true"]],
    [sh("set -e\nnpm test\necho done")],
    [sh("set -o pipefail; npm test | tee log")],
    [sh("! npm test")],
    [sh("(npm test)")],
    [sh("echo 'a;b' && npm test")],
    [sh("test -f dist/index.js")],
    [sh("echo $(npm test)")],
    [["sh", "scripts/check.sh"]],
    [["node", "--test"]],
  ])("%j may fail", (argv) => {
    expect(analyzeCommand(argv).outcome).toBe("maybe");
  });

  it.each([[["false"]], [sh("exit 3")], [sh("npm test && false")], [["sh", "-ec", "false; true"]], [sh("! true")]])("%j cannot pass", (argv) => {
    expect(analyzeCommand(argv).outcome).toBe("never");
  });

  it("agrees with a real shell on every script it calls certain", () => {
    const scripts = [
      "echo ok",
      "true",
      "exit 0",
      ":",
      "false || true",
      "false; true",
      "false | cat",
      "false &",
      "exit 0; false",
      "false",
      "exit 3",
      "false && true",
      "! true",
      "! false",
      "true && false || true",
    ];
    for (const script of scripts) {
      const { outcome } = analyzeCommand(sh(script));
      const status = spawnSync("sh", ["-c", script], { stdio: "ignore" }).status;
      if (outcome === "always") expect(status, script).toBe(0);
      if (outcome === "never") expect(status, script).not.toBe(0);
      expect(outcome, script).not.toBe("maybe");
    }
  });
});
