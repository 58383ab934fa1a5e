import { describe, expect, it } from "vitest";
import { dependencyChanges } from "./dependencies.js";
import { knownSecretValues } from "@omk/core";
import { diffFiles, scanDiffForSecrets } from "./secret-scan.js";

const GHP = `ghp_${"Xy9".repeat(12)}`;
const DIFF = `diff --git a/src/config.ts b/src/config.ts
index 1111111..2222222 100644
--- a/src/config.ts
+++ b/src/config.ts
@@ -1,3 +1,5 @@
 export const name = "app";
-export const old = 1;
+export const githubToken = "${GHP}";
+const password = process.env.PASSWORD;
+export const region = "eu-west-1";
 export const done = true;
diff --git a/fixtures/keys.pem b/fixtures/keys.pem
new file mode 100644
--- /dev/null
+++ b/fixtures/keys.pem
@@ -0,0 +1,2 @@
+-----BEGIN EC PRIVATE KEY-----
+MHcCAQEEIB
diff --git a/docs/example.md b/docs/example.md
--- a/docs/example.md
+++ b/docs/example.md
@@ -10,1 +10,3 @@
 text
+Use api_key = "AbCdEf0123456789XyZ9" in the example. <!-- omk-gates: allow-secret -->
+aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-${GHP}
`;

describe("scanDiffForSecrets", () => {
  it("finds secrets on added lines only, with file and line, never echoing the secret", () => {
    const findings = scanDiffForSecrets(DIFF);
    expect(findings.map((f) => [f.file, f.line, f.rule])).toEqual([
      ["src/config.ts", 2, "github-token"],
      ["fixtures/keys.pem", 1, "private-key"],
      ["docs/example.md", 12, "secret-assignment"],
    ]);
    expect(JSON.stringify(findings)).not.toContain(GHP);
    expect(JSON.stringify(findings)).not.toContain("wJalrXUtnFEMI");
    expect(findings[0]?.excerpt).toBe('export const githubToken = "[REDACTED:github-token]";');
  });

  it("matches the literal values the redactor knows (known-value), never printing them; short values are not matched", () => {
    const value = "plain-words-but-secret-42";
    const known = knownSecretValues({ env: { DEPLOY_TOKEN: value, SHORT_TOKEN: "abc12", HOME: "/home/someone-else" } });
    expect(known.map((k) => k.label)).toEqual(["env:DEPLOY_TOKEN"]);
    const diff = `diff --git a/src/a.js b/src/a.js
--- a/src/a.js
+++ b/src/a.js
@@ -1 +1,3 @@
 const a = 1;
+const deploy = "${value}"; // omk-gates: allow-secret
+const b = "abc12";
`;
    expect(scanDiffForSecrets(diff)).toEqual([]);
    const findings = scanDiffForSecrets(diff, { known, ignore: ["src/**"] });
    expect(findings.map((f) => [f.file, f.line, f.rule])).toEqual([["src/a.js", 2, "known-value"]]);
    expect(JSON.stringify(findings)).not.toContain(value);
    // A value shorter than 8 characters is never matched, even when given directly.
    expect(scanDiffForSecrets(diff, { known: [{ value: "abc12", label: "value" }] })).toEqual([]);
  });

  it("skips ignored paths", () => {
    expect(scanDiffForSecrets(DIFF, { ignore: ["fixtures/**", "docs/**"] }).map((f) => f.file)).toEqual(["src/config.ts"]);
  });

  it("lists the files of a diff with their status", () => {
    expect(diffFiles(DIFF)).toEqual([
      { path: "src/config.ts", status: "modified" },
      { path: "fixtures/keys.pem", status: "added" },
      { path: "docs/example.md", status: "modified" },
      { path: "old.txt", status: "deleted" },
    ]);
  });
});

describe("dependencyChanges", () => {
  it("package.json sections and npm, pnpm and yarn lockfiles", () => {
    const changes = dependencyChanges([
      {
        path: "package.json",
        before: JSON.stringify({ scripts: { build: "tsc" }, dependencies: { zod: "^3.0.0", left: "1.0.0" }, devDependencies: { vitest: "^1.0.0" } }),
        after: JSON.stringify({ scripts: { build: "tsup" }, dependencies: { zod: "^4.0.0", "left-pad": "^1.3.0" }, devDependencies: { vitest: "^1.0.0" } }),
      },
      {
        path: "app/package-lock.json",
        before: JSON.stringify({ packages: { "": {}, "node_modules/zod": { version: "3.22.0" } } }),
        after: JSON.stringify({ packages: { "": {}, "node_modules/zod": { version: "4.1.0" }, "node_modules/a/node_modules/b": { version: "2.0.0" } } }),
      },
      {
        path: "pnpm-lock.yaml",
        before: "lockfileVersion: '9.0'\npackages:\n  zod@3.22.0:\n    resolution: {}\n",
        after: "lockfileVersion: '9.0'\npackages:\n  zod@4.1.0:\n    resolution: {}\n  '@scope/x@1.0.0(react@18.0.0)':\n    resolution: {}\n",
      },
      { path: "yarn.lock", before: null, after: '"left-pad@^1.3.0":\n  version "1.3.0"\n  resolved "x"\n' },
    ]);
    expect(changes.map((c) => `${c.file} ${c.section} ${c.change} ${c.name} ${c.from ?? "-"} ${c.to ?? "-"}`)).toEqual([
      "package.json dependencies changed zod ^3.0.0 ^4.0.0",
      "package.json dependencies added left-pad - ^1.3.0",
      "package.json dependencies removed left 1.0.0 -",
      "app/package-lock.json lockfile changed zod 3.22.0 4.1.0",
      "app/package-lock.json lockfile added b - 2.0.0",
      "pnpm-lock.yaml lockfile changed zod 3.22.0 4.1.0",
      "pnpm-lock.yaml lockfile added @scope/x - 1.0.0",
      "yarn.lock lockfile added left-pad - 1.3.0",
    ]);
  });

  it("Cargo, Go and Python manifests", () => {
    const changes = dependencyChanges([
      {
        path: "Cargo.toml",
        before: '[package]\nname = "x"\nversion = "0.1.0"\n\n[dependencies]\nserde = "1.0"\n',
        after:
          '[package]\nname = "x"\nversion = "0.2.0"\n\n[dependencies]\nserde = { version = "1.0.200", features = ["derive"] }\ntokio = "1"\n\n[dev-dependencies.proptest]\nversion = "1.4"\n',
      },
      {
        path: "go.mod",
        before: "module x\n\nrequire (\n\tgithub.com/a/b v1.0.0\n)\n",
        after: "module x\n\nrequire (\n\tgithub.com/a/b v1.1.0\n\tgithub.com/c/d v0.3.0 // indirect\n)\nrequire golang.org/x/y v0.1.0\n",
      },
      { path: "requirements-dev.txt", before: "pytest==7.0\n", after: "pytest==8.0\nRequests[socks]>=2.31 ; python_version > '3.8'\n-r base.txt\n" },
      {
        path: "pyproject.toml",
        before: '[project]\nname = "x"\ndependencies = ["httpx>=0.25"]\n',
        after: '[project]\nname = "x"\ndependencies = [\n  "httpx>=0.27",\n  "rich",\n]\n\n[tool.poetry.dependencies]\npython = "^3.11"\nclick = "^8.1"\n',
      },
      { path: "README.md", before: "a", after: "b" },
    ]);
    expect(changes.map((c) => `${c.ecosystem} ${c.change} ${c.name} ${c.from ?? "-"} ${c.to ?? "-"}`)).toEqual([
      "cargo changed serde 1.0 1.0.200",
      "cargo added tokio - 1",
      "cargo added proptest - 1.4",
      "go changed github.com/a/b v1.0.0 v1.1.0",
      "go added github.com/c/d - v0.3.0",
      "go added golang.org/x/y - v0.1.0",
      "python changed pytest ==7.0 ==8.0",
      "python added requests - >=2.31 ; python_version > '3.8'",
      "python changed httpx >=0.25 >=0.27",
      "python added rich - ",
      "python added click - ^8.1",
    ]);
  });

  it("a manifest that does not parse is still listed", () => {
    expect(dependencyChanges([{ path: "package.json", before: "{}", after: "{not json" }])).toEqual([
      { ecosystem: "npm", file: "package.json", section: "unparsed", name: "package.json", change: "changed", from: null, to: null },
    ]);
  });
});
