// Conformance with the real Kimi Code CLI (not written by us), driven by OMK's ACP client
// against a scripted OpenAI-compatible model server. Needs $OMK_AGENTS_DIR from
// tooling/install-agents.mjs; fails (never skips) without it.
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, type FakeModelReply, type FakeOpenAI, makeTempDir, startFakeOpenAI, startModelServer } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import {
  detectEngines,
  EngineAuthRequiredError,
  EngineProtocolMismatchError,
  enginePreset,
  isolationDirs,
  ModelNotOfferedError,
  openSession,
  type WireEvent,
} from "../../src/index.js";
import { leftovers, ofType } from "../helpers.js";
import { agents, entriesOf } from "./agents.js";

afterAll(() => cleanupTempDirs());

function kimiConfig(home: string, url: string): void {
  mkdirSync(path.join(home, ".kimi-code"), { recursive: true });
  writeFileSync(
    path.join(home, ".kimi-code", "config.toml"),
    `default_model = "fake"\ndefault_permission_mode = "manual"\ntelemetry = false\n[providers.local]\ntype = "openai"\nbase_url = "${url}"\napi_key = "sk-test"\n[models.fake]\nprovider = "local"\nmodel = "fake-model"\nmax_context_size = 131072\ncapabilities = ["tool_use"]\n`,
  );
}

describe("Kimi Code (real) through OMK's ACP client", () => {
  it("writes a file through OMK's fs handler, runs a command through OMK's terminal, reports usage from its session log, is refused an out-of-scope write, and cancels a hung model call", async () => {
    const { kimi } = agents();
    const base = makeTempDir("omk-kimi-conf-");
    const root = path.join(base, "root");
    const outside = path.join(base, "outside", "evil.txt");
    mkdirSync(root);
    const runDir = path.join(base, "run");
    let server: FakeOpenAI | undefined;
    try {
      server = await startFakeOpenAI([
        { toolCalls: [{ name: "Write", arguments: { path: "hello.txt", content: "hi\n" } }], usage: { prompt_tokens: 1000, completion_tokens: 20 } },
        { toolCalls: [{ name: "Bash", arguments: { command: "cat hello.txt" } }], usage: { prompt_tokens: 1100, completion_tokens: 10 } },
        { text: "Wrote and checked hello.txt.", usage: { prompt_tokens: 1200, completion_tokens: 8 } },
        { toolCalls: [{ name: "Write", arguments: { path: outside, content: "nope" } }] },
        { text: "That write was refused." },
        { hang: true },
      ]);
      kimiConfig(isolationDirs(runDir).home, server.url);
      const spec = enginePreset("kimi", { command: kimi.node, args: [kimi.entry, "acp"], home: "hermetic" });
      if (!spec.ok) throw spec.error;
      const events: WireEvent[] = [];
      const opened = await openSession({
        engine: spec.value,
        cwd: root,
        runDir,
        transcriptPath: path.join(base, "t.jsonl"),
        deadlines: { handshakeMs: 60_000, cancelGraceMs: 10_000 },
        onEvent: (e) => events.push(e),
      });
      if (!opened.ok) throw opened.error;
      const session = opened.value;

      const one = await session.prompt("create hello.txt and show it");
      if (!one.ok) throw one.error;
      expect(one.value.stopReason).toBe("end_turn");
      expect(one.value.filesWritten).toEqual(["hello.txt"]);
      expect(readFileSync(path.join(root, "hello.txt"), "utf8")).toBe("hi\n");
      expect(ofType(events, "file_write")[0]).toMatchObject({ rel: "hello.txt", via: "client" });
      expect(one.value.commandsRun.length).toBeGreaterThan(0);
      expect(one.value.usage).toEqual({ inputUncached: 3300, cacheRead: 0, cacheWrite: 0, output: 38 });
      expect(one.value.usageQuality).toBe("exact");
      expect(ofType(events, "usage").some((e) => e.source === "kimi_session_log")).toBe(true);

      const two = await session.prompt("write outside");
      if (!two.ok) throw two.error;
      expect(existsSync(outside)).toBe(false);
      expect(ofType(events, "scope").length).toBeGreaterThan(0);
      expect(two.value.scopeViolations).toBeGreaterThan(0);

      const three = session.prompt("this model call hangs");
      await new Promise((r) => setTimeout(r, 1_500));
      await session.cancel();
      const result = await three;
      expect(result.ok && result.value.stopReason).toBe("cancelled");
      // the hung call was logged (llm.request) but never answered: nothing known, and not shown as a known zero
      expect(result.ok && result.value.usage).toBe("unknown");
      expect(result.ok && result.value.usageQuality).toBe("unknown");
      await session.close();
      expect(leftovers(session.pid)).toEqual([]);
    } finally {
      await server?.close();
    }
  });

  it("by default sees the user's own Kimi Code: configured only in <HOME>/.kimi-code/config.toml, no model env vars, it answers a prompt; usage is read from the log in the session's HOME, the user's left as it was", async () => {
    const { kimi } = agents();
    const base = makeTempDir("omk-kimi-user-");
    const root = path.join(base, "root");
    const userHome = path.join(base, "user-home");
    mkdirSync(root);
    mkdirSync(userHome);
    let server: FakeOpenAI | undefined;
    try {
      server = await startFakeOpenAI([{ text: "Hello from the user's model.", usage: { prompt_tokens: 321, completion_tokens: 12 } }]);
      kimiConfig(userHome, server.url);
      const spec = enginePreset("kimi", { command: kimi.node, args: [kimi.entry, "acp"] });
      if (!spec.ok) throw spec.error;
      expect(spec.value.home).toBe("user");
      const events: WireEvent[] = [];
      const runDir = path.join(base, "run");
      const opened = await openSession({
        engine: spec.value,
        cwd: root,
        runDir,
        env: { PATH: process.env["PATH"], HOME: userHome },
        deadlines: { handshakeMs: 60_000 },
        onEvent: (e) => events.push(e),
      });
      if (!opened.ok) throw opened.error;
      const session = opened.value;
      const turn = await session.prompt("say hello");
      await session.close();
      if (!turn.ok) throw turn.error;
      expect(
        ofType(events, "message")
          .map((e) => e.text)
          .join(""),
      ).toContain("Hello from the user's model.");
      expect(turn.value.usage).toEqual({ inputUncached: 321, cacheRead: 0, cacheWrite: 0, output: 12 });
      expect(turn.value.usageQuality).toBe("exact");
      expect(server.requests).toHaveLength(1);
      // Kimi ran on a copy of the user's config in a HOME of the session's own (its session log read there, then
      // removed at close): the user's .kimi-code is left as it was.
      expect(entriesOf(path.join(userHome, ".kimi-code"))).toEqual(["config.toml"]);
      expect(existsSync(isolationDirs(runDir).home)).toBe(false);
      expect(leftovers(session.pid)).toEqual([]);
    } finally {
      await server?.close();
    }
  });

  it("follows KIMI_CODE_HOME: the config comes from that folder, which is left as it was", async () => {
    const { kimi } = agents();
    const base = makeTempDir("omk-kimi-home-");
    const root = path.join(base, "root");
    const userHome = path.join(base, "user-home");
    const kimiHome = path.join(base, "kimi-data");
    mkdirSync(root);
    mkdirSync(userHome);
    let server: FakeOpenAI | undefined;
    try {
      server = await startFakeOpenAI([{ text: "ok", usage: { prompt_tokens: 77, completion_tokens: 3 } }]);
      // kimiConfig writes <dir>/.kimi-code/config.toml; KIMI_CODE_HOME is that .kimi-code folder's stand-in.
      kimiConfig(base, server.url);
      renameSync(path.join(base, ".kimi-code"), kimiHome);
      const spec = enginePreset("kimi", { command: kimi.node, args: [kimi.entry, "acp"] });
      if (!spec.ok) throw spec.error;
      const opened = await openSession({
        engine: spec.value,
        cwd: root,
        runDir: path.join(base, "run"),
        env: { PATH: process.env["PATH"], HOME: userHome, KIMI_CODE_HOME: kimiHome },
        deadlines: { handshakeMs: 60_000 },
      });
      if (!opened.ok) throw opened.error;
      const turn = await opened.value.prompt("say ok");
      await opened.value.close();
      if (!turn.ok) throw turn.error;
      expect(turn.value.usage).toEqual({ inputUncached: 77, cacheRead: 0, cacheWrite: 0, output: 3 });
      // The config came from KIMI_CODE_HOME (copied into the session's HOME); that folder is left as it was.
      expect(entriesOf(kimiHome)).toEqual(["config.toml"]);
      expect(entriesOf(userHome)).not.toContain(".kimi-code");
    } finally {
      await server?.close();
    }
  });

  it("a model server refusing the key (401): Kimi Code answers the prompt -32000 with the provider's reason; OMK maps it to EngineAuthRequiredError with the preset's login fix", async () => {
    const { kimi } = agents();
    const base = makeTempDir("omk-kimi-401-");
    const root = path.join(base, "root");
    mkdirSync(root);
    const runDir = path.join(base, "run");
    const server = await startModelServer([{ name: "refuse", match: /./, steps: [{ text: "never" }], fault: "unauthorized" }]);
    try {
      kimiConfig(isolationDirs(runDir).home, server.openaiUrl);
      const spec = enginePreset("kimi", { command: kimi.node, args: [kimi.entry, "acp"], home: "hermetic" });
      if (!spec.ok) throw spec.error;
      const opened = await openSession({ engine: spec.value, cwd: root, runDir, deadlines: { handshakeMs: 60_000 } });
      if (!opened.ok) throw opened.error;
      const turn = await opened.value.prompt("say hello");
      await opened.value.close();
      expect(turn.ok).toBe(false);
      if (turn.ok) return;
      expect(server.ledger.some((e) => e.status === 401)).toBe(true);
      expect(turn.error).toBeInstanceOf(EngineAuthRequiredError);
      expect(turn.error.message).toContain("session/prompt: Authentication required: 401 Incorrect API key provided");
      expect(turn.error.fix).toContain(spec.value.login);
    } finally {
      await server.close();
    }
  });

  it("reports exactly the tokens the server served, run after run (the last usage record of a turn is waited for, not raced)", async () => {
    const { kimi } = agents();
    const runs = 4;
    for (let run = 0; run < runs; run++) {
      const base = makeTempDir("omk-kimi-exact-");
      const root = path.join(base, "root");
      mkdirSync(root);
      const runDir = path.join(base, "run");
      let server: FakeOpenAI | undefined;
      try {
        const replies: FakeModelReply[] = [
          {
            text: "First I write the file.",
            toolCalls: [{ name: "Write", arguments: { path: "n.txt", content: `${run}\n` } }],
            usage: { prompt_tokens: 1000 + run, completion_tokens: 20 + run },
          },
          { toolCalls: [{ name: "Bash", arguments: { command: "cat n.txt" } }], usage: { prompt_tokens: 1100 + run, completion_tokens: 10 } },
          { text: `Run ${run} done.`, usage: { prompt_tokens: 1200 + run, completion_tokens: 7 + run } },
        ];
        server = await startFakeOpenAI(replies);
        kimiConfig(isolationDirs(runDir).home, server.url);
        const spec = enginePreset("kimi", { command: kimi.node, args: [kimi.entry, "acp"], home: "hermetic" });
        if (!spec.ok) throw spec.error;
        const opened = await openSession({ engine: spec.value, cwd: root, runDir, deadlines: { handshakeMs: 60_000 } });
        if (!opened.ok) throw opened.error;
        const turn = await opened.value.prompt(`write n.txt (run ${run})`);
        await opened.value.close();
        if (!turn.ok) throw turn.error;
        expect(server.requests, `run ${run}`).toHaveLength(3);
        const served = { inputUncached: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
        for (const r of replies) {
          served.inputUncached += r.usage?.prompt_tokens ?? 0;
          served.output += r.usage?.completion_tokens ?? 0;
        }
        expect(turn.value.usage, `run ${run}`).toEqual(served);
        expect(turn.value.usageQuality, `run ${run}`).toBe("exact");
      } finally {
        await server?.close();
      }
    }
  });

  it("selects a model by the name a user knows (the underlying model name; the env model's name instead of __kimi_env_model__); an unknown one lists the choices as typed, with a fix", async () => {
    const { kimi } = agents();
    const base = makeTempDir("omk-kimi-model-");
    const root = path.join(base, "root");
    const userHome = path.join(base, "user-home");
    mkdirSync(root);
    mkdirSync(userHome);
    let server: FakeOpenAI | undefined;
    try {
      server = await startFakeOpenAI([{ text: "from fake-model" }, { text: "from the env model" }]);
      // config.toml offers alias "fake" (model fake-model); the env offers a model too, which Kimi makes current.
      kimiConfig(userHome, server.url);
      const env = {
        PATH: process.env["PATH"],
        HOME: userHome,
        KIMI_MODEL_NAME: "env-model-x",
        KIMI_MODEL_BASE_URL: server.url,
        KIMI_MODEL_API_KEY: "sk-env",
        KIMI_MODEL_PROVIDER_TYPE: "openai",
      };
      const open = async (model: string) => {
        const spec = enginePreset("kimi", { command: kimi.node, args: [kimi.entry, "acp"], model });
        if (!spec.ok) throw spec.error;
        return await openSession({ engine: spec.value, cwd: root, runDir: path.join(base, `run-${model}`), env, deadlines: { handshakeMs: 60_000 } });
      };

      const byModelName = await open("fake-model");
      if (!byModelName.ok) throw byModelName.error;
      const one = await byModelName.value.prompt("hi");
      await byModelName.value.close();
      if (!one.ok) throw one.error;
      expect((server.requests[0] as { model?: string }).model).toBe("fake-model");

      const byEnvName = await open("env-model-x");
      if (!byEnvName.ok) throw byEnvName.error;
      const two = await byEnvName.value.prompt("hi");
      await byEnvName.value.close();
      if (!two.ok) throw two.error;
      expect((server.requests[1] as { model?: string }).model).toBe("env-model-x");

      const unknown = await open("gpt-9");
      expect(unknown.ok).toBe(false);
      if (unknown.ok) return;
      expect(unknown.error).toBeInstanceOf(ModelNotOfferedError);
      expect(unknown.error.message).toBe('engine kimi: model "gpt-9" is not offered; available: fake-model [fake], env-model-x');
      expect(unknown.error.message).not.toContain("__kimi_env_model__");
      expect(unknown.error.fix).toBe('choose a model by its name or id (e.g. --model "fake-model"), or configure "gpt-9" in kimi\'s own config first');
    } finally {
      await server?.close();
    }
  });

  it("kimi-wire on the real Kimi Code 2.x (a `kimi` on PATH, as npm installs it) fails fast naming --engine kimi; detectEngines says which program each `kimi` is and what it speaks", async () => {
    const { kimi, node24 } = agents();
    const base = makeTempDir("omk-kimi-wire-mismatch-");
    const bin = path.join(base, "bin");
    const root = path.join(base, "root");
    mkdirSync(bin);
    mkdirSync(root);
    symlinkSync(kimi.entry, path.join(bin, "kimi"));
    const env = { PATH: [bin, path.dirname(node24.node), "/usr/bin", "/bin"].join(":"), HOME: path.join(base, "home") };
    const spec = enginePreset("kimi-wire");
    if (!spec.ok) throw spec.error;
    // Before any handshake deadline: waited out, the error would be a timeout, not the mismatch.
    const opened = await openSession({ engine: spec.value, cwd: root, runDir: path.join(base, "run"), env });
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    expect(opened.error).toBeInstanceOf(EngineProtocolMismatchError);
    expect(opened.error.message).toBe(
      `engine kimi-wire speaks Kimi Wire, but ${path.join(bin, "kimi")} is Kimi Code 2.x (npm @moonshot-ai/kimi-code), which speaks ACP through \`kimi acp\``,
    );
    expect(opened.error.fix).toBe("use --engine kimi (ACP through `kimi acp`); kimi-wire needs the Python kimi CLI (`kimi --wire`)");

    const [wire, acp] = await detectEngines({ engines: ["kimi-wire", "kimi"], env });
    expect(wire).toMatchObject({
      name: "kimi-wire",
      found: true,
      version: kimi.version,
      binary: { kind: "kimi-code", speaks: "acp" },
      handshake: { status: "failed", fix: opened.error.fix },
    });
    expect(acp).toMatchObject({
      name: "kimi",
      found: true,
      version: kimi.version,
      binary: { kind: "kimi-code", speaks: "acp" },
      handshake: { status: "auth_required", agentName: "Kimi Code CLI" },
    });
  });
});
