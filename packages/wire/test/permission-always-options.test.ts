import path from "node:path";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { ofType } from "./helpers.js";
import { rawSession } from "./raw-agent.js";

afterAll(cleanupTempDirs);

describe("the permission policy never picks an 'always' option", () => {
  const request = (root: string, options: Array<{ optionId: string; kind: string }>) => ({
    method: "session/request_permission",
    params: {
      toolCall: { toolCallId: "t1", title: "edit", kind: "edit", locations: [{ path: path.join(root, "a.txt") }] },
      options: options.map((o) => ({ ...o, name: o.optionId })),
    },
  });

  it("allowed, but only allow_always and reject_once offered: picks reject_once and says why", async () => {
    const { session, events, log } = await rawSession((root) => ({
      during: [
        request(root, [
          { optionId: "always", kind: "allow_always" },
          { optionId: "no", kind: "reject_once" },
        ]),
      ],
    }));
    await session.prompt("go");
    await session.close();
    expect(log()[0]).toMatchObject({ result: { outcome: { outcome: "selected", optionId: "no" } } });
    const [permission] = ofType(events, "permission");
    expect(permission).toMatchObject({ decision: "reject", optionId: "no", reason: expect.stringContaining("no allow_once") });
  });

  it("only 'always' options offered: answers cancelled, for an allow and for a reject", async () => {
    const always = [
      { optionId: "yes-always", kind: "allow_always" },
      { optionId: "no-always", kind: "reject_always" },
    ];
    const outside = request("/etc", always);
    const { session, events, log } = await rawSession((root) => ({ during: [request(root, always), outside] }));
    await session.prompt("go");
    await session.close();
    expect(log().map((m) => m["result"])).toEqual([{ outcome: { outcome: "cancelled" } }, { outcome: { outcome: "cancelled" } }]);
    expect(ofType(events, "permission").map((e) => [e.decision, e.optionId])).toEqual([
      ["cancelled", undefined],
      ["cancelled", undefined],
    ]);
    expect(ofType(events, "permission")[0]?.reason).toContain("no allow_once option and no reject_once");
  });
});
