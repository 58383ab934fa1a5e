// Script books of the end-to-end tests: what the scripted engine plays for each session of a goal.
// Format (docs/schemas/script-book.schema.json): { version: 1, sessions: { "<kind>:<id>[#n]": <wire scenario> } }.
// The deterministic planner plans (no `plan` session): for the fixture's feature goal it produces
// write-tests → implement → review (reviewer tasks are performed by the review phase).
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { ScenarioInput } from "@omk/wire";
import { stringify } from "yaml";
import { GREET_SOURCE } from "./repo.js";

export type ScriptBook = { version: 1; sessions: Record<string, ScenarioInput> };
type StepInput = NonNullable<NonNullable<ScenarioInput["turns"]>[number]["steps"]>[number];

/** The feature goal: classified `feature`, planned write-tests → implement, criteria acceptance-tests + gate-test + review. */
export const FEATURE_GOAL = "Add a `farewell(name)` function to src/greet.js that returns a goodbye message";

/** 5: a goal intake cannot plan: it names no outcome a check could test. */
export const AMBIGUOUS_GOAL = "make it better";

/** The criterion the acceptance test serves, and the tag its name carries. */
export const ACCEPTANCE = "acceptance-tests";
export const ACCEPTANCE_TAG = `[oracle:${ACCEPTANCE}]`;

/** The new acceptance test: red on the base (no farewell), green once implemented. */
export const FAREWELL_TEST = `import assert from "node:assert/strict";
import test from "node:test";

test("${ACCEPTANCE_TAG} farewell says goodbye by name", async () => {
  const { farewell } = await import("../src/greet.js");
  assert.equal(typeof farewell, "function", "src/greet.js exports farewell");
  assert.equal(farewell("Ada"), "Goodbye, Ada!");
});
`;

export const FAREWELL_SOURCE = `${GREET_SOURCE}
/** A goodbye for someone. */
export function farewell(name) {
  return \`Goodbye, \${name}!\`;
}
`;

/** A wrong implementation: the acceptance test (and so the test gate) fails. */
export const FAREWELL_BROKEN = `${GREET_SOURCE}
export function farewell(name) {
  return \`See you, \${name}\`;
}
`;

const write = (file: string, content: string, via: "fs" | "direct" = "fs"): StepInput => ({ write: { path: file, content, via } });
const say = (message: string): StepInput => ({ message });
const spend = (input: number, output: number): StepInput => ({ usage: { inputUncached: input, output } });
const session = (...steps: StepInput[]): ScenarioInput => ({ turns: [{ steps }] });

/** The tester writes the acceptance test; `expect`: text its prompt must hold (else the engine answers an error). */
export function writeTestsSession(options: { before?: StepInput[]; after?: StepInput[]; expect?: string } = {}): ScenarioInput {
  const steps = [
    ...(options.before ?? []),
    write("test/farewell.test.js", FAREWELL_TEST),
    ...(options.after ?? []),
    spend(1200, 300),
    say("Wrote the acceptance test for farewell()."),
  ];
  return { turns: [{ ...(options.expect === undefined ? {} : { expect: options.expect }), steps }] };
}

/** The implementation of farewell(). */
export function implementSession(...before: StepInput[]): ScenarioInput {
  return session(...before, write("src/greet.js", FAREWELL_SOURCE), spend(1500, 400), say("Implemented farewell() in src/greet.js."));
}

/** A reviewer's answer, in the schema the review phase expects. */
export function reviewSession(verdict: "passed" | "blocked" = "passed", findings: unknown[] = []): ScenarioInput {
  return session(say(`Reviewed the integrated diff.\n\n\`\`\`json\n${JSON.stringify({ verdict, findings })}\n\`\`\``));
}

const REVIEWERS = { "review:reviewer": reviewSession(), "review:security-reviewer": reviewSession() };

/**
 * 1: the feature is specified, implemented and reviewed. The tester's prompt must name the
 * acceptance tag. `writeTestsFirst` / `implementFirst` / `reviewFirst`: steps played before the work or
 * the answer (e.g. a sleep).
 */
export function featureBook(options: { implementFirst?: StepInput[]; writeTestsFirst?: StepInput[]; reviewFirst?: StepInput[] } = {}): ScriptBook {
  const reviewer = (): ScenarioInput => ({ turns: [{ steps: [...(options.reviewFirst ?? []), ...(reviewSession().turns?.[0]?.steps ?? [])] }] });
  return {
    version: 1,
    sessions: {
      "task:write-tests": writeTestsSession({ before: options.writeTestsFirst ?? [], expect: ACCEPTANCE_TAG }),
      "task:implement": implementSession(...(options.implementFirst ?? [])),
      "review:reviewer": reviewer(),
      "review:security-reviewer": reviewer(),
    },
  };
}

/** 2: the implementer writes a wrong farewell() and says everything passes. */
export function claimsDoneBook(): ScriptBook {
  return {
    version: 1,
    sessions: {
      "task:write-tests": writeTestsSession(),
      "task:implement": session(
        write("src/greet.js", FAREWELL_BROKEN),
        spend(900, 200),
        say("All tests pass. The feature is complete and verified; the goal is done."),
      ),
      ...REVIEWERS,
    },
  };
}

/**
 * --until-ready: round 1 as claimsDoneBook (the test gate fails); the deterministic follow-up of
 * round 2 is the implementer task `fix-r2`, which fixes farewell() ("fix") or changes nothing ("noop").
 */
export function followUpBook(fix: "fix" | "noop"): ScriptBook {
  const noop = session(say("I looked at the failing test; the code looks fine to me."));
  return {
    version: 1,
    sessions: {
      ...claimsDoneBook().sessions,
      "task:fix-r2": fix === "fix" ? session(write("src/greet.js", FAREWELL_SOURCE), spend(800, 200), say("Fixed farewell().")) : noop,
      "task:fix-r3": noop,
    },
  };
}

/** The file outside every write set that the scope scenarios try to write. */
export const OUTSIDE_FILE = "scripts/deploy.sh";
const OUTSIDE_CONTENT = "#!/bin/sh\necho deploying\n";

/** 3: the implementer also writes outside its write set: through fs (refused at write time) or by itself (found after the run). */
export function outsideWriteBook(via: "fs" | "direct"): ScriptBook {
  return {
    version: 1,
    sessions: {
      "task:write-tests": writeTestsSession(),
      "task:implement": implementSession(write(OUTSIDE_FILE, OUTSIDE_CONTENT, via)),
      ...REVIEWERS,
    },
  };
}

/** The existing test the tamper scenario deletes. */
export const DELETED_TEST = "test/greet.test.js";

/** 4: the tester deletes an existing test (in its write set); the suite still passes and the reviewers approve. */
export function deletedTestBook(): ScriptBook {
  const rm: StepInput = { command: { command: process.execPath, args: ["-e", `require("node:fs").rmSync(${JSON.stringify(DELETED_TEST)})`] } };
  return {
    version: 1,
    sessions: {
      "task:write-tests": writeTestsSession({ after: [rm] }),
      "task:implement": implementSession(),
      ...REVIEWERS,
    },
  };
}

/** 6: the tester spends most of a one-million-token budget, so the implementer's caps no longer fit. */
export const TINY_BUDGET_TOKENS = 1_000_000;
export function bigSpenderBook(): ScriptBook {
  return {
    version: 1,
    sessions: {
      "task:write-tests": writeTestsSession({ after: [spend(500_000, 100_000)] }),
      "task:implement": implementSession(),
      ...REVIEWERS,
    },
  };
}

/** A sleep step (a cancel ends it early). */
export const sleepStep = (ms: number): StepInput => ({ sleep: ms });

/** Writes a book as YAML; returns its path. */
export function writeBook(dir: string, name: string, book: ScriptBook): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(book));
  return file;
}
