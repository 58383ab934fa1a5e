import { describe, expect, it } from "vitest";
import { chainRanks, dispatchOrder, graphProblems, topologicalOrder } from "./graph.js";

const t = (id: string, dependencies: string[] = [], priority = 0) => ({ id, dependencies, priority });

describe("graph checks", () => {
  it("finds duplicate ids, unknown and self dependencies, and cycles", () => {
    expect(graphProblems([t("a"), t("a")])).toEqual(['task id "a" appears twice']);
    expect(graphProblems([t("a", ["b"])])).toEqual(['task "a" depends on "b", which is not in the graph']);
    expect(graphProblems([t("a", ["a"])])).toEqual(['task "a" depends on itself']);
    expect(graphProblems([t("a", ["c"]), t("b", ["a"]), t("c", ["b"]), t("d")])).toEqual(["dependency cycle among: a, b, c"]);
    expect(graphProblems([t("a"), t("b", ["a", "a"])])).toEqual([]);
  });

  it("orders topologically and ranks by the longest chain below each task", () => {
    const tasks = [t("d", ["b", "c"]), t("c", ["a"]), t("b", ["a"]), t("a"), t("e")];
    const order = topologicalOrder(tasks);
    expect(order.indexOf("a")).toBeLessThan(order.indexOf("b"));
    expect(order.indexOf("c")).toBeLessThan(order.indexOf("d"));
    expect(Object.fromEntries(chainRanks(tasks))).toEqual({ a: 3, b: 2, c: 2, d: 1, e: 1 });
  });

  it("handles a chain of 20,000 tasks without deep recursion", () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => t(`n${i}`, i === 0 ? [] : [`n${i - 1}`]));
    expect(graphProblems(chain)).toEqual([]);
    expect(chainRanks(chain).get("n0")).toBe(20_000);
  });

  it("dispatches by priority, then rank, then id", () => {
    expect(dispatchOrder([t("b"), t("a"), t("c", [], 1), t("d", ["b"])]).map((x) => x.id)).toEqual(["c", "b", "a", "d"]);
  });
});
