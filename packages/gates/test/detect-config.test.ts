import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { gatesIn, write } from "./cli-helpers.js";

afterAll(cleanupTempDirs);

describe("omk-gates detect honours --config and an existing config", () => {
  it("shows what the config says, then what detection would find; a broken config exits 2 with its position", async () => {
    const dir = write(makeTempDir("hyg-detect-"), { "package.json": { scripts: { test: "node -e 0" } }, "package-lock.json": "{}" });
    write(dir, { ".omk/gates.yaml": "gates:\n  - name: unit\n    kind: test\n    command: [node, -e, '0']\n" });
    const shown = await gatesIn(dir, {}, "detect");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(
      new RegExp(
        `^config ${path.join(dir, ".omk", "gates.yaml").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(what run uses\\):\\n  unit  test\\s+required  node -e 0\\n\\ndetection would find: projects in`,
      ),
    );
    expect(shown.stdout).toMatch(/test\s+test\s+required\s+npm run test/);
    const other = write(makeTempDir("hyg-detect-"), { "other.yaml": "gates:\n  - name: x\n    kind: lint\n    command: [node]\n" });
    const flag = await gatesIn(dir, {}, "detect", "--config", path.join(other, "other.yaml"), "--json");
    expect(flag.code).toBe(0);
    const json = JSON.parse(flag.stdout) as { configFile: { path: string; config: { gates: { name: string }[] } }; config: { gates: { name: string }[] } };
    expect(json.configFile.path).toBe(path.join(other, "other.yaml"));
    expect(json.configFile.config.gates.map((g) => g.name)).toEqual(["x"]);
    expect(json.config.gates.map((g) => g.name)).toEqual(["test"]);
    write(dir, { ".omk/gates.yaml": "gates:\n  - name: unit\n    kind: tset\n    command: [node]\n" });
    const broken = await gatesIn(dir, {}, "detect");
    expect(broken.code).toBe(2);
    expect(broken.stdout).toMatch(/is broken: .*gates\.yaml:3:11: gates\.0\.kind: /);
    expect(broken.stdout).toMatch(/detection would find: projects in/);
    expect(broken.stderr).toMatch(/^omk-gates: .*gates\.yaml:3:11: gates\.0\.kind: .* — fix: correct gates\.yaml at line 3/);
  });
});
