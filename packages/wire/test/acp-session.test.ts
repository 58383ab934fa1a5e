import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { EngineSpecSchema, ModelNotOfferedError, openSession, scopeFromPaths, TranscriptLineSchema, WireConfigError, type WireEvent } from "../src/index.js";
import { FAST, leftovers, ofType, scripted, workspace } from "./helpers.js";

afterAll(() => cleanupTempDirs());

describe("ACP session with the scripted engine", () => {
  it("runs a full turn: text, plan, file writes, a command, a permission, usage; then closes the process group", async () => {
    const ws = workspace();
    const events: WireEvent[] = [];
    const engine = scripted({
      agent: { name: "scripted-test", version: "9.9.9" },
      turns: [
        {
          expect: "build it",
          steps: [
            { message: "Working on it. " },
            { thought: "plan first" },
            { plan: [{ content: "write src/a.txt", priority: "high", status: "in_progress" }] },
            { permission: { title: "Write src/a.txt", kind: "edit", paths: ["src/a.txt"] } },
            { write: { path: "src/a.txt", content: "alpha\n" } },
            { write: { path: "src/b.txt", content: "beta\n", via: "direct" } },
            { read: { path: "src/a.txt" } },
            { command: { command: "/bin/sh", args: ["-c", "cat src/a.txt; echo to-stderr >&2; exit 3"] } },
            { usage: { inputUncached: 1200, cacheRead: 300, cacheWrite: 40, output: 250 } },
            { stderr: "debug token=sk-abcdefghijklmnopqrstuvwxyz123456" },
            { message: "Done." },
          ],
        },
      ],
    });
    const opened = await openSession({
      engine,
      cwd: ws.root,
      runDir: ws.runDir,
      transcriptPath: ws.transcript,
      deadlines: FAST,
      onEvent: (e) => events.push(e),
      env: { ...process.env, MY_SERVICE_TOKEN: "hunter2-very-secret" },
    });
    if (!opened.ok) throw opened.error;
    const session = opened.value;
    expect(session.agent).toEqual({ name: "scripted-test", version: "9.9.9", capabilities: { loadSession: false }, authMethods: [] });
    expect(session.sessionId).toMatch(/^scripted-/);

    const turn = await session.prompt("please build it");
    if (!turn.ok) throw turn.error;
    expect(turn.value.stopReason).toBe("end_turn");
    expect(turn.value.filesWritten).toEqual(["src/a.txt", "src/b.txt"]);
    expect(readFileSync(path.join(ws.root, "src/a.txt"), "utf8")).toBe("alpha\n");
    expect(turn.value.commandsRun).toHaveLength(1);
    expect(turn.value.commandsRun[0]).toMatchObject({
      command: "/bin/sh",
      exitCode: 3,
      signal: null,
      outputBytes: "alpha\nto-stderr\n".length,
      truncated: false,
    });
    expect(turn.value.usage).toEqual({ inputUncached: 1200, cacheRead: 300, cacheWrite: 40, output: 250 });
    expect(turn.value.cost).toEqual({ usd: expect.closeTo((1200 * 1 + 300 * 0.1 + 40 * 1.25 + 250 * 5) / 1e6, 9), source: "price_table" });
    expect(turn.value.scopeViolations).toBe(0);

    const text = ofType(events, "message")
      .map((e) => e.text)
      .join("");
    expect(text).toBe("Working on it. Done.");
    expect(ofType(events, "thought")[0]?.text).toBe("plan first");
    expect(ofType(events, "plan")[0]?.entries).toEqual([{ content: "write src/a.txt", priority: "high", status: "in_progress" }]);
    expect(ofType(events, "permission")[0]).toMatchObject({ decision: "allow", optionId: "allow", paths: [path.join(ws.root, "src/a.txt")] });
    expect(ofType(events, "file_write").map((e) => [e.rel, e.via])).toEqual([
      ["src/a.txt", "client"],
      ["src/b.txt", "agent"],
    ]);
    expect(ofType(events, "file_read").map((e) => e.rel)).toEqual(["src/a.txt"]);
    expect(ofType(events, "tool_call_finished").map((e) => [e.kind, e.status])).toEqual([
      ["edit", "completed"],
      ["edit", "completed"],
      ["read", "completed"],
      ["execute", "failed"],
    ]);
    expect(ofType(events, "usage").at(-1)).toMatchObject({ source: "acp_prompt_response", turnUsage: turn.value.usage });
    const stderr = ofType(events, "stderr").map((e) => e.line);
    expect(stderr.some((l) => l.includes("debug token=[REDACTED:openai-key]"))).toBe(true);

    const report = await session.close();
    expect(report).toMatchObject({ exitCode: 0, killed: false });
    expect(leftovers(session.pid)).toEqual([]);
    expect(events.at(-1)?.type).toBe("session_closed");

    // The transcript: every line in both directions, schema-valid, secrets redacted.
    const lines = readFileSync(ws.transcript, "utf8")
      .trim()
      .split("\n")
      .map((l) => TranscriptLineSchema.parse(JSON.parse(l)));
    expect(lines.some((l) => l.dir === "out" && l.line?.includes('"method":"initialize"'))).toBe(true);
    expect(lines.some((l) => l.dir === "in" && l.line?.includes('"stopReason":"end_turn"'))).toBe(true);
    expect(lines.some((l) => l.dir === "meta" && l.meta?.["event"] === "exit")).toBe(true);
    const all = readFileSync(ws.transcript, "utf8");
    expect(all).not.toContain("sk-abcdefghijklmnopqrstuvwxyz123456");
    expect(all).toContain("[REDACTED:openai-key]");
  });

  it("refuses writes outside the root and outside the caller's scope, with an error the agent sees and scope events", async () => {
    const ws = workspace();
    const events: WireEvent[] = [];
    const engine = scripted({
      turns: [
        {
          steps: [
            { write: { path: "src/ok.txt", content: "in scope" } },
            { write: { path: "docs/no.txt", content: "outside the write set" } },
            { write: { path: "../escape.txt", content: "outside the root" } },
            { permission: { title: "edit docs", kind: "edit", paths: ["docs/readme.md"], onReject: "continue" } },
            { write: { path: "docs/sneaky.txt", content: "written directly", via: "direct" } },
          ],
        },
      ],
    });
    const opened = await openSession({
      engine,
      cwd: ws.root,
      runDir: ws.runDir,
      deadlines: FAST,
      scope: scopeFromPaths({ write: ["src"] }),
      onEvent: (e) => events.push(e),
    });
    if (!opened.ok) throw opened.error;
    const turn = await opened.value.prompt("go");
    await opened.value.close();
    if (!turn.ok) throw turn.error;
    expect(turn.value.filesWritten).toEqual(["src/ok.txt"]);
    expect(existsSync(path.join(ws.root, "docs/no.txt"))).toBe(false);
    expect(existsSync(path.join(ws.root, "..", "escape.txt"))).toBe(false);
    const scope = ofType(events, "scope");
    expect(scope.map((e) => [path.basename(e.path), e.access, e.enforced])).toEqual([
      ["no.txt", "write", true],
      ["escape.txt", "write", true],
      ["readme.md", "write", true],
      ["sneaky.txt", "write", false],
    ]);
    expect(scope[1]?.reason).toContain("outside the session root");
    expect(ofType(events, "permission")[0]).toMatchObject({ decision: "reject", optionId: "reject" });
    // The agent saw the refusals: its tool calls failed.
    expect(ofType(events, "tool_call_finished").filter((e) => e.status === "failed")).toHaveLength(2);
    expect(turn.value.scopeViolations).toBe(4);
  });

  it("selects a model through the config option, or through session/set_model when only `models` exists", async () => {
    for (const via of ["config_option", "legacy"] as const) {
      const ws = workspace();
      const engine = scripted({ models: { via, available: ["small", "large"], current: "small" }, turns: [] }, { model: "large" });
      const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, deadlines: FAST, transcriptPath: ws.transcript });
      if (!opened.ok) throw opened.error;
      await opened.value.close();
      const sent = readFileSync(ws.transcript, "utf8")
        .trim()
        .split("\n")
        .map((l) => TranscriptLineSchema.parse(JSON.parse(l)))
        .filter((l) => l.dir === "out")
        .map((l) => l.line ?? "");
      expect(sent.some((l) => l.includes(via === "config_option" ? '"method":"session/set_config_option"' : '"method":"session/set_model"'))).toBe(true);
    }
    const ws = workspace();
    const opened = await openSession({
      engine: scripted({ models: { via: "config_option", available: ["small"], current: "small" } }, { model: "huge" }),
      cwd: ws.root,
      runDir: ws.runDir,
      deadlines: FAST,
    });
    expect(opened.ok).toBe(false);
    if (!opened.ok) expect(opened.error.message).toContain('model "huge" is not offered');
  });

  it("accepts a model by its id, display name, description or in another case; an unknown one lists the choices as a user would type them, with a fix", async () => {
    const available = [
      { id: "fake", name: "Fake Model One", description: "fake-model-2025" },
      { id: "other", name: "other-model" },
      { id: "__kimi_env_model__", name: "Env Display" },
    ];
    for (const [via, wanted, id] of [
      ["config_option", "Env Display", "__kimi_env_model__"],
      ["config_option", "other", "other"],
      ["config_option", "FAKE MODEL ONE", "fake"],
      ["legacy", "fake-model-2025", "fake"],
    ] as const) {
      const ws = workspace();
      const opened = await openSession({
        engine: scripted({ models: { via, available, current: "other" }, turns: [] }, { model: wanted }),
        cwd: ws.root,
        runDir: ws.runDir,
        deadlines: FAST,
        transcriptPath: ws.transcript,
      });
      if (!opened.ok) throw opened.error;
      await opened.value.close();
      const sent = readFileSync(ws.transcript, "utf8")
        .split("\n")
        .filter((l) => l.includes('"dir":"out"'));
      const selected = sent
        .map((l) => JSON.parse(JSON.parse(l).line))
        .find((m) => m.method === "session/set_config_option" || m.method === "session/set_model");
      if (id === "other") expect(selected, wanted).toBeUndefined();
      else expect(selected?.params?.value ?? selected?.params?.modelId, wanted).toBe(id);
    }
    const ws = workspace();
    const opened = await openSession({
      engine: scripted({ models: { via: "config_option", available, current: "other" } }, { model: "gpt-9" }),
      cwd: ws.root,
      runDir: ws.runDir,
      deadlines: FAST,
    });
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    expect(opened.error).toBeInstanceOf(ModelNotOfferedError);
    expect(opened.error.code).toBe("OMK_WIRE_MODEL_NOT_OFFERED");
    expect(opened.error.message).toBe('engine scripted: model "gpt-9" is not offered; available: Fake Model One [fake], other-model [other], Env Display');
    expect(opened.error.fix).toBe('choose a model by its name or id (e.g. --model "Fake Model One"), or configure "gpt-9" in scripted\'s own config first');
  });

  it("terminals: output kept to the byte limit (newest bytes), terminal/kill ends the command's process group", async () => {
    const ws = workspace();
    const events: WireEvent[] = [];
    const engine = scripted({
      turns: [
        {
          steps: [
            { command: { command: "/bin/sh", args: ["-c", "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done"], outputByteLimit: 100 } },
            { command: { command: "/bin/sh", args: ["-c", "sleep 30 & sleep 30"], killAfterMs: 300 } },
          ],
        },
      ],
    });
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, deadlines: FAST, onEvent: (e) => events.push(e) });
    if (!opened.ok) throw opened.error;
    const turn = await opened.value.prompt("go");
    await opened.value.close();
    if (!turn.ok) throw turn.error;
    const [big, killed] = turn.value.commandsRun;
    expect(big).toMatchObject({ exitCode: 0, truncated: true });
    expect(big?.outputBytes).toBeGreaterThan(10_000);
    expect(killed).toMatchObject({ killedBy: "agent", signal: "SIGTERM" });
  });

  it("home: hermetic gives the engine its own HOME, TMPDIR and XDG dirs with telemetry off, drops the engines' home variables and copies the named files in", async () => {
    const ws = workspace();
    const userHome = path.join(ws.runDir, "..", "user-home");
    mkdirSync(path.join(userHome, ".kimi-code"), { recursive: true });
    writeFileSync(path.join(userHome, ".kimi-code", "config.toml"), 'default_model = "x"\n');
    writeFileSync(path.join(userHome, ".not-copied"), "private\n");
    const engine = scripted(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
      {
        turns: [
          {
            steps: [
              {
                command: {
                  command: "/bin/sh",
                  args: [
                    "-c",
                    'echo "$HOME|$TMPDIR|$XDG_CONFIG_HOME|$DO_NOT_TRACK|${KIMI_CODE_HOME-unset}|${CLAUDE_CONFIG_DIR-unset}|$(cat ~/.kimi-code/config.toml)|$(test -e ~/.not-copied && echo present || echo absent)" > env.txt',
                  ],
                },
              },
            ],
          },
        ],
      },
      { home: "hermetic", homeCopy: [".kimi-code/config.toml"] },
    );
    const env = {
      PATH: process.env["PATH"],
      HOME: userHome,
      KIMI_CODE_HOME: path.join(userHome, ".kimi-code"),
      CLAUDE_CONFIG_DIR: path.join(userHome, ".claude"),
    };
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, env, deadlines: FAST });
    if (!opened.ok) throw opened.error;
    await opened.value.prompt("go");
    await opened.value.close();
    const [home, tmp, xdg, dnt, kimiHome, claudeDir, config, notCopied] = readFileSync(path.join(ws.root, "env.txt"), "utf8").trim().split("|");
    expect(home).toBe(path.join(ws.runDir, "home"));
    expect(tmp).toBe(path.join(ws.runDir, "tmp"));
    expect(xdg).toBe(path.join(ws.runDir, "xdg", "config"));
    expect(dnt).toBe("1");
    expect([kimiHome, claudeDir]).toEqual(["unset", "unset"]);
    expect(config).toBe('default_model = "x"');
    expect(notCopied).toBe("absent");
    // The session HOME (the copied files) and XDG dirs went with the session.
    expect(existsSync(path.join(ws.runDir, "home"))).toBe(false);
    expect(existsSync(path.join(ws.runDir, "xdg"))).toBe(false);
  });

  it("home: user (the default) gives the engine a HOME of its own with only its login files copied in (from HOME, or the folder KIMI_CODE_HOME names), the user's engine variables dropped; the session HOME is 0700 and goes with the session; the user's HOME is unchanged", async () => {
    const ws = workspace();
    const userHome = path.join(ws.runDir, "..", "user-home");
    // Claude's login and settings, a hook-free history it must not get, an SSH key it must not get.
    mkdirSync(path.join(userHome, ".claude", "projects"), { recursive: true });
    writeFileSync(path.join(userHome, ".claude", "settings.json"), '{"model":"opus"}\n');
    writeFileSync(path.join(userHome, ".claude", ".credentials.json"), '{"token":"sk-ant-oat01-user"}\n');
    writeFileSync(path.join(userHome, ".claude", "projects", "history.jsonl"), "old chats\n");
    // With CLAUDE_CONFIG_DIR set, Claude Code's global config is inside that folder; it lands at ~/.claude.json in the session HOME.
    writeFileSync(path.join(userHome, ".claude", ".claude.json"), '{"primaryApiKey":"sk-ant-api03-user"}\n');
    mkdirSync(path.join(userHome, ".ssh"));
    writeFileSync(path.join(userHome, ".ssh", "id_ed25519"), "PRIVATE KEY\n");
    const before = snapshot(userHome);
    const engine = scripted(
      {
        turns: [
          {
            steps: [
              {
                command: {
                  command: "/bin/sh",
                  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
                  args: [
                    "-c",
                    'echo "$HOME|$TMPDIR|$XDG_CONFIG_HOME|$DO_NOT_TRACK|${CLAUDE_CONFIG_DIR-unset}|$(cat ~/.claude/settings.json)|$(ls -A ~/.claude | tr \'\\n\' ,)|$(ls -A ~ | tr \'\\n\' ,)|$(stat -c %a ~)" > env.txt; echo \'{"hooks":{"Stop":[{"command":"curl evil"}]}}\' > ~/.claude/settings.json',
                  ],
                },
              },
            ],
          },
        ],
      },
      { name: "claude", home: undefined },
    );
    expect(engine.home).toBe("user");
    const env = {
      PATH: process.env["PATH"],
      HOME: userHome,
      XDG_CONFIG_HOME: path.join(userHome, ".config"),
      CLAUDE_CONFIG_DIR: path.join(userHome, ".claude"),
    };
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, env, deadlines: FAST });
    if (!opened.ok) throw opened.error;
    await opened.value.prompt("go");
    expect(readFileSync(path.join(ws.runDir, "home", ".claude", ".credentials.json"), "utf8")).toContain("sk-ant-oat01-user");
    await opened.value.close();
    const [home, tmp, xdg, dnt, claudeDir, settings, claudeFiles, homeFiles, mode] = readFileSync(path.join(ws.root, "env.txt"), "utf8").trim().split("|");
    expect(home).toBe(path.join(ws.runDir, "home"));
    expect(tmp).toBe(path.join(ws.runDir, "tmp"));
    expect(xdg).toBe(path.join(ws.runDir, "xdg", "config"));
    expect(dnt).toBe("1");
    expect(claudeDir).toBe("unset");
    expect(settings).toBe('{"model":"opus"}');
    expect(
      (claudeFiles ?? "")
        .split(",")
        .filter((f) => f !== "")
        .sort(),
    ).toEqual([".credentials.json", "settings.json"]);
    expect(
      (homeFiles ?? "")
        .split(",")
        .filter((f) => f !== "")
        .sort(),
    ).toEqual([".claude", ".claude.json"]);
    expect(mode).toBe("700");
    // What the agent wrote stayed in its own HOME, which went with the session; the user's is byte for byte as before.
    expect(existsSync(path.join(ws.runDir, "home"))).toBe(false);
    expect(snapshot(userHome)).toEqual(before);
  });

  it("home: user, Kimi Code (a config engine read through Kimi's session log): its config.toml and credentials come from the folder KIMI_CODE_HOME names; a missing login file is skipped", async () => {
    const ws = workspace();
    const userHome = path.join(ws.runDir, "..", "user-home");
    const kimiHome = path.join(ws.runDir, "..", "elsewhere", "kimi");
    mkdirSync(path.join(kimiHome, "credentials"), { recursive: true });
    writeFileSync(path.join(kimiHome, "config.toml"), 'default_model = "k"\n');
    writeFileSync(path.join(kimiHome, "credentials", "kimi-code.json"), "{}\n");
    mkdirSync(path.join(kimiHome, "sessions", "old"), { recursive: true });
    mkdirSync(userHome, { recursive: true });
    const engine = scripted(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
      {
        turns: [
          {
            steps: [
              {
                command: {
                  command: "/bin/sh",
                  args: ["-c", "echo \"${KIMI_CODE_HOME-unset}|$(cat ~/.kimi-code/config.toml)|$(ls -A ~/.kimi-code | tr '\\n' ,)\" > env.txt"],
                },
              },
            ],
          },
        ],
      },
      { name: "my-agent", usageLog: "kimi_session_log", home: "user" },
    );
    const opened = await openSession({
      engine,
      cwd: ws.root,
      runDir: ws.runDir,
      env: { PATH: process.env["PATH"], HOME: userHome, KIMI_CODE_HOME: kimiHome },
      deadlines: FAST,
    });
    if (!opened.ok) throw opened.error;
    await opened.value.prompt("go");
    await opened.value.close();
    const [variable, config, files] = readFileSync(path.join(ws.root, "env.txt"), "utf8").trim().split("|");
    expect(variable).toBe("unset");
    expect(config).toBe('default_model = "k"');
    // config.toml and credentials/ copied; its sessions are not; the engine's own session log is there (its usage).
    expect((files ?? "").split(",")).toEqual(expect.arrayContaining(["config.toml", "credentials"]));
    expect((files ?? "").split(",")).not.toContain("old");
    expect(readdirSync(kimiHome).sort()).toEqual(["config.toml", "credentials", "sessions"]);
    expect(readdirSync(path.join(kimiHome, "sessions"))).toEqual(["old"]);
  });

  it("isolate: false replaces nothing", async () => {
    const ws = workspace();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    const engine = scripted({
      turns: [{ steps: [{ command: { command: "/bin/sh", args: ["-c", 'echo "$HOME|${TMPDIR-unset}|${DO_NOT_TRACK-unset}" > env.txt'] } }] }],
    });
    const opened = await openSession({
      engine,
      cwd: ws.root,
      runDir: ws.runDir,
      env: { PATH: process.env["PATH"], HOME: "/nonexistent-home" },
      isolate: false,
      deadlines: FAST,
    });
    if (!opened.ok) throw opened.error;
    await opened.value.prompt("go");
    await opened.value.close();
    expect(readFileSync(path.join(ws.root, "env.txt"), "utf8").trim()).toBe("/nonexistent-home|unset|unset");
  });

  it("refuses a homeCopy entry that is absolute, climbs out with .., or does not exist in the user's HOME", async () => {
    for (const bad of ["/etc/passwd", "../secret", ".kimi-code/../../x"]) {
      const parsed = EngineSpecSchema.safeParse({ name: "x", protocol: "acp", command: "x", home: "hermetic", homeCopy: [bad] });
      expect(parsed.success, bad).toBe(false);
    }
    const ws = workspace();
    const userHome = path.join(ws.runDir, "..", "user-home");
    mkdirSync(userHome, { recursive: true });
    const engine = scripted({ turns: [] }, { home: "hermetic", homeCopy: [".qwen/settings.json"] });
    const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, env: { PATH: process.env["PATH"], HOME: userHome }, deadlines: FAST });
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    expect(opened.error).toBeInstanceOf(WireConfigError);
    expect(opened.error.message).toBe(`homeCopy entry ".qwen/settings.json" does not exist in ${userHome}`);
    expect(opened.error.fix).toContain("remove");
  });

  it("refuses a homeCopy entry naming HOME itself (., ./, empty) in the schema", () => {
    for (const bad of [".", "./", "", ".//.", "/"]) {
      const parsed = EngineSpecSchema.safeParse({ name: "x", protocol: "acp", command: "x", home: "hermetic", homeCopy: [bad] });
      expect(parsed.success, JSON.stringify(bad)).toBe(false);
    }
    expect(EngineSpecSchema.safeParse({ name: "x", protocol: "acp", command: "x", home: "hermetic", homeCopy: ["./.kimi-code/config.toml"] }).success).toBe(
      true,
    );
  });

  it("hostile homeCopy: a link out of HOME, or a folder holding one, is refused and nothing outside HOME lands in the run folder", async () => {
    const ws = workspace();
    const userHome = path.join(ws.runDir, "..", "user-home");
    const outside = path.join(ws.runDir, "..", "outside");
    mkdirSync(path.join(outside, ".ssh"), { recursive: true });
    writeFileSync(path.join(outside, ".ssh", "id_ed25519"), "PRIVATE KEY\n");
    mkdirSync(path.join(userHome, ".qwen"), { recursive: true });
    writeFileSync(path.join(userHome, ".qwen", "settings.json"), "{}\n");
    // A top-level entry that is a link out of HOME; a folder holding a link out of HOME.
    symlinkSync(path.join(outside, ".ssh"), path.join(userHome, ".kimi-code"));
    symlinkSync(path.join(outside, ".ssh", "id_ed25519"), path.join(userHome, ".qwen", "key"));
    const env = { PATH: process.env["PATH"], HOME: userHome };
    for (const [entry, message] of [
      [".kimi-code", /^homeCopy entry "\.kimi-code" resolves to .*outside the user's HOME/],
      [".kimi-code/id_ed25519", /^homeCopy entry "\.kimi-code\/id_ed25519" resolves to .*outside the user's HOME/],
      [".qwen", /^homeCopy entry "\.qwen" holds a symbolic link, .*key, which OMK does not follow$/],
    ] as const) {
      const engine = scripted({ turns: [] }, { home: "hermetic", homeCopy: [entry] });
      const opened = await openSession({ engine, cwd: ws.root, runDir: ws.runDir, env, deadlines: FAST });
      expect(opened.ok, entry).toBe(false);
      if (opened.ok) continue;
      expect(opened.error).toBeInstanceOf(WireConfigError);
      expect(opened.error.message).toMatch(message);
    }
    const copied = existsSync(path.join(ws.runDir, "home")) ? readdirSync(path.join(ws.runDir, "home"), { recursive: true }).map(String) : [];
    expect(copied.filter((f) => f.includes("id_ed25519") || f.endsWith("key"))).toEqual([]);
    // A link inside HOME to a file inside HOME is fine at the top level (dotfile managers): its content is copied.
    symlinkSync(path.join(userHome, ".qwen", "settings.json"), path.join(userHome, ".settings-link.json"));
    const fine = scripted({ turns: [] }, { home: "hermetic", homeCopy: [".settings-link.json"] });
    const opened = await openSession({ engine: fine, cwd: ws.root, runDir: ws.runDir, env, deadlines: FAST });
    if (!opened.ok) throw opened.error;
    expect(lstatSync(path.join(ws.runDir, "home", ".settings-link.json")).isFile()).toBe(true);
    await opened.value.close();
  });
});

/** Every file under `dir` with its bytes (links as their target): a folder's state, to compare. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const file = path.join(dir, rel);
    const stat = lstatSync(file);
    out[rel] = stat.isSymbolicLink() ? `-> ${readlinkSync(file)}` : stat.isDirectory() ? "/" : readFileSync(file, "utf8");
  }
  return out;
}
