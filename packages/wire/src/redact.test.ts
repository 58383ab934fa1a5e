import { describe, expect, it } from "vitest";
import { createRedactor, looksSecretName } from "./redact.js";

describe("createRedactor", () => {
  it("redacts values of secret-looking env vars, but not short or harmless ones", () => {
    const redact = createRedactor({ env: { OPENAI_API_KEY: "abc123xyz789", GITHUB_TOKEN: "tok-0987654321", HOME: "/home/someone", SESSION: "1" } });
    expect(redact("key=abc123xyz789 and tok-0987654321 in /home/someone")).toBe("key=[REDACTED] and [REDACTED] in /home/someone");
    expect(looksSecretName("DB_PASSWORD")).toBe(true);
    expect(looksSecretName("PATH")).toBe(false);
  });

  it("redacts common token shapes and assignments", () => {
    const redact = createRedactor();
    const cases: Array<[string, string]> = [
      ["export OPENAI=sk-proj-abcdefghijklmnopqrstuv", "export OPENAI=[REDACTED]"],
      ["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[REDACTED]"],
      ["Authorization: Bearer abc.def.ghijklmnop", "Authorization: Bearer [REDACTED]"],
      ['{"api_key": "s3cr3t-value"}', '{"api_key": "[REDACTED]"}'],
      ["https://user:hunter22@example.com/x", "https://user:[REDACTED]@example.com/x"],
      ["AKIAABCDEFGHIJKLMNOP", "[REDACTED]"],
    ];
    for (const [input, output] of cases) expect(redact(input)).toBe(output);
    expect(redact("nothing secret here: 12345")).toBe("nothing secret here: 12345");
  });

  it("handles a long line in linear time", () => {
    const redact = createRedactor({ env: { MY_TOKEN: "abcdefgh" } });
    const line = "x".repeat(2_000_000);
    // No clock: a quadratic scan of 2M characters (~10^12 steps) would run far past the test's timeout.
    expect(redact(line)).toBe(line);
  });
});
