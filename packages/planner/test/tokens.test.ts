import { describe, expect, it } from "vitest";
import { correctIntentWord, editDistance, tokenise } from "../src/internal/tokens.js";

describe("tokenise: facts are taken out of the prose", () => {
  it("calls, paths and their arguments", () => {
    const t = tokenise("Fix add() in src/add.js so that add(2,2) returns 4");
    expect(t.prose).toBe("fix _ident_ in _path_ so that _ident_ returns 4");
    expect(t.facts.identifiers).toEqual(["add()", "add(2,2)"]);
    expect(t.facts.paths).toEqual(["src/add.js"]);
  });

  it("camelCase, PascalCase, snake_case, SCREAMING_CASE and dotted names", () => {
    const t = tokenise("rename getUsr to getUser in UserService; get_user_by_id reads process.env.API_KEY and MAX_RETRIES");
    expect(t.facts.identifiers).toEqual(["process.env.API_KEY", "getUsr", "getUser", "UserService", "get_user_by_id", "MAX_RETRIES"]);
    expect(t.prose).toBe("rename _ident_ to _ident_ in _ident_; _ident_ reads _ident_ and _ident_");
  });

  it("code spans, double, single and curly quotes (not apostrophes)", () => {
    const t = tokenise("`npm test` fails; the error says \"add is not a function\" and 'map' is undefined, it's ‘weird’ and don't");
    expect(t.facts.codeSpans).toEqual(["`npm test`"]);
    expect(t.facts.quoted).toEqual(['"add is not a function"', "'map'", "‘weird’"]);
    expect(t.prose).toBe("_code_ fails; the error says _quote_ and _quote_ is undefined, it's _quote_ and don't");
  });

  it("paths of every shape, and words with a slash that are not paths", () => {
    const t = tokenise("see ./a, ../b/c, /api/users/:id, lib/legacy/, *.ts, **/*.test.js, README.md, docs/cli and input/output or and/or");
    expect(t.facts.paths).toEqual(["./a", "../b/c", "/api/users/:id", "lib/legacy/", "*.ts", "**/*.test.js", "README.md", "docs/cli"]);
    expect(t.prose).toContain("input/output or and/or");
  });

  it("URLs, flags and versions; dates, CVE ids and abbreviations stay", () => {
    const t = tokenise(
      "upgrade express to v5 (see https://expressjs.com/en/guide/migrating-5.html), add --dry-run and --out=x.json, since 2.3.0 on 2024-05-01, CVE-2024-1234, e.g. this",
    );
    expect(t.facts.urls).toEqual(["https://expressjs.com/en/guide/migrating-5.html"]);
    expect(t.facts.flags).toEqual(["--dry-run", "--out=x.json"]);
    expect(t.facts.versions).toEqual(["v5", "2.3.0"]);
    expect(t.prose).toContain("2024-05-01, cve-2024-1234, e.g. this");
    expect(t.prose.startsWith("upgrade express to _version_ (see _url_)")).toBe(true);
  });

  it("language and tool names with inner capitals are words", () => {
    const t = tokenise("Port the CLI to TypeScript and JavaScript on GitHub");
    expect(t.facts.identifiers).toEqual([]);
    expect(t.prose).toBe("port the cli to typescript and javascript on github");
  });

  it("big-O complexity is one fact", () => {
    const t = tokenise("parse_rows is O(n^2)");
    expect(t.facts.identifiers).toEqual(["O(n^2)", "parse_rows"]);
  });
});

describe("typos of intent words", () => {
  it("reads a typo of a long intent word as the word, within one edit", () => {
    expect(correctIntentWord("implment")).toBe("implement");
    expect(correctIntentWord("refactr")).toBe("refactor");
    expect(correctIntentWord("docuemnt")).toBe("document");
    expect(correctIntentWord("optimze")).toBe("optimize");
    expect(correctIntentWord("fixx")).toBe("fix");
    expect(tokenise("implment pagination").corrections).toEqual([["implment", "implement"]]);
  });

  it("leaves real words, inflections and far words alone", () => {
    for (const w of ["implemented", "documents", "refactoring", "harder", "father", "concert", "fixed", "mix", "address", "important", "reported"])
      expect(correctIntentWord(w), w).toBeUndefined();
  });

  it("edit distance counts a transposition as one edit", () => {
    expect(editDistance("docuemnt", "document")).toBe(1);
    expect(editDistance("abc", "abc")).toBe(0);
    expect(editDistance("kitten", "sitting", 5)).toBe(3);
  });
});
