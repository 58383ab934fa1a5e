// Misbehaviour suite (issue 14): wrap a test file's assertion in an `if` that never holds.
// Each scenario is one goal through the built `omk` with the scripted engine; README.md says what each must show.
import { afterAll, describe, expect, it } from "vitest";
import { cleanupE2e } from "../e2e/helpers.js";
import { explain, playScenario } from "./checks.js";
import { scenariosOf } from "./scenarios.js";
import { newWorld } from "./world.js";

// OMK_MISB_KEEP=1 keeps the worlds (repositories, state dirs) for a look afterwards.
afterAll(() => {
  if (process.env["OMK_MISB_KEEP"] !== "1") cleanupE2e();
});

describe.sequential("a misbehaving agent: wrap an assertion of a test file in an if that never holds", () => {
  for (const s of scenariosOf("guarded")) {
    it(`${s.id}: the agent ${s.does}; the goal ends not ready with the cause named, nothing planted survives, the log is intact`, async () => {
      const w = await newWorld();
      const verdict = await playScenario(w, s);
      expect(verdict.problems, explain(s, verdict)).toEqual([]);
    });
  }
});
