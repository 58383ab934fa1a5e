import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRedactor, knownSecretMatcher, knownSecretValues, looksSecretName } from "./redact.js";

const GHP = `ghp_${"Ab3".repeat(12)}`;

describe("looksSecretName", () => {
  it("knows secret names from plain ones", () => {
    for (const name of [
      "API_TOKEN",
      "GITHUB_TOKEN",
      "NPM_AUTH_TOKEN",
      "DB_PASSWORD",
      "AWS_SECRET_ACCESS_KEY",
      "OPENAI_API_KEY",
      "SSH_PRIVATE_KEY",
      "GOOGLE_CREDENTIALS",
      "GH_PAT",
      "DATABASE_URL",
      "SENTRY_DSN",
      "SLACK_WEBHOOK",
    ]) {
      expect(looksSecretName(name), name).toBe(true);
    }
    for (const name of ["PATH", "HOME", "PWD", "OLDPWD", "GIT_AUTHOR_NAME", "SSH_AUTH_SOCK", "TOKEN_FILE", "NODE_ENV", "CI", "LANG", "PATHEXT"]) {
      expect(looksSecretName(name), name).toBe(false);
    }
  });
});

describe("createRedactor", () => {
  const redactor = createRedactor({
    env: { API_TOKEN: "s3cr3t-value-42", SHORT_TOKEN: "abc", PLAIN: "not-a-secret-value" },
    names: ["SERVICE_ID"],
    values: [],
  });

  it("redacts values of secret-looking env vars, allowlisted names, and not short or plain ones", () => {
    const r = createRedactor({
      env: { API_TOKEN: "s3cr3t-value-42", SHORT_TOKEN: "abc", PLAIN: "not-a-secret-value", SERVICE_ID: "svc-77" },
      names: ["SERVICE_ID"],
    });
    expect(r.redact("t=s3cr3t-value-42 s=abc p=not-a-secret-value id=svc-77")).toBe(
      "t=[REDACTED:env:API_TOKEN] s=abc p=not-a-secret-value id=[REDACTED:env:SERVICE_ID]",
    );
  });

  it('redacts a secret\'s base64, base64url and hex encodings too (`printf %s "$TOKEN" | base64`)', () => {
    const value = "Zx8s3cr3tT0k3nV4lu3abc>?~defghij";
    const r = createRedactor({ env: { MY_TOKEN: value } });
    for (const encoded of [Buffer.from(value).toString("base64"), Buffer.from(value).toString("base64url"), Buffer.from(value).toString("hex")]) {
      const out = r.redact(`out: ${encoded}\n`);
      expect(out, encoded).not.toContain(encoded.replace(/=+$/, ""));
      expect(out).toContain(`[REDACTED:env:MY_TOKEN:${encoded === Buffer.from(value).toString("hex") ? "hex" : "base64"}]`);
    }
  });

  it("redacts common token shapes and keeps the surrounding text", () => {
    const cases: Array<[string, string]> = [
      [`push with ${GHP} now`, "push with [REDACTED:github-token] now"],
      [`github_pat_${"11ABCDEFG0".repeat(3)}_xyz`, "[REDACTED:github-pat]"],
      ["key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED:aws-access-key-id] used"],
      ["xoxb-123456789012-abcdefghij", "[REDACTED:slack-token]"],
      ["Authorization: Bearer abcdef0123456789abcdef", "Authorization: Bearer [REDACTED:bearer-token]"],
      ["https://user:pa55word@example.com/x", "https://user:[REDACTED:url-credentials]@example.com/x"],
      ['api_key = "Zq8vR2xL9mN4pT7w"', 'api_key = "[REDACTED:secret-assignment]"'],
      ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "[REDACTED:jwt]"],
    ];
    for (const [input, expected] of cases) expect(redactor.redact(input), input).toBe(expected);
  });

  it("keeps what the transcripts' redactor caught before the two merged: 6-character secret-named values, SESSION and PRIVATE names, sk- keys of 16, Bearer of 8", () => {
    const r = createRedactor({ env: { DB_PASSWORD: "hunt3r", MY_SESSION: "sess-42x", APP_PRIVATE: "pr1v4te" } });
    expect(r.redact("pw=hunt3r s=sess-42x p=pr1v4te")).toBe("pw=[REDACTED:env:DB_PASSWORD] s=[REDACTED:env:MY_SESSION] p=[REDACTED:env:APP_PRIVATE]");
    expect(r.redact("key sk-abcdefghijklmnop1 and Authorization: Bearer abcd1234")).toBe(
      "key [REDACTED:api-key] and Authorization: Bearer [REDACTED:bearer-token]",
    );
  });

  it("redacts what `cat .env` prints, short or low-entropy: any keyword-named value of 6+ characters, URL credentials in any case, long tokens", () => {
    const r = createRedactor();
    for (const [line, secret] of [
      ["password=hunter22x", "hunter22x"],
      ['"password": "Tr0ub4dor&3"', "Tr0ub4dor&3"],
      ["api_key: 1234567890", "1234567890"],
      ["Authorization=abcdef0123456789", "abcdef0123456789"],
      ['API_KEY="p@ss:word(12345)xyz"', "p@ss:word(12345)xyz"],
      ["secret=aaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaa"],
      ["HTTPS://user:hunter2@example.com/x", "hunter2"],
      [`https://${"u".repeat(80)}:hunter2@example.com/`, "hunter2"],
      [`key AIza${"a".repeat(34)}- end`, `AIza${"a".repeat(34)}-`],
      [`ghp_${"a".repeat(300)}`, `ghp_${"a".repeat(300)}`],
    ] as const) {
      expect(r.redact(`${line}\n`), line).not.toContain(secret);
    }
    // A label another rule already wrote is kept, not redacted again.
    expect(createRedactor({ env: { DEPLOY_TOKEN: "s3cr3t-value-42" } }).redact("password: s3cr3t-value-42")).toBe("password: [REDACTED:env:DEPLOY_TOKEN]");
  });

  it("leaves ordinary log text alone", () => {
    const text = "commit 4f9a4d9fac3c1e2b0a7d6c5b4a3f2e1d0c9b8a7f ok\nFAIL src/x.test.ts > adds (12 ms)\npassword prompt skipped\ntoken count: 12000\n";
    expect(redactor.redact(text)).toBe(text);
  });

  it("redacts a private key block, even split across chunks", () => {
    const stream = redactor.stream();
    const out = [
      stream.push("before\n-----BEGIN OPENSSH PRIV"),
      stream.push("ATE KEY-----\nb3BlbnNzaC1rZXk\nAAAA"),
      stream.push("\n-----END OPENSSH PRIVATE KEY-----\nafter\n"),
      stream.end(),
    ].join("");
    expect(out).toBe("before\n[REDACTED:private-key]\nafter\n");
  });

  it("never lets a secret through, wherever the chunk boundaries fall (property)", () => {
    const secrets = ["s3cr3t-value-42", GHP, "AKIAIOSFODNN7EXAMPLE"];
    fc.assert(
      // Token shapes are words: a secret glued to more letters is a different word, so parts are delimited.
      fc.property(
        fc.array(fc.constantFrom(...secrets.map((s) => ` ${s}\t`), "plain words ", "\n", "x=", " ")),
        fc.array(fc.nat(), { maxLength: 6 }),
        (parts, cuts) => {
          const text = parts.join("");
          const points = [...new Set(cuts.map((c) => (text.length === 0 ? 0 : c % text.length)))].sort((a, b) => a - b);
          const stream = redactor.stream();
          let out = "";
          let at = 0;
          for (const p of points) {
            out += stream.push(text.slice(at, p));
            at = p;
          }
          out += stream.push(text.slice(at)) + stream.end();
          for (const secret of secrets) expect(out.includes(secret)).toBe(false);
          expect(out).toBe(redactor.redact(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("redacts strings anywhere in a JSON-like value", () => {
    expect(redactor.redactDeep({ a: [`x ${GHP}`], b: { c: 1, d: "s3cr3t-value-42" }, e: null })).toEqual({
      a: ["x [REDACTED:github-token]"],
      b: { c: 1, d: "[REDACTED:env:API_TOKEN]" },
      e: null,
    });
  });

  it("handles a long line with no newline (kept back only up to a bound) without losing secrets", () => {
    const stream = redactor.stream();
    const long = `${"y".repeat(70_000)} ${GHP} ${"z".repeat(70_000)}`;
    let out = "";
    for (let i = 0; i < long.length; i += 4096) out += stream.push(long.slice(i, i + 4096));
    out += stream.end();
    expect(out).not.toContain(GHP);
    expect(out.length).toBe(long.length - GHP.length + "[REDACTED:github-token]".length);
  });

  it("never cuts a long line inside a secret: the secret's offset swept across the cut point, small chunks", () => {
    const secret = "S3cr3tValue_abcdefghijklmnop1234567890XYZ";
    const r = createRedactor({ env: { MY_TOKEN: secret } });
    const leaks: number[] = [];
    for (let off = -2600; off < -2000; off += 3) {
      for (const chunk of [4096, 1000]) {
        const stream = r.stream();
        const line = `${"x".repeat(70_000 + off)} ${secret} ${"y".repeat(5000)}\n`;
        let out = "";
        for (let i = 0; i < line.length; i += chunk) out += stream.push(line.slice(i, i + chunk));
        out += stream.end();
        if (out.includes(secret.slice(0, 10)) || !out.includes(" [REDACTED:env:MY_TOKEN] ")) leaks.push(off);
      }
    }
    expect(leaks).toEqual([]);
  });
});

describe("knownSecretMatcher", () => {
  const value = "misb7f3c9a1e5b2d4c6e8f0a1b3c5d7e9f";
  const matcher = knownSecretMatcher(
    knownSecretValues({ env: { MISB_DEPLOY_TOKEN: value, SHORT_TOKEN: "abc", PLAIN: "not-a-secret-value" }, values: ["engine-key-123456"] }),
  );

  it("names which secret a text carries, plain, inside a JSON string, base64 at every alignment, hex, or spelled out", () => {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const cases: Array<[string, string]> = [
      [`deploy token: ${value}\n`, "plain"],
      [JSON.stringify({ text: `the token is "${value}"` }), "plain"],
      [`${b64(value)}\n`, "base64"],
      [`${b64(`token=${value}\n`)}`, "base64"],
      [`${b64(`x${value}`)}`, "base64"],
      [`${b64(`xy${value}`)}`, "base64"],
      [Buffer.from(`a${value}`).toString("base64url"), "base64"],
      [Buffer.from(value).toString("hex"), "hex"],
      [`${value.split("").join(" ")} \n`, "spaced"],
      [JSON.stringify(value.split("").join("\n")), "spaced"],
    ];
    for (const [text, form] of cases) {
      expect(matcher.find(text), text).toEqual([{ label: "env:MISB_DEPLOY_TOKEN", form }]);
      const redacted = matcher.redact(text);
      expect(redacted).toContain(`[REDACTED:env:MISB_DEPLOY_TOKEN:${form}]`);
      expect(matcher.find(redacted), redacted).toEqual([]);
    }
    expect(matcher.find("key: engine-key-123456")).toEqual([{ label: "value", form: "plain" }]);
    expect(matcher.size).toBe(2);
  });

  it("finds nothing in text without a known value: not a part of it, not short or plain-named values", () => {
    for (const text of [
      value.slice(0, 20),
      "abc abc",
      "not-a-secret-value",
      `${value.slice(0, 12)} ${value.slice(12)}`,
      Buffer.from(value.slice(0, 5)).toString("base64"),
      "",
    ]) {
      expect(matcher.find(text), text).toEqual([]);
    }
    expect(knownSecretMatcher([]).find(value)).toEqual([]);
  });

  it("finds a known value anywhere in random text around it (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (before, after) => {
        expect(matcher.find(`${before}${value}${after}`).map((h) => h.label)).toContain("env:MISB_DEPLOY_TOKEN");
        expect(matcher.find(Buffer.from(`${before}${value}${after}`).toString("base64")).map((h) => h.label)).toContain("env:MISB_DEPLOY_TOKEN");
      }),
    );
  });
});

// The cases of the engine transcripts' redactor (formerly @omk/wire's own, which wrote a bare `[REDACTED]`): one rule set now.
describe("createRedactor on transcript and stderr lines", () => {
  it("redacts values of secret-looking env vars, but not short or harmless ones", () => {
    const { redact } = createRedactor({ env: { OPENAI_API_KEY: "abc123xyz789", GITHUB_TOKEN: "tok-0987654321", HOME: "/home/someone", SESSION: "1" } });
    expect(redact("key=abc123xyz789 and tok-0987654321 in /home/someone")).toBe(
      "key=[REDACTED:env:OPENAI_API_KEY] and [REDACTED:env:GITHUB_TOKEN] in /home/someone",
    );
    expect(looksSecretName("DB_PASSWORD")).toBe(true);
    expect(looksSecretName("PATH")).toBe(false);
  });

  it("redacts common token shapes and assignments", () => {
    const { redact } = createRedactor();
    const cases: Array<[string, string]> = [
      ["export OPENAI=sk-proj-abcdefghijklmnopqrstuv", "export OPENAI=[REDACTED:openai-key]"],
      ["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[REDACTED:github-token]"],
      ["Authorization: Bearer abc.def.ghijklmnop", "Authorization: Bearer [REDACTED:bearer-token]"],
      ['{"api_key": "s3cr3t-value"}', '{"api_key": "[REDACTED:secret-assignment]"}'],
      ["https://user:hunter22@example.com/x", "https://user:[REDACTED:url-credentials]@example.com/x"],
      ["AKIAABCDEFGHIJKLMNOP", "[REDACTED:aws-access-key-id]"],
    ];
    for (const [input, output] of cases) expect(redact(input)).toBe(output);
    expect(redact("nothing secret here: 12345")).toBe("nothing secret here: 12345");
  });

  it("handles a long line in linear time", () => {
    const { redact } = createRedactor({ env: { MY_TOKEN: "abcdefgh" } });
    const line = "x".repeat(2_000_000);
    // No clock: a quadratic scan of 2M characters (~10^12 steps) would run far past the test's timeout.
    expect(redact(line)).toBe(line);
  });
});
