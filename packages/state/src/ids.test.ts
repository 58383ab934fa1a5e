import { decodeTime } from "ulid";
import { describe, expect, it } from "vitest";
import { InvalidIdError } from "./errors.js";
import { IdSchema, idProblem, newGoalId, parseId } from "./ids.js";

const ULID_LOWER = /^[0-9abcdefghjkmnpqrstvwxyz]{26}$/;

describe("newGoalId", () => {
  it("is a 26-character lowercase ULID that encodes its creation time", () => {
    const t = Date.parse("2026-03-01T10:00:00.000Z");
    const id = newGoalId(t);
    expect(id).toMatch(ULID_LOWER);
    expect(decodeTime(id.toUpperCase())).toBe(t);
    expect(parseId(id)).toBe(id);
  });

  it("sorts by creation time, also within one millisecond", () => {
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) ids.push(newGoalId());
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(ULID_LOWER);
  });

  it("sorts by the time it is given", () => {
    const start = Date.now() + 60_000;
    const ids = Array.from({ length: 200 }, (_, i) => newGoalId(start + i * 7));
    expect([...ids].sort()).toEqual(ids);
  });
});

describe("parseId", () => {
  it.each(["a", "0", "t1-doctor-git", "A.b_c-1", "v1.2.3", "01jabcdefghjkmnpqrstvwxyz0", "x".repeat(128)])("accepts %j", (id) => {
    expect(parseId(id)).toBe(id);
    expect(idProblem(id)).toBeUndefined();
    expect(IdSchema.safeParse(id).success).toBe(true);
  });

  const hostile: Array<[string, string]> = [
    ["", "is empty"],
    ["x".repeat(129), "is longer than 128 characters"],
    ["..", 'contains ".."'],
    ["a..b", 'contains ".."'],
    ["../etc/passwd", "contains a path separator"],
    ["a/b", "contains a path separator"],
    ["/abs", "contains a path separator"],
    ["a\\b", "contains a path separator"],
    ["..\\..\\win", "contains a path separator"],
    ["a\u0000b", "contains a control character"],
    ["a\nb", "contains a control character"],
    ["tab\there", "contains a control character"],
    ["del\u007f", "contains a control character"],
    [".hidden", "starting with a letter or digit"],
    [".", "starting with a letter or digit"],
    ["-rf", "starting with a letter or digit"],
    ["_x", "starting with a letter or digit"],
    ["a b", "may hold only letters, digits"],
    ["a:b", "may hold only letters, digits"],
    ["café", "may hold only letters, digits"],
  ];

  it.each(hostile)("rejects %j: %s", (id, problem) => {
    let error: unknown;
    try {
      parseId(id, "goal id");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidIdError);
    expect(error).toMatchObject({ code: "OMK_STATE_INVALID_ID", fix: expect.stringContaining("omk goal list") });
    const message = (error as Error).message;
    expect(message.startsWith(`goal id ${JSON.stringify(id)} `)).toBe(true);
    expect(message).toContain(problem);
    expect(idProblem(id)).toContain(problem);
    const parsed = IdSchema.safeParse(id);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe(`id ${idProblem(id)}`);
  });

  it('names the value as "id" by default', () => {
    expect(() => parseId("a/b")).toThrow('id "a/b" contains a path separator');
  });
});
