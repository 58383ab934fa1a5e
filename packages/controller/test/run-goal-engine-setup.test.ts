// Engine problems only the user can fix (a login or key refused, a --model the engine does not offer,
// a protocol the installed engine does not speak), through runGoal: the goal ends blocked_on_external with the
// engine's own fix in failure.json's resume hint, never failed_infra ("see omk doctor"), and the session is not retried.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FailureSchema } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import { resumeFlagsOf } from "@omk/sessions";
import type { EngineProvider } from "@omk/sessions";
import { bookProvider, GOAL_TEXT, makeGoal, makeRepo, message, PASSED_REVIEW, readyBook, turn, usage } from "./run-goal-fixture.js";

afterAll(() => (process.env["OMK_KEEP_TMP"] === undefined ? cleanupTempDirs() : undefined));

const SCRIPTED_LOGIN = "the scripted engine never needs a login; its scenario asked for one (auth fault)";

/** The same provider, every session's engine spec changed by `change` (what a user's config or flags would set). */
function withSpec(provider: EngineProvider, change: (spec: Record<string, unknown>) => Record<string, unknown>): EngineProvider {
  return {
    ...provider,
    specFor(purpose, runDir) {
      const spec = provider.specFor(purpose, runDir);
      return spec.ok ? { ok: true, value: change(spec.value as Record<string, unknown>) as typeof spec.value } : spec;
    },
  };
}

async function failureOf(provider: EngineProvider) {
  const { repo } = await makeRepo();
  const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
  const result = await runGoal({ store, goalId, engine: provider, scheduler: { pollMs: 50 } });
  expect(result.ok, JSON.stringify(result)).toBe(true);
  const failure = FailureSchema.parse(JSON.parse(readFileSync(store.paths(goalId).failure, "utf8")));
  return { result: result.ok ? result.value : undefined, failure, goalId, events: await store.readEvents(goalId) };
}

function expectEngineSetup(failure: ReturnType<typeof FailureSchema.parse>, problem: string) {
  expect(failure.status).toBe("blocked_on_external");
  expect(failure.cause.code).toBe("engine_setup");
  expect(failure.cause.details).toMatchObject({ engine: "scripted", problem });
  expect(failure.resume.hint).not.toMatch(/omk doctor/);
}

describe.concurrent("runGoal: an engine only the user can fix ends blocked_on_external with the engine's fix", () => {
  it("the plan session's engine needs a login (-32000): the fix is the engine's login, the session is asked once", async () => {
    const { result, failure, goalId, events } = await failureOf(bookProvider(readyBook({ plan: { auth: "prompt", turns: [{ steps: [] }] } })));
    expect(result?.status).toBe("blocked_on_external");
    expectEngineSetup(failure, "engine_auth_required");
    expect(failure.cause.message).toMatch(/^planning: the engine scripted needs a login: engine needs authentication: scripted/);
    expect(failure.resume).toEqual({ command: `omk goal resume ${goalId}`, hint: `${SCRIPTED_LOGIN} (it offers: scripted login); then resume` });
    expect(events.filter((e) => e.type === "session_spend_recorded").map((e) => (e.data as { session: string }).session)).toEqual(["plan#1"]);
  }, 90_000);

  it("Qwen Code's shape of a refused key (-32603 Internal error, the 401 in data.details) is the same auth problem, with the agent's reason", async () => {
    const refused = { fail: { code: -32603, message: "Internal error", data: { details: "401 Incorrect API key provided: [REDACTED]." } } };
    const { failure } = await failureOf(bookProvider(readyBook({ plan: turn(refused) })));
    expectEngineSetup(failure, "engine_auth_required");
    expect(failure.cause.message).toContain("session/prompt: Internal error: 401 Incorrect API key provided");
    expect(failure.resume.hint).toContain(SCRIPTED_LOGIN);
  }, 90_000);

  it("a --model the engine does not offer: the fix lists the models it offers; resume takes --model", async () => {
    const offered = { models: { via: "config_option", available: [{ id: "m-small", name: "small" }, "m-large"], current: "m-small" } };
    const book = readyBook({ plan: { ...offered, turns: [] }, "task:slugify": { ...offered, turns: [] }, "review:reviewer": { ...offered, ...PASSED_REVIEW } });
    const { failure, goalId } = await failureOf(withSpec(bookProvider(book), (spec) => ({ ...spec, model: "gpt-9" })));
    expectEngineSetup(failure, "engine_model_not_offered");
    expect(failure.cause.message).toContain('model "gpt-9" is not offered');
    expect(failure.cause.details?.["fix"]).toMatch(/^choose a model by its name or id \(e\.g\. --model "/);
    expect(failure.cause.message).toMatch(/available: .*small.*m-large/);
    expect(failure.resume.hint).toMatch(/^choose a model by its name or id/);
    // Resume remembers the bad model: the printed command carries an offered one, so it works as printed.
    expect(failure.resume.command).toMatch(new RegExp(`^omk goal resume ${goalId} --model "(small|m-small|m-large)"$`));
  }, 90_000);

  it("kimi-wire on a Kimi Code 2.x (it has no --wire): the fix names --engine kimi", async () => {
    const kimi2 = path.join(makeTempDir(), "kimi");
    writeFileSync(kimi2, "#!/bin/sh\necho \"error: unknown option '--wire'\" >&2\nexit 1\n");
    chmodSync(kimi2, 0o755);
    const provider = withSpec(bookProvider(readyBook()), (spec) => ({ ...spec, protocol: "kimi-wire", command: kimi2, args: ["--wire"] }));
    const { failure, goalId } = await failureOf(provider);
    expectEngineSetup(failure, "engine_protocol_mismatch");
    expect(failure.cause.details?.["fix"]).toMatch(/use --engine kimi/);
    expect(failure.resume.hint).toMatch(/use --engine kimi/);
    // Resume remembers kimi-wire: the printed command switches the engine.
    expect(failure.resume.command).toBe(`omk goal resume ${goalId} --engine kimi`);
  }, 90_000);

  it("a task session's engine needs a login: the goal ends after execution with the login fix, not verified nor reviewed", async () => {
    const book = readyBook({ "task:slugify": { auth: "prompt", turns: [{ steps: [usage(10, 1), message("never")] }] } });
    const { failure, events } = await failureOf(bookProvider(book));
    expectEngineSetup(failure, "engine_auth_required");
    expect(failure.cause.message).toMatch(/^task slugify: the engine scripted needs a login/);
    expect(failure.resume.hint).toContain(SCRIPTED_LOGIN);
    expect(events.some((e) => e.type === "review_recorded" || e.type === "round_started")).toBe(false);
  }, 90_000);

  it("a review session's engine needs a login: the goal ends with the login fix, no follow-up round", async () => {
    const book = readyBook({ "review:reviewer": { auth: "prompt", turns: [] } });
    const { failure, events } = await failureOf(bookProvider(book));
    expectEngineSetup(failure, "engine_auth_required");
    expect(failure.cause.message).toMatch(/^review: the engine scripted needs a login/);
    expect(failure.resume.hint).toContain(SCRIPTED_LOGIN);
    expect(events.some((e) => e.type === "round_started")).toBe(false);
  }, 90_000);
});

describe("resumeFlagsOf: the flag a fix names, only when safe to print as a command", () => {
  it("an offered model, the engine to use instead; nothing for other problems or unsafe names", () => {
    expect(resumeFlagsOf("engine_model_not_offered", 'choose a model by its name or id (e.g. --model "kimi-k2.5"), or configure "x"')).toBe(
      '--model "kimi-k2.5"',
    );
    expect(resumeFlagsOf("engine_model_not_offered", 'choose a model (e.g. --model "$(rm -rf ~)")')).toBeUndefined();
    expect(resumeFlagsOf("engine_model_not_offered", "configure the model in kimi's own config first")).toBeUndefined();
    expect(resumeFlagsOf("engine_protocol_mismatch", "use --engine kimi (ACP through `kimi acp`); kimi-wire needs the Python kimi CLI")).toBe("--engine kimi");
    expect(resumeFlagsOf("engine_auth_required", "use --engine kimi")).toBeUndefined();
  });
});
