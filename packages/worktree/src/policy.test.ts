import { pathInScope } from "@omk/state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { refIdProblem } from "./names.js";
import { checkWritableRef, protectedBranchReason } from "./policy.js";
import type { ChangedFile } from "./schemas.js";
import { checkScope } from "./scope-check.js";

describe("ref policy", () => {
  it("lets OMK write only its own namespaces, minus protected and base branches", () => {
    expect(checkWritableRef("refs/heads/omk/g/t")).toBeUndefined();
    expect(checkWritableRef("refs/omk/attempts/g/t/1")).toBeUndefined();
    expect(checkWritableRef("refs/heads/main")?.code).toBe("protected_branch");
    expect(checkWritableRef("refs/heads/feature")?.code).toBe("protected_branch");
    expect(checkWritableRef("refs/tags/v1")?.code).toBe("protected_branch");
    expect(checkWritableRef("refs/heads/omk/g/t", { baseBranch: "omk/g/t" })?.code).toBe("protected_branch");
    expect(checkWritableRef("refs/heads/omk/g/integration", { protectedBranches: ["omk/g/**"] })?.code).toBe("protected_branch");
    expect(checkWritableRef("refs/heads/omk/g/integration", { protectedBranches: ["omk/g"] })?.code).toBe("protected_branch");
    expect(checkWritableRef("refs/heads/omk/g2/t", { protectedBranches: ["omk/g"] })).toBeUndefined();
    expect(protectedBranchReason("main")).toMatch(/protected/);
    expect(protectedBranchReason("release/1.0", { protectedBranches: ["release/*"] })).toMatch(/release/);
    expect(protectedBranchReason("master", { protectedBranches: [] })).toBeUndefined();
  });

  it("refuses ids git cannot put in a ref", () => {
    expect(refIdProblem("t1")).toBeUndefined();
    expect(refIdProblem("task.lock")).toMatch(/\.lock/);
    expect(refIdProblem("task.")).toMatch(/ends with "\."/);
    expect(refIdProblem("a/b")).toMatch(/separator/);
    expect(refIdProblem("a..b")).toMatch(/\.\./);
  });
});

const file = (path: string): ChangedFile => ({
  status: "M",
  path,
  oldPath: null,
  similarity: null,
  oldMode: "100644",
  newMode: "100644",
  kind: "file",
  oldKind: "file",
  modeChanged: false,
  symlinkTarget: null,
  oldSha: "a".repeat(40),
  newSha: "b".repeat(40),
});

describe("checkScope uses the shared path rules", () => {
  it("reports a plain file change exactly when @omk/state's pathInScope says it is outside", () => {
    const segment = fc.constantFrom("src", "docs", "a", "b.ts", "x.md", ".github", "[id]", "node_modules");
    const filePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
    const entry = fc.oneof(
      filePath,
      filePath.map((p) => `${p}/`),
      fc.constantFrom(".", "src/**", "*.md", "docs/*", "**/b.ts"),
    );
    fc.assert(
      fc.property(filePath, fc.array(entry, { maxLength: 3 }), (p, writes) => {
        const violations = checkScope([file(p)], { writes });
        expect(violations.length === 0).toBe(pathInScope(p, writes));
      }),
    );
  });
});
