import assert from "node:assert/strict";
import { test } from "node:test";
import { truncate } from "../src/truncate.js";

test("truncate keeps short text as it is", () => {
  assert.equal(truncate("hello", 10), "hello");
});

test("truncate cuts long text and ends it with an ellipsis", () => {
  assert.equal(truncate("hello world", 8), "hello w…");
});
