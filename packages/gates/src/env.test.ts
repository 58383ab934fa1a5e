import { describe, expect, it } from "vitest";
import { allowedEnv } from "./env.js";

describe("allowedEnv (the one rule for gates, setup, the oracle's checks and agent commands)", () => {
  it("drops secret-looking names and unset values, keeps the rest as they are", () => {
    const env = allowedEnv({
      PATH: "/usr/bin",
      HOME: "/home/u",
      GITHUB_TOKEN: "ghp_x",
      OPENAI_API_KEY: "sk-x",
      DB_PASSWORD: "p",
      AWS_SECRET_ACCESS_KEY: "s",
      LANG: undefined,
      NODE_ENV: "test",
    });
    expect(env).toEqual({ PATH: "/usr/bin", HOME: "/home/u", NODE_ENV: "test" });
  });
});
