import { describe, expect, it } from "vitest";
import { engineSpecProvider, type SessionPurpose } from "../src/index.js";

describe("engineSpecProvider: a real engine from a resolved spec", () => {
  it("offers every purpose with the checked spec and carries the price table", () => {
    const priceTable = { version: 1 as const, prices: { mine: { "*": { inputUncached: 1, cacheRead: 0.1, cacheWrite: 0, output: 2 } } } };
    const provider = engineSpecProvider(
      { name: "mine", protocol: "acp", command: "/opt/agent/bin/agent", args: ["acp"], env: { A: "1" } },
      { priceTable, secrets: ["value-from-env"] },
    );
    expect(provider.ok).toBe(true);
    if (!provider.ok) return;
    expect(provider.value.name).toBe("mine");
    expect(provider.value.priceTable).toEqual(priceTable);
    expect(provider.value.secrets).toEqual(["value-from-env"]);
    for (const purpose of [
      { kind: "plan", round: 1 },
      { kind: "task", taskId: "t", attempt: 1, round: 1 },
      { kind: "review", reviewer: "break-it", round: 1 },
      { kind: "followups", round: 2 },
    ] satisfies SessionPurpose[]) {
      expect(provider.value.offers(purpose)).toBe(true);
      const spec = provider.value.specFor(purpose, "/tmp/run");
      expect(spec.ok && spec.value).toMatchObject({
        name: "mine",
        command: "/opt/agent/bin/agent",
        args: ["acp"],
        env: { A: "1" },
        home: "user",
        homeCopy: [],
      });
    }
    const plain = engineSpecProvider({ name: "plain", protocol: "kimi-wire", command: "kimi" });
    expect(plain.ok && plain.value.priceTable).toBeUndefined();
    expect(plain.ok && plain.value.secrets).toBeUndefined();
  });

  it("an invalid spec is a problem with a fix", () => {
    const provider = engineSpecProvider({ name: "broken", protocol: "grpc" as "acp", command: "" });
    expect(provider.ok).toBe(false);
    if (provider.ok) return;
    expect(provider.error.code).toBe("engine_invalid");
    expect(provider.error.message).toMatch(/^engine broken: invalid engine spec: /);
    expect(provider.error.fix).toBeTruthy();
  });
});
