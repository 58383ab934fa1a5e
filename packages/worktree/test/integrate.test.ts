import { writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import {
  captureChanges,
  cleanup,
  createTaskWorktree,
  type GraphTask,
  IntegrationConflictSchema,
  IntegrationSchema,
  integrate,
  integrationOrder,
  type TaskWorktree,
  taskWorktreeDir,
} from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

const GRAPH: GraphTask[] = [
  { id: "t-b", dependencies: [] },
  { id: "t-a", dependencies: [] },
];

/** Two tasks in parallel worktrees of `repo`, touching different files, captured in `completion` order. */
async function twoTasks(repo: string, base: string, stateDir: string, completion: readonly string[], date?: number) {
  const wts = new Map<string, TaskWorktree>();
  for (const id of ["t-a", "t-b"]) {
    wts.set(id, must(await createTaskWorktree({ repo, goalId: GOAL, taskId: id, base, dir: taskWorktreeDir(stateDir, GOAL, id) })));
  }
  const edits: Record<string, [string, string]> = {
    "t-a": ["src/app.ts", "export const app = 'a';\n"],
    "t-b": ["docs/guide.md", "line 1\nline 2 (b)\nline 3\n"],
  };
  for (const id of completion) {
    const wt = wts.get(id) as TaskWorktree;
    const [file, content] = edits[id] as [string, string];
    writeFileSync(path.join(wt.path, file), content);
    must(await captureChanges(wt, date === undefined ? {} : { date }));
  }
  return wts;
}

describe("integrate", () => {
  it("gives the same integration commit in two clones whatever order the tasks finished and were accepted in", async () => {
    const fx = await setup();
    const other = path.join(makeTempDir("omk-clone-"), "main");
    await gitIn(path.dirname(other), "clone", "-q", fx.remote, other);
    const otherState = path.join(path.dirname(other), "state");

    await twoTasks(fx.repo, fx.base, fx.stateDir, ["t-a", "t-b"], 1_700_000_000);
    await twoTasks(other, fx.base, otherState, ["t-b", "t-a"], 1_700_000_000);
    const one = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: GRAPH, accepted: ["t-a", "t-b"] }));
    const two = must(await integrate({ repo: other, goalId: GOAL, base: fx.base, tasks: GRAPH, accepted: ["t-b", "t-a"] }));
    expect(one.order).toEqual(["t-a", "t-b"]);
    expect(two.order).toEqual(["t-a", "t-b"]);
    expect(one.head).toBe(two.head);
    expect(one.merged.map((m) => m.taskId)).toEqual(["t-a", "t-b"]);
    expect(one.previousHead).toBeNull();
    expect(IntegrationSchema.parse(one)).toEqual(one);
    // Both merges are real merges (two parents) with the task's commit as second parent.
    const parents = (await gitIn(fx.repo, "rev-list", "--parents", "-n", "2", one.head)).split("\n").map((l) => l.split(" ").length - 1);
    expect(parents).toEqual([2, 2]);
    expect(await gitIn(fx.repo, "show", `${one.head}:src/app.ts`)).toBe("export const app = 'a';");
    expect(await gitIn(fx.repo, "show", `${one.head}:docs/guide.md`)).toBe("line 1\nline 2 (b)\nline 3");
    // The main checkout did not move.
    expect(await gitIn(fx.repo, "rev-parse", "HEAD")).toBe(fx.base);
  });

  it("gives the same tree when run twice in different orders with real (clock) dates", async () => {
    const fx = await setup();
    await twoTasks(fx.repo, fx.base, fx.stateDir, ["t-b", "t-a"]);
    const first = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: GRAPH, accepted: ["t-b", "t-a"] }));
    const tree1 = await gitIn(fx.repo, "rev-parse", `${first.head}^{tree}`);
    // A fresh integration of the same tasks (the branch deleted by hand), accepted in the other order.
    await gitIn(fx.repo, "update-ref", "-d", `refs/heads/omk/${GOAL}/integration`);
    const second = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: GRAPH, accepted: ["t-a", "t-b"] }));
    expect(await gitIn(fx.repo, "rev-parse", `${second.head}^{tree}`)).toBe(tree1);
    expect(second.head).toBe(first.head); // merge dates come from the parents, so even the shas agree
  });

  it("merges in topological order with ties by id, skips what is integrated already, and changes nothing when repeated", async () => {
    const fx = await setup();
    await twoTasks(fx.repo, fx.base, fx.stateDir, ["t-a", "t-b"]);
    const graph: GraphTask[] = [
      { id: "t-a", dependencies: ["t-b"] },
      { id: "t-b", dependencies: [] },
    ];
    const partial = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: graph, accepted: ["t-b"] }));
    expect(partial.merged.map((m) => m.taskId)).toEqual(["t-b"]);
    const full = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: graph, accepted: ["t-a", "t-b"] }));
    expect(full.order).toEqual(["t-b", "t-a"]);
    expect(full.alreadyIntegrated).toEqual(["t-b"]);
    expect(full.merged.map((m) => m.taskId)).toEqual(["t-a"]);
    expect(full.previousHead).toBe(partial.head);
    const repeat = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: graph, accepted: ["t-a", "t-b"] }));
    expect(repeat).toMatchObject({ head: full.head, merged: [], alreadyIntegrated: ["t-b", "t-a"] });
  });

  it("still knows a task is integrated after cleanup deleted its branch (from the merge's OMK-Task trailer)", async () => {
    const fx = await setup();
    const wts = await twoTasks(fx.repo, fx.base, fx.stateDir, ["t-a", "t-b"]);
    const first = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: GRAPH, accepted: ["t-a"] }));
    must(await cleanup(wts.get("t-a") as TaskWorktree, { deleteBranch: true }));
    const next = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: GRAPH, accepted: ["t-b", "t-a"] }));
    expect(next).toMatchObject({ previousHead: first.head, alreadyIntegrated: ["t-a"], merged: [expect.objectContaining({ taskId: "t-b" })] });
    const never = await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: [...GRAPH, { id: "t-c", dependencies: [] }], accepted: ["t-c"] });
    expect(never.ok ? null : never.error.code).toBe("missing_branch");
  });

  it("returns a conflict naming files and tasks and leaves the integration branch exactly as it was", async () => {
    const fx = await setup();
    const make = async (id: string, content: string) => {
      const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: id, base: fx.base, dir: fx.dir(id) }));
      writeFileSync(path.join(wt.path, "docs/guide.md"), content);
      writeFileSync(path.join(wt.path, `${id}.txt`), `${id}\n`);
      return must(await captureChanges(wt));
    };
    await make("t1", "line 1\nline 2 from t1\nline 3\n");
    await make("t2", "line 1\nline 2 from t2\nline 3\n");
    const graph = [
      { id: "t1", dependencies: [] },
      { id: "t2", dependencies: [] },
    ];
    // Nothing integrated yet: the branch must not even be created.
    const first = await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: graph, accepted: ["t2", "t1"] });
    expect(first.ok).toBe(false);
    if (!first.ok) expect(first.error).toMatchObject({ code: "conflict", task: "t2", files: ["docs/guide.md"], conflictsWith: ["t1"] });
    expect(await gitIn(fx.repo, "for-each-ref", `refs/heads/omk/${GOAL}/integration`)).toBe("");

    const onlyT1 = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: graph, accepted: ["t1"] }));
    const refLog = await gitIn(fx.repo, "rev-parse", `omk/${GOAL}/integration`);
    const conflict = await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: graph, accepted: ["t1", "t2"] });
    expect(conflict.ok).toBe(false);
    expect(conflict.ok ? null : conflict.error.code).toBe("conflict");
    if (!conflict.ok && conflict.error.code === "conflict") {
      expect(conflict.error.files).toEqual(["docs/guide.md"]);
      expect(conflict.error.conflictsWith).toEqual(["t1"]);
      expect(conflict.error.messages.join("\n")).toMatch(/CONFLICT \(content\)/);
      expect(IntegrationConflictSchema.parse(conflict.error)).toMatchObject({ task: "t2", files: ["docs/guide.md"] });
    }
    expect(await gitIn(fx.repo, "rev-parse", `omk/${GOAL}/integration`)).toBe(refLog);
    expect(refLog).toBe(onlyT1.head);
    // No side was picked anywhere: the integrated file is t1's, untouched by t2.
    expect(await gitIn(fx.repo, "show", `omk/${GOAL}/integration:docs/guide.md`)).toBe("line 1\nline 2 from t1\nline 3");
  });

  it("refuses a protected integration branch, an unknown task, a cycle, a missing branch and a checked-out integration branch", async () => {
    const fx = await setup();
    await twoTasks(fx.repo, fx.base, fx.stateDir, ["t-a"]);
    const opts = { repo: fx.repo, goalId: GOAL, base: fx.base, tasks: GRAPH };
    const code = async (r: Promise<{ ok: boolean; error?: { code: string } }>) => (await r).error?.code;
    expect(await code(integrate({ ...opts, accepted: ["t-a"], policy: { protectedBranches: [`omk/${GOAL}/integration`] } }))).toBe("protected_branch");
    expect(await code(integrate({ ...opts, accepted: ["nope"] }))).toBe("unknown_task");
    expect(
      await code(
        integrate({
          ...opts,
          tasks: [
            { id: "t-a", dependencies: ["t-b"] },
            { id: "t-b", dependencies: ["t-a"] },
          ],
          accepted: ["t-a"],
        }),
      ),
    ).toBe("cycle");
    expect(await code(integrate({ ...opts, tasks: [...GRAPH, { id: "t-c", dependencies: [] }], accepted: ["t-c"] }))).toBe("missing_branch");
    must(await integrate({ ...opts, accepted: ["t-a"] }));
    const holder = path.join(makeTempDir(), "holder");
    await gitIn(fx.repo, "worktree", "add", "-q", holder, `omk/${GOAL}/integration`);
    expect(await code(integrate({ ...opts, accepted: ["t-a", "t-b"] }))).toBe("integration_checked_out");
  });
});

describe("integrationOrder", () => {
  it("is topological with ties by id, independent of input order", () => {
    const tasks: GraphTask[] = [
      { id: "c", dependencies: ["a"] },
      { id: "b", dependencies: [] },
      { id: "a", dependencies: [] },
      { id: "d", dependencies: ["c", "b"] },
    ];
    expect(must(integrationOrder(tasks, ["d", "c", "b", "a"]))).toEqual(["a", "b", "c", "d"]);
    expect(must(integrationOrder([...tasks].reverse(), ["a", "d"]))).toEqual(["a", "d"]);
    const chain: GraphTask[] = [
      { id: "a", dependencies: ["z"] },
      { id: "z", dependencies: [] },
    ];
    expect(must(integrationOrder(chain, ["a", "z"]))).toEqual(["z", "a"]);
  });
});
